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

Fast: on PostgreSQL each batch is `COPY`ed (psycopg 3 `cursor.copy`) into two TEMP
staging tables (`ON COMMIT DELETE ROWS`) and merged with one statement,
`INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING` feeding the mention insert
in the same statement. On SQLite (development, tests) the same rule with the ORM:
look up the batch's fullnames, `bulk_create` the new ones and their mentions.

Resumable: the file's `DumpCheckpoint` (identity = source, size, version) is moved to
`DumpReader.position` in the same transaction as each merged batch, so a kill at any
moment loses at most the batch in flight, and the rerun continues after the checkpoint
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, Mention
from articles.services import rollups_refresh
from ingest.dump_records import BadLine, DumpError
from ingest.dump_rows import dump_rows
from ingest.dumps import DumpCorrupt, DumpIdentity, dump_resume
from ingest.models import DumpCheckpoint
from ingest.upsert import TickerIndex, chunks, item_mentions, ticker_index_load
from ingest.validation import ROW_KEYS, Rejected
from marketpulse.jobs import RunHandle

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000  # accepted items per merged batch (one transaction, one checkpoint)
FLUSH_SECONDS = 30.0  # a batch is also merged after this long, so a sparse filter still checkpoints
BAD_LINES_LOGGED = 20
LOG_EVERY_SECONDS = 15.0

_ARTICLE_COLUMNS = ROW_KEYS
_MENTION_COLUMNS = ("reddit_id", "ticker_id", "confidence", "matched_text", "created_utc")


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


# ------------------------------------------------------------------ writers


@dataclass
class _Merged:
    posts: int = 0
    comments: int = 0
    mentions: int = 0
    since: datetime | None = None
    until: datetime | None = None
    tickers: set[int] = field(default_factory=set)


def _mention_rows(rows: list[dict[str, Any]], index: TickerIndex) -> list[tuple]:
    out = []
    for row in rows:
        for match in item_mentions(row, index):
            out.append(
                (
                    row["reddit_id"],
                    index.ids[match.symbol],
                    match.confidence,
                    match.matched_text[:64],
                    row["created_utc"],
                )
            )
    return out


def _merge_postgres(rows: list[dict[str, Any]], index: TickerIndex, now: datetime) -> _Merged:
    """COPY the batch into TEMP staging tables, then one INSERT ... ON CONFLICT DO NOTHING for both tables."""
    article_table, mention_table = Article._meta.db_table, Mention._meta.db_table
    mentions = _mention_rows(rows, index)
    columns = ", ".join(_ARTICLE_COLUMNS)
    with connection.cursor() as cursor:
        # The commit need not wait for the WAL flush: if the server crashes, the last batches
        # are lost together with the checkpoint rows in the same transactions, and the rerun
        # reads them again. It saves a disk flush per batch; nothing else changes.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Per session, emptied at every commit: the staging never outlives its batch.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_dump_articles ("
            "reddit_id varchar(20), kind varchar(8), subreddit varchar(64), parent_post_id varchar(20), "
            "title text, body text, author varchar(64), permalink varchar(512), score bigint, "
            "num_comments bigint, is_removed boolean, created_utc timestamptz) ON COMMIT DELETE ROWS"
        )
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_dump_mentions ("
            "reddit_id varchar(20), ticker_id bigint, confidence double precision, matched_text varchar(64), "
            "created_utc timestamptz) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY import_dump_articles ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row["reddit_id"],
                        row["kind"],
                        row["subreddit"],
                        row["parent_post_id"],
                        row["title"],
                        row["body"],
                        row["author"],
                        row["permalink"],
                        row["score"],
                        row["num_comments"],
                        row["is_removed"],
                        row["created_utc"],
                    )
                )
        if mentions:
            with cursor.copy(f"COPY import_dump_mentions ({', '.join(_MENTION_COLUMNS)}) FROM STDIN") as copy:
                for mention in mentions:
                    copy.write_row(mention)
        cursor.execute(
            f"""
            WITH inserted AS (
                INSERT INTO {article_table} ({columns}, first_seen_at, updated_at,
                    sentiment_label, sentiment_model, vader_label, reviewed_label)
                SELECT {columns}, %(now)s, %(now)s, '', '', '', '' FROM import_dump_articles
                ON CONFLICT (reddit_id) DO NOTHING
                RETURNING id, reddit_id, kind
            ), linked AS (
                INSERT INTO {mention_table} (article_id, ticker_id, confidence, matched_text, created_utc)
                SELECT inserted.id, m.ticker_id, m.confidence, m.matched_text, m.created_utc
                FROM import_dump_mentions m JOIN inserted ON inserted.reddit_id = m.reddit_id
                ON CONFLICT (article_id, ticker_id) DO NOTHING
                RETURNING ticker_id, created_utc
            )
            SELECT (SELECT count(*) FROM inserted WHERE kind = 'post'),
                   (SELECT count(*) FROM inserted WHERE kind = 'comment'),
                   count(*), min(created_utc), max(created_utc), coalesce(array_agg(DISTINCT ticker_id), '{{}}')
            FROM linked
            """,
            {"now": now},
        )
        posts, comments, linked, lo, hi, tickers = cursor.fetchone()
    return _Merged(posts=posts, comments=comments, mentions=linked, since=lo, until=hi, tickers=set(tickers))


