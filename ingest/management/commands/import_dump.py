"""manage.py import_dump: a Reddit dump file -> articles and mentions (thin; logic in ingest.dump_import)."""

from __future__ import annotations

import argparse
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.dump_import import (
    BATCH_SIZE,
    MAX_WORKERS,
    WORKERS,
    ImportOptions,
    ImportOutcome,
    dump_checkpoint_get,
    dump_import,
    identity_key,
)
from ingest.dump_records import KINDS, DumpError
from ingest.dumps import dump_identity
from ingest.locks import dump_lock
from marketpulse.cli import datetime_type, positive_int
from marketpulse.jobs import DryRunHandle, RunHandle, job_run


def _workers(raw: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and int(text) <= MAX_WORKERS):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_WORKERS}, not {raw!r}")
    return int(text)


def summary_line(outcome: ImportOutcome) -> str:
    c = outcome.counters
    name = outcome.source.rsplit("/", 1)[-1]
    rejected = ", ".join(
        f"{key.removeprefix('rejected_')} {value:,}"
        for key, value in sorted(c.items())
        if key.startswith("rejected_") and value
    )
    return (
        f"import_dump: {name} ({outcome.kind or 'kind per item'}): {c.get('lines', 0):,} lines read"
        + (f" after line {outcome.resumed_at_line:,}" if outcome.resumed_at_line else "")
        + f", {c.get('accepted', 0):,} items kept, {c.get('articles_new', 0):,} new "
        f"({c.get('posts_new', 0):,} posts, {c.get('comments_new', 0):,} comments), "
        f"{c.get('already_stored', 0):,} already stored, {c.get('mentions', 0):,} mentions, "
        f"{c.get('rejected', 0):,} rejected" + (f" ({rejected})" if rejected else "") + ", "
        f"{c.get('bad_lines', 0):,} bad lines, {outcome.rollup_rows:,} rollup rows, "
        f"checkpoint line {outcome.line_no:,}, {outcome.seconds:.1f} s"
    )


class Command(BaseCommand):
    help = (
        "Import a Reddit dump file (Pushshift/Arctic Shift RC_/RS_ .zst, or .ndjson/.jsonl; local or "
        "s3://bucket/key) into articles and mentions: resumable, one run per file at a time."
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
            "--restart", action="store_true", help="ignore the file's checkpoint and read it from the first line"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read, validate and link, and count what would be new; write nothing (no rows, checkpoint, JobRun)",
        )

    def handle(self, *args, **options) -> None:
        if options["since"] and options["until"] and options["since"] >= options["until"]:
            raise CommandError("--since must be before --until", returncode=2)
        if options["all_subreddits"] and options["subreddits"]:
            raise CommandError("give --subreddit or --all-subreddits, not both", returncode=2)
        subreddits = None if options["all_subreddits"] else options["subreddits"] or list(settings.REDDIT_SUBREDDITS)
        import_options = ImportOptions(
            source=options["source"],
            subreddits=subreddits,
            since=options["since"],
            until=options["until"],
            kind=options["kind"],
            batch_size=options["batch_size"],
            workers=options["workers"],
            dry_run=options["dry_run"],
            restart=options["restart"],
            tty=self.stderr.isatty(),
            say=self.stdout.write,
        )
        try:
            identity = dump_identity(import_options.source)
        except DumpError as exc:
            raise CommandError(f"import_dump: {exc}", returncode=1) from None
        if import_options.dry_run:
            outcome = self._dry_run(import_options, identity)
        else:
            outcome = self._run(import_options, identity, options)
            if outcome is None:
                return
        self._report(outcome)

    def _run(self, import_options: ImportOptions, identity, options: dict) -> ImportOutcome | None:
        checkpoint = dump_checkpoint_get(identity=identity)
        with dump_lock(identity_key=identity_key(identity), checkpoint_id=checkpoint.pk) as lock:
            if not lock.acquired:
                self.stdout.write(
                    self.style.WARNING(
                        f"import_dump: another run is importing {identity.source} ({lock.holder}); nothing to do, exiting"
                    )
                )
                return None
            checkpoint.refresh_from_db()  # a run that ended a moment ago may have moved it
            if checkpoint.finished_at is not None and not import_options.restart:
                self.stdout.write(
                    f"import_dump: {identity.source} was imported completely on {checkpoint.finished_at:%Y-%m-%d %H:%M} "
                    f"UTC ({checkpoint.line_no:,} lines); nothing to do (--restart reads it again)"
                )
                return None
            run: RunHandle | None = None
            try:
                with job_run("import_dump", arguments=options) as run:
                    return dump_import(options=import_options, identity=identity, run=run, checkpoint=checkpoint)
            except DumpError as exc:
                checkpoint.refresh_from_db()
                if run is not None:
                    self.stderr.write(
                        f"import_dump: stored {run.counters.get('articles_new', 0):,} new articles before the fault"
                    )
                raise CommandError(
                    f"import_dump: {identity.source}: {exc}. Every complete line before it is stored and the "
                    f"checkpoint is at line {checkpoint.line_no:,}; replace the file and run again",
                    returncode=1,
                ) from None

    def _dry_run(self, import_options: ImportOptions, identity) -> ImportOutcome:
        run = DryRunHandle()
        previous = {
            sig: signal.signal(sig, lambda signum, _f: run.request_stop(signum))
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            outcome = dump_import(options=import_options, identity=identity, run=run, checkpoint=None)
        except DumpError as exc:
            raise CommandError(f"import_dump: {identity.source}: {exc}", returncode=1) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("dry run: nothing was written (the 'new' figures are what a run would add)")
        return outcome

    def _report(self, outcome: ImportOutcome) -> None:
        line = summary_line(outcome)
        if outcome.stopped:
            self.stdout.write(self.style.WARNING(line + " (interrupted: stopped after committing the current batch)"))
            # 128 + SIGTERM; the rerun continues from the checkpoint and rebuilds the rollups.
            raise CommandError(
                f"interrupted by a stop signal; committed up to line {outcome.line_no:,}, the next run continues there",
                returncode=143,
            )
        self.stdout.write(self.style.SUCCESS(line))
