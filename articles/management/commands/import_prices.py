"""manage.py import_prices PATH: OHLCV bars from a CSV (symbol,date,open,high,low,close,volume).

Thin: parses (`articles.prices.parse`), upserts the good rows (`articles.prices.services`),
reports every rejected row with its line number and reason. Exit codes: 0 done (rejected
rows reported, the good ones imported), 2 bad arguments, a file that is not a price CSV at
all, or one whose every row is rejected: nothing is imported from it.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.prices.parse import HEADER, PriceFileError, prices_parse
from articles.prices.services import prices_import
from marketpulse.jobs import job_run

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        f"Import daily or intraday price bars from a CSV with the header {','.join(HEADER)} "
        "(date: YYYY-MM-DD for a daily bar, an ISO datetime for an intraday one, UTC without a zone). "
        "Idempotent: a rerun updates in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=f"The CSV file: header '{','.join(HEADER)}', UTF-8.")
        parser.add_argument(
            "--source", default=None, help="Where the prices come from (default: the file's name), kept on each bar."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")

    def handle(self, *args, **options):
        path = options["path"]
        source = (options["source"] or Path(path).name).strip()[:40] or "file"
        try:
            report = prices_parse(path)
        except PriceFileError as exc:
            raise CommandError(f"{exc}; nothing imported", returncode=EXIT_BAD_INPUT) from None
        if options["dry_run"]:
            outcome = prices_import(rows=report.rows, source=source, dry_run=True)
        else:
            with job_run("import_prices", arguments=options) as run:
                outcome = prices_import(rows=report.rows, source=source)
                for name in ("created", "updated", "unchanged"):
                    run.set(name, getattr(outcome, name))
                run.set("rejected", len(report.rejected) + len(outcome.unknown))
        rejected = sorted(report.rejected + outcome.unknown, key=lambda r: r.line)
        for bad in rejected:
            self.stderr.write(f"{path}:{bad.line}: rejected: {bad.reason}")
        if rejected and len(rejected) == report.records:
            raise CommandError(
                f"{path}: every one of its {report.records} rows was rejected (see above); nothing imported",
                returncode=EXIT_BAD_INPUT,
            )
        verb = "would write" if options["dry_run"] else "wrote"
        self.stdout.write(
            f"import_prices: {report.records} rows in {path}: {verb} {outcome.created} new and "
            f"{outcome.updated} changed bars for {len(outcome.symbols)} tickers, {outcome.unchanged} unchanged; "
            f"{len(rejected)} rejected, {len(report.duplicates)} duplicates in the file"
        )
