"""Reddit dump files -> Article and Mention rows: the service under `manage.py import_dump` (issue 14).

History beyond the 1,000 items Reddit's listings give: a Pushshift / Arctic Shift
monthly file (`RC_`/`RS_YYYY-MM.zst`, or the same lines as `.ndjson`/`.jsonl`), read as
a stream by `ingest.dumps` (format and kind told by the content).

Same meaning as live data. Every record goes through `ingest.validation.item_validate`
(by way of `ingest.dump_rows`, which compiles its common case), the one builder of article
rows (a dump row and a scraped row of an item have the same fullname, so they are one
row), and `ingest.upsert.item_mentions`, the scraper's linker call. Lines that are not
JSON or not a Reddit item are counted and skipped with their line number (the first
`BAD_LINES_LOGGED` logged); rejections are counted by reason.

The merge rule: **a dump never overwrites a row that exists**. Rows are inserted with
`ON CONFLICT (reddit_id) DO NOTHING`, and mentions are written only for the articles the
merge inserted. Why: `Article` records when a row was first seen and last updated but
not when its counts were fetched, and a dump's score is a snapshot taken when the
archiver crawled the item (usually within hours of its creation), so whatever the
scraper stored is at least as recent. In either order the live score wins: live first
-> the dump skips the row; dump first -> the next scrape updates the counts and, if the
text changed, the text (`articles_upsert`). Re-importing a file is a no-op.

Fast: on PostgreSQL each batch is `COPY`ed into TEMP staging tables and merged with one
statement (`ingest.dump_merge.merge_postgres`), on `workers` threads with a connection
each (`MergePool`, default 2): the merges run while this thread reads, validates and links
the next batches, and they commit in file order. On SQLite (development, tests) the same
rule with the ORM, on this thread: look up the batch's fullnames, `bulk_create` the new
ones and their mentions.

Resumable: the file's `DumpCheckpoint` (identity = source, size, version) is moved to
`DumpReader.position` in the same transaction as each merged batch, and batches commit in
file order, so a kill at any moment loses at most the batches in flight, and the rerun continues after the checkpoint
(rows are keyed by fullname, so nothing is doubled either). SIGTERM commits the batch
being built and stops. The rollups (`articles.services.rollups_refresh`) are rebuilt
once at the end, for the tickers and the hour range the merged batches inserted; that
scope is accumulated in the checkpoint, so a rerun after a kill refreshes what the
killed run wrote too. New rows are unscored: they join the sentiment backlog, which
`analyze_sentiment` claims newest first.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from articles.services import rollups_refresh
from ingest.dump_merge import Batch, Merged, MergePool, mention_rows, merge_orm, merge_postgres, merge_preview
from ingest.dump_records import BadLine, DumpError
from ingest.dump_rows import dump_rows
from ingest.dumps import DumpCorrupt, DumpIdentity, dump_resume
from ingest.models import DumpCheckpoint
from ingest.upsert import ticker_index_load
from marketpulse.jobs import RunHandle

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000  # accepted items per merged batch (one transaction, one checkpoint)
WORKERS = 2  # merges in flight at once on PostgreSQL (threads, one connection each)
MAX_WORKERS = 8
FLUSH_SECONDS = 30.0  # a batch is also merged after this long, so a sparse filter still checkpoints
BAD_LINES_LOGGED = 20
LOG_EVERY_SECONDS = 15.0
_CLOCK_EVERY = 256  # items between two looks at the clock (FLUSH_SECONDS)


def identity_key(identity: DumpIdentity) -> str:
    """The string a file's lock is keyed on: its source, size and version."""
    return f"{identity.source}\x00{identity.size}\x00{identity.version}"


@dataclass
class ImportOptions:
    source: str
    subreddits: list[str] | None = None  # None: every subreddit in the file
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None  # "comments"/"submissions"; None: told by the content
    batch_size: int = BATCH_SIZE
    workers: int = WORKERS  # PostgreSQL: merge threads; 0 merges on the caller's thread (SQLite always does)
    dry_run: bool = False
    restart: bool = False  # ignore the checkpoint and read the file from its first line
    tty: bool = False
    say: Callable[[str], None] = print


@dataclass
class ImportOutcome:
    source: str
    kind: str = ""
    resumed_at_line: int = 0
    line_no: int = 0  # the checkpoint: last line of the last merged batch
    already_done: bool = False
    stopped: bool = False
    seconds: float = 0.0
    rollup_rows: int = 0
    counters: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ checkpoints


def dump_checkpoint_get(*, identity: DumpIdentity, create: bool = True) -> DumpCheckpoint | None:
    """The checkpoint row of this exact file (created at line 0 when `create`)."""
    lookup = {"source": identity.source, "size": identity.size, "version": identity.version}
    if not create:
        return DumpCheckpoint.objects.filter(**lookup).first()
    checkpoint, _ = DumpCheckpoint.objects.get_or_create(**lookup)
    return checkpoint


