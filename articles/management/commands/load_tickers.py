"""manage.py load_tickers [--from FILE ...] [--format F] [--only-new] [--dry-run]: load the ticker list."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from articles.tickers import BUNDLED_CSV, FORMATS, TickerFileError, tickers_load_files
from marketpulse.jobs import exit_if_stopped, job_run

DRY_RUN_LIST_LIMIT = 50


class Command(BaseCommand):
    help = (
        "Load tickers into the database: the curated list bundled in articles/data/tickers.csv by default, "
        "or SEC company_tickers.json / NASDAQ nasdaqlisted.txt / otherlisted.txt files with --from. "
        "Idempotent; never deletes a ticker and never re-enables one a reviewer marked 'never link'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="paths",
            action="append",
            metavar="FILE",
            help="Ticker file to import instead of the bundled CSV (repeatable, e.g. nasdaqlisted.txt and "
            "otherlisted.txt together; the first file wins for a symbol listed twice).",
        )
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", *FORMATS],
            help="Format of the --from files (default: auto, detected from each file's content).",
        )
        parser.add_argument(
            "--only-new",
            action="store_true",
            help="Only add tickers that are not in the database; leave existing ones exactly as they are "
            "(e.g. to add a full exchange list without replacing the curated names).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change and write nothing.")

    def handle(self, *args, **options):
        paths = options["paths"] or [str(BUNDLED_CSV)]
        dry_run = options["dry_run"]
        verbosity = options["verbosity"]
        with job_run("load_tickers", arguments=options, dry_run=dry_run) as run:
            try:
                files, result = tickers_load_files(
                    paths=paths,
                    fmt=options["format"],
                    dry_run=dry_run,
                    only_new=options["only_new"],
                    should_stop=lambda: run.stop_requested,
                )
            except TickerFileError as exc:
                raise CommandError(f"load_tickers: {exc}", returncode=2) from None
            if result is None:  # SIGTERM/SIGINT while reading: leave before writing; the run is marked interrupted
                self.stderr.write("load_tickers: stop requested before writing; nothing was changed")
            else:
                skipped = sum(sum(f.skipped.values()) for f in files)
                for name, value in result.as_counters().items():
                    run.set(name, value)
                run.set("rows", sum(len(f.rows) for f in files))
                run.set("skipped", skipped)
                run.set("dry_run", dry_run)
        if result is None:
            exit_if_stopped(run, command="load_tickers", detail="nothing was changed")
            return

        if verbosity >= 1:
            for ticker_file in files:
                reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(ticker_file.skipped.items()))
                self.stdout.write(
                    f"{ticker_file.path}: {ticker_file.format}, {len(ticker_file.rows)} tickers"
                    + (f" (skipped {reasons})" if reasons else "")
                )
        if dry_run and verbosity >= 1 or verbosity >= 2:
            limit = None if verbosity >= 2 else DRY_RUN_LIST_LIMIT
            shown = result.changes if limit is None else result.changes[:limit]
            for change in shown:
                self.stdout.write(change.describe())
            if len(shown) < len(result.changes):
                self.stdout.write(f"... and {len(result.changes) - len(shown)} more (-v 2 lists them all)")
        verb = "would create" if dry_run else "created"
        summary = (
            f"load_tickers{' (dry run, nothing written)' if dry_run else ''}: {verb} {result.created}, "
            f"{'would update' if dry_run else 'updated'} {result.updated}, unchanged {result.unchanged}, "
            f"skipped {skipped}, duplicates {result.duplicates}"
        )
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(summary) if not dry_run else summary)
        exit_if_stopped(run, command="load_tickers")
