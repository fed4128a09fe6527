"""manage.py import_dump: a Reddit dump file -> articles and mentions (thin: the job is `dump_import_job`)."""

from __future__ import annotations

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.dumps.records import KINDS, DumpError
from ingest.dumps.services import (
    BATCH_SIZE,
    MAX_WORKERS,
    WORKERS,
    DumpUsageError,
    dump_import_job,
    import_options,
    summary_line,
)
from marketpulse.cli import datetime_type, positive_int


def _workers(raw: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and int(text) <= MAX_WORKERS):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_WORKERS}, not {raw!r}")
    return int(text)


class Command(BaseCommand):
    help = (
        "Import a Reddit dump file (Pushshift/Arctic Shift RC_/RS_ .zst, or .ndjson/.jsonl; local or "
        "s3://bucket/key) into articles and mentions: resumable, one run per file and filters at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="PATH|s3://bucket/key", help="the dump file (format told by content)")
        parser.add_argument(
            "--subreddit",
            action="append",
            dest="subreddits",
            metavar="NAME",
            help="keep this subreddit, repeatable (default: REDDIT_SUBREDDITS, i.e. {})".format(
                ",".join(settings.REDDIT_SUBREDDITS)
            ),
        )
        parser.add_argument(
            "--all-subreddits", action="store_true", help="keep every subreddit in the file (no subreddit filter)"
        )
        parser.add_argument(
            "--since", type=datetime_type, default=None, help="keep items created at or after (UTC, ISO)"
        )
        parser.add_argument("--until", type=datetime_type, default=None, help="keep items created before (UTC, ISO)")
        parser.add_argument(
            "--kind", choices=list(KINDS), default=None, help="comments or submissions (default: told by the content)"
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=BATCH_SIZE,
            help=f"items per merged batch: one transaction and one checkpoint each (default {BATCH_SIZE})",
        )
        parser.add_argument(
            "--workers",
            type=_workers,
            default=WORKERS,
            help=f"PostgreSQL: batches merged at once, each on its own connection, while the next are read "
            f"(default {WORKERS}; 0 merges on the main thread; SQLite and --dry-run always do)",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="ignore the checkpoint of this file and these filters and read it from the first line "
            "(a run with other filters has a checkpoint of its own)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read, validate and link, and count what would be new; write nothing (no rows, checkpoint, JobRun)",
        )

    def handle(self, *args, **options) -> None:
        try:
            outcome = dump_import_job(
                options=import_options(
                    source=options["source"],
                    subreddits=options["subreddits"],
                    all_subreddits=options["all_subreddits"],
                    since=options["since"],
                    until=options["until"],
                    kind=options["kind"],
                    batch_size=options["batch_size"],
                    workers=options["workers"],
                    dry_run=options["dry_run"],
                    restart=options["restart"],
                    tty=self.stderr.isatty(),
                    say=self.stdout.write,
                ),
                arguments=options,
            )
        except DumpUsageError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except DumpError as exc:
            raise CommandError(f"import_dump: {exc}", returncode=1) from None
        if outcome.note:
            self.stdout.write(self.style.WARNING(f"import_dump: {outcome.note}"))
            return
        if outcome.dry_run:
            self.stdout.write("dry run: nothing was written (the 'new' figures are what a run would add)")
        line = summary_line(outcome)
        if outcome.stopped:
            self.stdout.write(self.style.WARNING(line + " (interrupted: stopped after committing the current batch)"))
            # 128 + SIGTERM; the rerun continues from the checkpoint and rebuilds the rollups.
            raise CommandError(
                f"interrupted by a stop signal; committed up to line {outcome.line_no:,}, the next run continues there",
                returncode=143,
            )
        self.stdout.write(self.style.SUCCESS(line))
