"""The `import_dump` job: one dump file -> Article and Mention rows (`dump_import_job`).

Resumable: the checkpoint (file identity and filters) moves in the same transaction as
each merged batch, so a kill loses at most the batches in flight and a rerun doubles
nothing. Design: docs/design/dump-import.md.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from articles.services import rollups_refresh
from ingest.dumps.merge import Batch, Merged, MergePool, mention_rows, merge_orm, merge_postgres, merge_preview
from ingest.dumps.reader import DumpCorrupt, DumpIdentity, NotADump, dump_check, dump_identity, dump_resume
from ingest.dumps.records import BadLine, DumpError
from ingest.dumps.rows import dump_rows
from ingest.locks import dump_lock
from ingest.models import DumpCheckpoint
from ingest.upsert import ticker_index_load
from marketpulse.jobs import RunHandle, job_run

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000  # accepted items per merged batch (one transaction, one checkpoint)
WORKERS = 2  # merges in flight at once on PostgreSQL (threads, one connection each)
MAX_WORKERS = 8
FLUSH_SECONDS = 30.0  # a batch is also merged after this long, so a sparse filter still checkpoints
BAD_LINES_LOGGED = 20
LOG_EVERY_SECONDS = 15.0
_CLOCK_EVERY = 256  # items between two looks at the clock (FLUSH_SECONDS)


def identity_key(identity: DumpIdentity, filters: str = "") -> str:
    """The string a checkpoint's lock is keyed on: the file's source, size and version, and the filters."""
    return f"{identity.source}\x00{identity.size}\x00{identity.version}\x00{filters}"


class DumpUsageError(DumpError):
    """Options that do not go together (the command exits 2)."""


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
    max_line_bytes: int | None = None  # a longer line is a bad line; None: `ingest.dumps.reader.MAX_LINE_BYTES`
    tty: bool = False
    say: Callable[[str], None] = print


def import_options(
    *,
    source: str,
    subreddits: list[str] | None = None,
    all_subreddits: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    **rest: Any,
) -> ImportOptions:
    """The options of one import, checked; no subreddit given means `REDDIT_SUBREDDITS` (raises DumpUsageError)."""
    if since and until and since >= until:
        raise DumpUsageError("--since must be before --until")
    if all_subreddits and subreddits:
        raise DumpUsageError("give --subreddit or --all-subreddits, not both")
    wanted = None if all_subreddits else subreddits or list(settings.REDDIT_SUBREDDITS)
    return ImportOptions(source=source, subreddits=wanted, since=since, until=until, **rest)


@dataclass
class ImportOutcome:
    source: str
    note: str = ""  # why nothing was imported (another run holds the file, or it is done), else ""
    dry_run: bool = False
    kind: str = ""
    resumed_at_line: int = 0
    line_no: int = 0  # the checkpoint: last line of the last merged batch
    already_done: bool = False
    stopped: bool = False
    seconds: float = 0.0
    rollup_rows: int = 0
    counters: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ checkpoints


def checkpoint_filters(options: ImportOptions) -> str:
    """What a run keeps, as a checkpoint stores it: a run with other filters has another checkpoint.

    The lines a run skips are the ones its filters drop, so resuming at another run's line
    with other filters would lose rows. Names are compared as `records_filter` does.
    """
    subreddits = sorted({name.strip().lower().removeprefix("r/") for name in options.subreddits or ()} - {""})
    return json.dumps(
        {
            "kind": options.kind,
            "since": options.since.isoformat() if options.since else None,
            "subreddits": subreddits or None,  # None: every subreddit
            "until": options.until.isoformat() if options.until else None,
        },
        sort_keys=True,
    )


def dump_checkpoint_get(*, identity: DumpIdentity, filters: str, create: bool = True) -> DumpCheckpoint | None:
    """The checkpoint row of this exact file and filters (created at line 0 when `create`)."""
    lookup = {"source": identity.source, "size": identity.size, "version": identity.version, "filters": filters}
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


_VERDICT_TALLIES = ("bad_lines", "items")  # the file's totals `_lines_verdict` reads (a --restart clears them)


def _lines_verdict(checkpoint: DumpCheckpoint, counters: dict[str, Any], *, last: bool) -> None:
    """Add this run's parsed lines to the file's totals; at the end of the file, fail if most were bad.

    Counted over every run on the file (so a rerun after the failure fails too, and is
    never marked complete), and over the lines parsed: those a subreddit pre-filter skips
    unread are not counted.
    """
    totals = dict(DumpCheckpoint.objects.values_list("counters", flat=True).get(pk=checkpoint.pk))
    totals["bad_lines"] = totals.get("bad_lines", 0) + counters.get("bad_lines", 0)
    totals["items"] = totals.get("items", 0) + counters.get("accepted", 0) + counters.get("rejected", 0)
    DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(counters=totals)
    bad, read = totals["bad_lines"], totals["bad_lines"] + totals["items"]
    if last and bad * 2 > read:
        raise NotADump(
            f"{bad:,} of the {read:,} lines read are not Reddit items: not a Reddit dump, or a damaged one, so "
            "it is not marked complete (the good items are stored; fix the file, then run again with --restart)"
        )


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


# ------------------------------------------------------------------ the job


def dump_import_job(*, options: ImportOptions, arguments: dict[str, Any] | None = None) -> ImportOutcome:
    """One `import_dump` run: the file's lock and checkpoint, a JobRun (none for a dry run), the import.

    Returns with `outcome.note` set when there is nothing to do (another run holds the
    file, or it was imported completely). Raises `DumpError` with a message that says what
    is stored and how to go on.
    """
    identity = dump_identity(options.source)
    dump_check(
        options.source, max_line_bytes=options.max_line_bytes
    )  # before any checkpoint: what is not a dump is refused, and nothing is marked
    if options.dry_run:
        with job_run("import_dump", dry_run=True) as run:
            try:
                outcome = dump_import(options=options, identity=identity, run=run, checkpoint=None)
            except DumpError as exc:
                raise DumpError(f"{identity.source}: {exc}") from exc
        outcome.dry_run = True
        return outcome
    filters = checkpoint_filters(options)
    checkpoint = dump_checkpoint_get(identity=identity, filters=filters)
    with dump_lock(identity_key=identity_key(identity, filters), checkpoint_id=checkpoint.pk) as lock:
        if not lock.acquired:
            return ImportOutcome(
                source=options.source,
                note=f"another run is importing {identity.source} ({lock.holder}); nothing to do, exiting",
            )
        checkpoint.refresh_from_db()  # a run that ended a moment ago may have moved it
        if checkpoint.finished_at is not None and not options.restart:
            return ImportOutcome(
                source=options.source,
                note=f"{identity.source} was imported completely with these filters on "
                f"{checkpoint.finished_at:%Y-%m-%d %H:%M} UTC ({checkpoint.line_no:,} lines); nothing to do "
                "(--restart reads it again)",
            )
        run: RunHandle | None = None
        try:
            with job_run("import_dump", arguments=arguments) as run:
                return dump_import(options=options, identity=identity, run=run, checkpoint=checkpoint)
        except DumpError as exc:
            checkpoint.refresh_from_db()
            stored = run.counters.get("articles_new", 0) if run is not None else 0
            done = f"({stored:,} new articles in this run) and the checkpoint is at line {checkpoint.line_no:,}"
            if isinstance(exc, DumpCorrupt):
                raise DumpError(
                    f"{identity.source}: {exc}. Every complete line before it is stored {done}; "
                    "replace the file and run again"
                ) from exc
            raise DumpError(f"{identity.source}: {exc}. What was read is stored {done}") from exc


def summary_line(outcome: ImportOutcome) -> str:
    """The one line `import_dump` prints at the end of a run."""
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


# ------------------------------------------------------------------ the import


def dump_import(
    *,
    options: ImportOptions,
    identity: DumpIdentity,
    run: RunHandle,
    checkpoint: DumpCheckpoint | None,
    now: datetime | None = None,
) -> ImportOutcome:
    """Import one dump file (docs/design/dump-import.md). The caller holds `dump_lock` for it.

    `checkpoint` is None for a dry run (nothing is written). Raises `DumpError` (or its
    `DumpCorrupt`/`DumpTruncated`) after merging every complete line before the fault.
    """
    started = time.monotonic()
    now = now or timezone.now()
    outcome = ImportOutcome(source=options.source)
    counters = run.counters
    if checkpoint is not None and options.restart:
        tallies = {key: value for key, value in checkpoint.counters.items() if key not in _VERDICT_TALLIES}
        DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(
            line_no=0,
            byte_offset=0,
            finished_at=None,
            scope_since=None,
            scope_until=None,
            scope_ticker_ids=[],
            counters=tallies,
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
    reader = dump_resume(
        options.source,
        line_no=start_line,
        offset=start_offset,
        subreddits=options.subreddits,
        max_line_bytes=options.max_line_bytes,
    )
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
    if checkpoint is not None:
        _lines_verdict(checkpoint, counters, last=not outcome.stopped)
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