def _merge_orm(rows: list[dict[str, Any]], index: TickerIndex, now: datetime) -> _Merged:
    """The same merge with the ORM (SQLite): insert the fullnames not stored yet, and their mentions."""
    stored: set[str] = set()
    for chunk in chunks([row["reddit_id"] for row in rows]):
        stored.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", flat=True))
    new = [row for row in rows if row["reddit_id"] not in stored]
    merged = _Merged()
    if not new:
        return merged
    articles = Article.objects.bulk_create([Article(**row) for row in new], batch_size=500)
    ids = {a.reddit_id: a.pk for a in articles if a.pk is not None}
    if len(ids) < len(new):  # a backend that cannot return ids from a bulk insert
        for chunk in chunks([row["reddit_id"] for row in new]):
            ids.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", "id"))
    mentions = [
        Mention(article_id=ids[rid], ticker_id=ticker, confidence=conf, matched_text=text, created_utc=created)
        for rid, ticker, conf, text, created in _mention_rows(new, index)
    ]
    Mention.objects.bulk_create(mentions, batch_size=1000, ignore_conflicts=True)
    merged.posts = sum(1 for row in new if row["kind"] == "post")
    merged.comments = len(new) - merged.posts
    merged.mentions = len(mentions)
    if mentions:
        merged.since = min(m.created_utc for m in mentions)
        merged.until = max(m.created_utc for m in mentions)
        merged.tickers = {m.ticker_id for m in mentions}
    return merged


def _preview(rows: list[dict[str, Any]], index: TickerIndex, _now: datetime) -> _Merged:
    """What a merge would insert (--dry-run): reads only."""
    stored: set[str] = set()
    for chunk in chunks([row["reddit_id"] for row in rows]):
        stored.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", flat=True))
    new = [row for row in rows if row["reddit_id"] not in stored]
    merged = _Merged(posts=sum(1 for row in new if row["kind"] == "post"))
    merged.comments = len(new) - merged.posts
    merged.mentions = len(_mention_rows(new, index))
    return merged


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
    merge = _preview if checkpoint is None else (_merge_postgres if connection.vendor == "postgresql" else _merge_orm)
    reader = dump_resume(options.source, line_no=start_line, offset=start_offset, subreddits=options.subreddits)
    progress = _Progress(
        tty=options.tty, total=identity.size, label=f"import_dump {identity.source.rsplit('/', 1)[-1]}"
    )
    with reader.stream:
        kind = options.kind or (checkpoint.kind if checkpoint is not None else "") or None
        try:
            kind = reader.kind(kind=kind)
        except DumpError:
            if kind is not None:
                raise
            kind = None  # nothing to vote on (all filtered out, or a tie): each item tells its own kind
        outcome.kind = kind or ""
        batch: dict[str, dict[str, Any]] = {}
        bad_logged = 0
        last_flush = time.monotonic()
        last_line = start_line

        def flush() -> None:
            nonlocal last_flush, last_line
            line_no, offset = reader.position
            rows = list(batch.values())
            merge_started = time.monotonic()
            with transaction.atomic():
                merged = merge(rows, index, now) if rows else _Merged()
                if checkpoint is not None:
                    scope.add(merged.since, merged.until, merged.tickers)
                    totals = dict(checkpoint.counters)
                    for name in ("articles_new", "mentions"):
                        totals[name] = totals.get(name, 0) + (
                            merged.mentions if name == "mentions" else merged.posts + merged.comments
                        )
                    checkpoint.counters = totals
                    DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(
                        line_no=line_no,
                        byte_offset=offset,
                        kind=outcome.kind,
                        counters=totals,
                        scope_since=scope.since,
                        scope_until=scope.until,
                        scope_ticker_ids=sorted(scope.tickers),
                        heartbeat_at=timezone.now(),
                        updated_at=timezone.now(),
                    )
            run.incr("merge_seconds", round(time.monotonic() - merge_started, 3))
            run.incr("posts_new", merged.posts)
            run.incr("comments_new", merged.comments)
            run.incr("articles_new", merged.posts + merged.comments)
            run.incr("already_stored", len(rows) - merged.posts - merged.comments)
            run.incr("mentions", merged.mentions)
            run.incr("lines", line_no - last_line)
            run.incr("batches", 1)
            run.set("line", line_no)
            run.save_counters()
            outcome.line_no = last_line = line_no
            batch.clear()
            last_flush = time.monotonic()
            progress.update(offset, counters)

        items = dump_rows(
            reader, kind=kind, now=now, subreddits=options.subreddits, since=options.since, until=options.until
        )
        try:
            for entry in items:
                if type(entry) is BadLine:
                    run.incr("bad_lines")
                    if bad_logged < BAD_LINES_LOGGED:
                        bad_logged += 1
                        logger.warning("%s: line %d skipped: %s", options.source, entry.line_no, entry.reason)
                        if bad_logged == BAD_LINES_LOGGED:
                            logger.warning("%s: further bad lines are counted, not logged", options.source)
                    continue
                if type(entry) is Rejected:
                    run.incr("rejected")
                    run.incr(f"rejected_{entry.reason}")
                else:
                    row = entry
                    batch[row["reddit_id"]] = row
                    run.incr("accepted")
                    if len(batch) >= options.batch_size:
                        flush()
                        if run.stop_requested:
                            break
                        continue
                if run.stop_requested or time.monotonic() - last_flush >= FLUSH_SECONDS:
                    flush()
                    if run.stop_requested:
                        break
            else:
                flush()  # the end of the file: the last lines, and the checkpoint at the last line
        except DumpCorrupt:
            flush()  # every complete line before the fault is merged; the checkpoint stops there
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
            outcome.rollup_rows = rollups_refresh(
                ticker_ids=scope.tickers, since=scope.since, until=scope.until + timedelta(microseconds=1)
            )
            run.set("rollup_rows", outcome.rollup_rows)
            run.set("rollups_seconds", round(time.monotonic() - rollups_started, 3))
        DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(finished_at=timezone.now())
    outcome.seconds = time.monotonic() - started
    return outcome