@dataclass
class _Scope:
    """What the merged batches inserted: the rollups to rebuild at the end."""

    since: datetime | None = None
    until: datetime | None = None
    tickers: set[int] = field(default_factory=set)

    def add(self, lo: datetime | None, hi: datetime | None, tickers: set[int]) -> None:
        if lo is not None:
            self.since = lo if self.since is None else min(self.since, lo)
        if hi is not None:
            self.until = hi if self.until is None else max(self.until, hi)
        self.tickers |= tickers


def _rollups_rebuild(scope: _Scope, *, parts: int) -> int:
    """`rollups_refresh` for the scope; with `parts` > 1, its tickers split over that many connections.

    The parts hold disjoint tickers, so the refreshes never touch the same rows; each
    thread closes its connection when done.
    """
    tickers = sorted(scope.tickers)
    since, until = scope.since, scope.until + timedelta(microseconds=1)
    if parts < 2 or len(tickers) < 2:
        return rollups_refresh(ticker_ids=tickers, since=since, until=until)

    def refresh(part: list[int]) -> int:
        try:
            return rollups_refresh(ticker_ids=part, since=since, until=until)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="import_dump-rollups") as pool:
        return sum(pool.map(refresh, [tickers[n::parts] for n in range(parts)]))


# ------------------------------------------------------------------ progress


class _Progress:
    """A bytes bar on a terminal (bytes of the file read against its size); a log line every 15 s otherwise."""

    def __init__(self, *, tty: bool, total: int, label: str, initial: int = 0) -> None:
        self.label = label
        self._bar = None
        self._last_log = time.monotonic()
        if tty:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total or None,
                initial=initial,
                desc=label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def update(self, offset: int, counters: dict[str, Any]) -> None:
        note = f"new={counters.get('articles_new', 0)} mentions={counters.get('mentions', 0)}"
        if self._bar is not None:
            if offset > self._bar.n:
                self._bar.update(offset - self._bar.n)
            self._bar.set_postfix_str(note, refresh=False)
            return
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_SECONDS:
            self._last_log = now
            logger.info("%s: %s bytes read, line %s, %s", self.label, offset, counters.get("line", 0), note)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ------------------------------------------------------------------ the import


