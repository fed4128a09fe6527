"""manage.py import_labels PATH --source NAME: labelled texts (CSV label,text) in as training examples.

Thin: parses the file (`sentiment.stance.labels.labels_parse`), imports the good rows
(`stance_examples_import`), reports every rejected row with its line number and reason,
and the duplicates. Exit codes: 0 done (rejected rows are reported, the good ones
imported), 2 bad arguments, a file that is not a label CSV at all (binary, not
UTF-8, no `label,text` header, a broken quote) or one whose every row is rejected:
nothing is imported from it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from marketpulse.jobs import exit_if_stopped, job_run
from sentiment.stance.labels import LabelFileError, labels_parse, source_check, stance_examples_import

EXIT_BAD_INPUT = 2
SHOW_DUPLICATES = 20


class Command(BaseCommand):
    help = (
        "Import labelled texts (CSV with the header label,text; labels bullish/bearish/neutral, "
        "positive/negative accepted) as stance training examples, de-duplicated by text."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file: header 'label,text', UTF-8.")
        parser.add_argument(
            "--source",
            required=True,
            help="A name for where the labels come from (e.g. demo, stocktwits-2026-11); "
            "train_stance --source NAME trains on it. 'mentions' and 'articles' are reserved for reviews.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        try:
            source = source_check(options["source"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from None
        try:
            report = labels_parse(options["path"])
        except LabelFileError as exc:
            raise CommandError(f"{exc}; nothing imported", returncode=EXIT_BAD_INPUT) from None

        for bad in report.rejected:
            self.stderr.write(f"{options['path']}:{bad.line}: rejected: {bad.reason}")
        if report.rejected and not report.rows:
            raise CommandError(
                f"{options['path']}: every one of its {report.records} rows was rejected (see above); nothing imported",
                returncode=EXIT_BAD_INPUT,
            )
        if options["dry_run"]:
            outcome = stance_examples_import(rows=report.rows, source=source, dry_run=True)
        else:
            with job_run("import_labels", arguments=options) as run:
                outcome = stance_examples_import(rows=report.rows, source=source)
                run.set("rows", report.records)
                run.set("imported", outcome.imported)
                run.set("rejected", len(report.rejected))
                run.set("duplicates", len(report.duplicates) + len(outcome.already))
            # The import is one transaction, committed whole; a SIGTERM during it still exits 143.
            exit_if_stopped(run, command="import_labels", detail=f"{outcome.imported} rows were imported")

        if verbosity >= 2:
            for line, first in report.duplicates[:SHOW_DUPLICATES]:
                self.stdout.write(f"  line {line}: the same text as line {first} (skipped)")
            for line, src, label in outcome.already[:SHOW_DUPLICATES]:
                self.stdout.write(f"  line {line}: already imported (source {src}, label {label}; kept)")
        labels = ", ".join(f"{k} {v}" for k, v in sorted(outcome.by_label.items())) or "none"
        verb = "would import" if options["dry_run"] else "imported"
        summary = (
            f"import_labels: {report.records} rows in {options['path']}: {verb} {outcome.imported} ({labels}) "
            f"as source {source!r}; {len(report.rejected)} rejected; "
            f"{len(report.duplicates)} duplicates in the file, {len(outcome.already)} already imported"
        )
        if outcome.conflicts:
            summary += f" ({outcome.conflicts} of them with another label there: the stored label is kept)"
        if options["dry_run"]:
            summary += "; dry run, nothing written"
        if verbosity >= 1:
            style = self.style.WARNING if report.rejected else self.style.SUCCESS
            self.stdout.write(style(summary))