def dump_import(
    *,
    options: ImportOptions,
    identity: DumpIdentity,
    run: RunHandle,
    checkpoint: DumpCheckpoint | None,
    now: datetime | None = None,
) -> ImportOutcome:
    """Import one dump file (see the module docstring). The caller holds `dump_lock` for it.

    `checkpoint` is None for a dry run (nothing is written). Raises `DumpError` (or its
    `DumpCorrupt`/`DumpTruncated`) after merging every complete line before the fault.
    """
    started = time.monotonic()
    now = now or timezone.now()
    outcome = ImportOutcome(source=options.source)
    counters = run.counters
    if checkpoint is not None and options.restart:
        DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(
            line_no=0, byte_offset=0, finished_at=None, scope_since=None, scope_until=None, scope_ticker_ids=[]
        )
        checkpoint.refresh_from_db()
    start_line = checkpoint.line_no if checkpoint is not None else 0
    start_offset = checkpoint.byte_offset if checkpoint is not None else 0
    outcome.resumed_at_line = outcome.line_no = start_line
    scope = _Scope()
    if checkpoint is not None:
        scope.add(checkpoint.scope_since, checkpoint.scope_until, set(checkpoint.scope_ticker_ids))
        if checkpoint.finished_at is not None:
            outcome.already_done = True
            outcome.kind = checkpoint.kind
            return outcome

    index = ticker_index_load()
    postgres = connection.vendor == "postgresql"
    merge = merge_preview if checkpoint is None else (merge_postgres if postgres else merge_orm)
    # Threads only where they pay and are safe: a dry run reads on this connection, and
    # SQLite has one writer at a time.
    workers = options.workers if postgres and checkpoint is not None else 0
    run.set("workers", workers)
    reader = dump_resume(options.source, line_no=start_line, offset=start_offset, subreddits=options.subreddits)
    progress = _Progress(
        tty=options.tty, total=identity.size, label=f"import_dump {identity.source.rsplit('/', 1)[-1]}"
    )

    def on_turn(batch: Batch, merged: Merged) -> None:
        """In the batch's transaction, in file order: move the checkpoint past the batch."""
        if checkpoint is None:
            return
        scope.add(merged.since, merged.until, merged.tickers)
        totals = dict(checkpoint.counters)
        totals["articles_new"] = totals.get("articles_new", 0) + merged.posts + merged.comments
        totals["mentions"] = totals.get("mentions", 0) + merged.mentions
        checkpoint.counters = totals
        DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(
            line_no=batch.line_no,
            byte_offset=batch.offset,
            kind=outcome.kind,
            counters=totals,
            scope_since=scope.since,
            scope_until=scope.until,
            scope_ticker_ids=sorted(scope.tickers),
            heartbeat_at=timezone.now(),
            updated_at=timezone.now(),
        )

    def account(batch: Batch, merged: Merged) -> None:
        """On this thread, once a batch is committed: the JobRun counters and the progress bar."""
        run.incr("merge_seconds", round(merged.seconds, 3))
        run.incr("posts_new", merged.posts)
        run.incr("comments_new", merged.comments)
        run.incr("articles_new", merged.posts + merged.comments)
        run.incr("already_stored", batch.dropped + len(batch.rows) - merged.posts - merged.comments)
        run.incr("mentions", merged.mentions)
        run.incr("batches", 1)
        outcome.line_no = max(outcome.line_no, batch.line_no)
        run.set("line", outcome.line_no)
        run.set("lines", outcome.line_no - start_line)
        run.save_counters()
        progress.update(batch.offset, counters)

    with reader.stream:
        kind = options.kind or (checkpoint.kind if checkpoint is not None else "") or None
        try:
            kind = reader.kind(kind=kind)
        except DumpError:
            if kind is not None:
                raise
            kind = None  # nothing to vote on (all filtered out, or a tie): each item tells its own kind
        outcome.kind = kind or ""
        pool = MergePool(workers=workers, merge=merge, on_turn=on_turn, now=now)
        batch: dict[str, dict[str, Any]] = {}
        tally = {"accepted": 0, "rejected": 0, "bad_lines": 0}
        bad_logged = 0
        last_flush = time.monotonic()

        def flush() -> None:
            nonlocal last_flush
            for name, value in tally.items():
                run.incr(name, value)
                tally[name] = 0
            line_no, offset = reader.position
            rows = list(batch.values())
            batch.clear()
            waited = time.monotonic()
            pool.submit(rows, mention_rows(rows, index), line_no=line_no, offset=offset)
            if workers:  # with no workers, the submit was the merge itself (merge_seconds)
                run.incr("merge_wait_seconds", round(time.monotonic() - waited, 3))
            for done in pool.results():
                account(*done)
            last_flush = time.monotonic()

        entries = dump_rows(
            reader, kind=kind, now=now, subreddits=options.subreddits, since=options.since, until=options.until
        )
        size = options.batch_size
        clock = _CLOCK_EVERY
        try:
            try:
                for entry in entries:
                    if type(entry) is dict:
                        batch[entry["reddit_id"]] = entry
                        tally["accepted"] += 1
                        if len(batch) >= size:
                            flush()
                            if run.stop_requested:
                                break
                            continue
                    elif type(entry) is BadLine:
                        tally["bad_lines"] += 1
                        if bad_logged < BAD_LINES_LOGGED:
                            bad_logged += 1
                            logger.warning("%s: line %d skipped: %s", options.source, entry.line_no, entry.reason)
                            if bad_logged == BAD_LINES_LOGGED:
                                logger.warning("%s: further bad lines are counted, not logged", options.source)
                    else:  # Rejected
                        tally["rejected"] += 1
                        run.incr(f"rejected_{entry.reason}")
                    clock -= 1
                    if run.stop_requested or (not clock and time.monotonic() - last_flush >= FLUSH_SECONDS):
                        flush()
                        if run.stop_requested:
                            break
                    if not clock:
                        clock = _CLOCK_EVERY
                else:
                    flush()  # the end of the file: the last lines, and the checkpoint at the last line
            except DumpCorrupt:
                flush()  # every complete line before the fault is merged; the checkpoint stops there
                raise
            finally:
                for done in pool.close():  # every batch in flight commits (or the first error is raised)
                    account(*done)
        except DumpCorrupt:
            outcome.seconds = time.monotonic() - started
            raise
        finally:
            progress.close()
            outcome.counters = counters
    outcome.stopped = bool(run.stop_requested)
    if checkpoint is not None and not outcome.stopped:
        if scope.tickers and scope.since is not None:
            # The imported hours only: the tickers and the hour range the merged batches inserted.
            rollups_started = time.monotonic()
            outcome.rollup_rows = _rollups_rebuild(scope, parts=max(1, workers))
            run.set("rollup_rows", outcome.rollup_rows)
            run.set("rollups_seconds", round(time.monotonic() - rollups_started, 3))
        DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(finished_at=timezone.now())
    outcome.seconds = time.monotonic() - started
    return outcome
