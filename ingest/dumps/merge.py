"""The writes of `import_dump`: one batch of clean rows -> articles and mentions.

A dump only inserts (`ingest.upsert.article_change`, the rule the scraper follows too):
`COPY` plus one `ON CONFLICT DO NOTHING` statement on PostgreSQL, on `MergePool` threads
that commit in file order; the ORM on SQLite. Design: docs/design/dump-import.md.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from articles.models import Article, Mention
from ingest.upsert import Change, TickerIndex, Writer, article_change, chunks, item_mentions, stored_articles
from ingest.validation import ROW_KEYS

MENTION_COLUMNS = ("reddit_id", "ticker_id", "confidence", "matched_text", "created_utc")
_ARTICLE_COLUMNS = ", ".join(ROW_KEYS)
# The staging columns' types, in ROW_KEYS / MENTION_COLUMNS order (binary COPY needs them).
_ARTICLE_TYPES = (
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "text",
    "text",
    "varchar",
    "varchar",
    "int8",
    "int8",
    "bool",
    "timestamptz",
)
_MENTION_TYPES = ("varchar", "int8", "float8", "varchar", "timestamptz")
_STAGING_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS import_dump_articles ("
    "reddit_id varchar(20), kind varchar(8), subreddit varchar(64), parent_post_id varchar(20), "
    "title text, body text, author varchar(64), permalink varchar(512), score bigint, "
    "num_comments bigint, is_removed boolean, created_utc timestamptz) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS import_dump_mentions ("
    "reddit_id varchar(20), ticker_id bigint, confidence double precision, matched_text varchar(64), "
    "created_utc timestamptz) ON COMMIT DELETE ROWS",
)


@dataclass
class Merged:
    """What one merged batch inserted."""

    posts: int = 0
    comments: int = 0
    mentions: int = 0
    since: datetime | None = None
    until: datetime | None = None
    tickers: set[int] = field(default_factory=set)
    seconds: float = 0.0  # the batch's transaction, merge to commit (waiting for its turn included)


@dataclass
class Batch:
    """One batch of accepted rows and the reader's position after its last line."""

    seq: int
    rows: list[dict[str, Any]]
    mentions: list[tuple]
    line_no: int
    offset: int
    dropped: int = 0  # rows left out because an earlier batch still in flight holds the same fullname


def mention_rows(rows: list[dict[str, Any]], index: TickerIndex) -> list[tuple]:
    """(reddit_id, ticker_id, confidence, matched_text, created_utc) for every ticker each row mentions."""
    ids = index.ids
    out = []
    for row in rows:
        for match in item_mentions(row, index):
            out.append(
                (row["reddit_id"], ids[match.symbol], match.confidence, match.matched_text[:64], row["created_utc"])
            )
    return out


def merge_postgres(rows: list[dict[str, Any]], mentions: list[tuple], now: datetime) -> Merged:
    """COPY the batch into TEMP staging tables, then one INSERT ... ON CONFLICT DO NOTHING for both tables."""
    article_table, mention_table = Article._meta.db_table, Mention._meta.db_table
    with connection.cursor() as cursor:
        # The commit need not wait for the WAL flush: if the server crashes, the last batches
        # are lost together with the checkpoint rows in the same transactions, and the rerun
        # reads them again. It saves a disk flush per batch; nothing else changes.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        for ddl in _STAGING_DDL:  # per session, emptied at every commit: the staging never outlives its batch
            cursor.execute(ddl)
        # Binary COPY: a quarter of the client CPU of the text format, and less parsing for the server.
        with cursor.copy(f"COPY import_dump_articles ({_ARTICLE_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_ARTICLE_TYPES)
            write = copy.write_row
            for row in rows:
                write(
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
            with cursor.copy(
                f"COPY import_dump_mentions ({', '.join(MENTION_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_MENTION_TYPES)
                write = copy.write_row
                for mention in mentions:
                    write(mention)
        cursor.execute(
            f"""
            WITH inserted AS (
                INSERT INTO {article_table} ({_ARTICLE_COLUMNS}, first_seen_at, updated_at,
                    sentiment_label, sentiment_model, vader_label, reviewed_label)
                SELECT {_ARTICLE_COLUMNS}, %(now)s, %(now)s, '', '', '', '' FROM import_dump_articles
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
    return Merged(posts=posts, comments=comments, mentions=linked, since=lo, until=hi, tickers=set(tickers))


def _new(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the merge rule (`article_change`, as an ARCHIVE write) inserts: those not stored yet."""
    stored = stored_articles(row["reddit_id"] for row in rows)
    return [
        row for row in rows if article_change(stored.get(row["reddit_id"]), row, writer=Writer.ARCHIVE) is Change.NEW
    ]


def merge_orm(rows: list[dict[str, Any]], mentions: list[tuple], now: datetime) -> Merged:
    """The same merge with the ORM (SQLite): insert the fullnames not stored yet, and their mentions."""
    new = _new(rows)
    merged = Merged()
    if not new:
        return merged
    articles = Article.objects.bulk_create([Article(**row) for row in new], batch_size=500)
    ids = {a.reddit_id: a.pk for a in articles if a.pk is not None}
    if len(ids) < len(new):  # a backend that cannot return ids from a bulk insert
        for chunk in chunks([row["reddit_id"] for row in new]):
            ids.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", "id"))
    objs = [
        Mention(article_id=ids[rid], ticker_id=ticker, confidence=conf, matched_text=text, created_utc=created)
        for rid, ticker, conf, text, created in mentions
        if rid in ids
    ]
    Mention.objects.bulk_create(objs, batch_size=1000, ignore_conflicts=True)
    merged.posts = sum(1 for row in new if row["kind"] == "post")
    merged.comments = len(new) - merged.posts
    merged.mentions = len(objs)
    if objs:
        merged.since = min(m.created_utc for m in objs)
        merged.until = max(m.created_utc for m in objs)
        merged.tickers = {m.ticker_id for m in objs}
    return merged


def merge_preview(rows: list[dict[str, Any]], mentions: list[tuple], _now: datetime) -> Merged:
    """What a merge would insert (--dry-run): reads only."""
    new = _new(rows)
    inserted = {row["reddit_id"] for row in new}
    merged = Merged(posts=sum(1 for row in new if row["kind"] == "post"))
    merged.comments = len(new) - merged.posts
    merged.mentions = sum(1 for mention in mentions if mention[0] in inserted)
    return merged


# ------------------------------------------------------------------ the pool


class MergeAborted(Exception):
    """A batch gave up its commit because an earlier batch failed (its transaction rolled back)."""


class MergePool:
    """Merge batches on `workers` threads while the caller reads on; commit them in order.

    Each worker has its own database connection (Django's are per thread) and merges a
    batch in one transaction: `merge(rows, mentions, now)`, then, **in sequence order**,
    `on_turn(batch, merged)` (the caller writes the checkpoint there) and the commit.
    Batch N waits for batch N-1's commit before its own, so a checkpoint is only ever
    written when every line before it is committed: a kill at any moment loses at most
    the batches in flight, which the rerun reads again. The merges themselves (the
    expensive part) run side by side; only the commits queue.

    One hazard the order creates, and how it is avoided: if batch N inserted a fullname
    that batch N-1 also holds, N-1 would wait on N's row lock while N waits for N-1's
    commit, a deadlock the database cannot see. `submit` therefore leaves out of a batch
    the fullnames of the batches still in flight (at most `workers - 1` before it):
    those rows are already being inserted, and "a dump never overwrites" makes the later
    copy a no-op anyway; they count as already stored.

    Errors: the first exception in a worker (a lost connection, a constraint) is kept;
    later batches roll back instead of committing, `submit`/`results` raise it, and
    `close` waits for the threads. Results (batch, merged) come back on the caller's
    thread through `results()`, so the JobRun and the progress bar stay single-threaded.

    `workers=0`: no threads; `submit` merges and commits the batch on the caller's
    connection before it returns (SQLite, `--dry-run`, `--workers 0`), raising its error.
    """

    def __init__(
        self,
        *,
        workers: int,
        merge: Callable[[list[dict[str, Any]], list[tuple], datetime], Merged],
        on_turn: Callable[[Batch, Merged], None],
        now: datetime,
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 or more")
        self.workers = workers
        self._merge, self._on_turn, self._now = merge, on_turn, now
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._done: queue.Queue[tuple[Batch, Merged]] = queue.Queue()
        self._cond = threading.Condition()
        self._turn = 0  # the sequence number allowed to commit next
        self._error: BaseException | None = None
        self._recent: list[set[str]] = []  # fullnames of the batches that may still be in flight
        self._seq = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"import_dump-merge-{n}", daemon=True) for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- caller side

    def submit(self, rows: list[dict[str, Any]], mentions: list[tuple], *, line_no: int, offset: int) -> None:
        """Queue a batch (blocks while every worker is busy and one batch waits); raises a worker's error."""
        in_flight = set().union(*self._recent) if self._recent else set()
        dropped = 0
        if in_flight:
            kept = [row for row in rows if row["reddit_id"] not in in_flight]
            dropped = len(rows) - len(kept)
            if dropped:
                rows = kept
                mentions = [m for m in mentions if m[0] not in in_flight]
        if self.workers > 1:
            # When a worker takes this batch, every batch `workers` or more back has committed
            # (the queue is FIFO and the commits are in order): only the last workers - 1 can
            # overlap the next one.
            self._recent.append({row["reddit_id"] for row in rows})
            del self._recent[: len(self._recent) - (self.workers - 1)]
        batch = Batch(seq=self._seq, rows=rows, mentions=mentions, line_no=line_no, offset=offset, dropped=dropped)
        self._seq += 1
        if not self._threads:
            self._finish(batch, self._commit(batch))
            return
        while True:
            self._raise_if_failed()
            try:
                self._queue.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue

    def results(self) -> list[tuple[Batch, Merged]]:
        """The batches committed since the last call (raises a worker's error)."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                break
        self._raise_if_failed()
        return out

    def close(self) -> list[tuple[Batch, Merged]]:
        """Wait for every queued batch to commit; the last results. Raises a worker's error after the wait."""
        for _ in self._threads:
            while any(thread.is_alive() for thread in self._threads):  # the workers drain the queue to the end
                try:
                    self._queue.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue
        for thread in self._threads:
            thread.join()
        return self.results()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    # -- the merge of one batch

    def _commit(self, batch: Batch) -> Merged:
        """Merge the batch in one transaction and commit it in its turn (raises MergeAborted if that never comes)."""
        started = time.monotonic()
        with transaction.atomic():
            merged = self._merge(batch.rows, batch.mentions, self._now) if batch.rows else Merged()
            self._wait_turn(batch.seq)
            self._on_turn(batch, merged)
        merged.seconds = time.monotonic() - started
        return merged

    def _finish(self, batch: Batch, merged: Merged) -> None:
        with self._cond:
            self._turn = batch.seq + 1
            self._cond.notify_all()
        self._done.put((batch, merged))

    # -- worker side

    def _work(self) -> None:
        try:
            while True:
                batch = self._queue.get()
                if batch is None:
                    return
                if self._error is not None:
                    continue  # drain: nothing after a failure commits
                try:
                    merged = self._commit(batch)
                except MergeAborted:
                    continue
                except BaseException as exc:  # handed to the caller's thread
                    with self._cond:
                        if self._error is None:
                            self._error = exc
                        self._cond.notify_all()
                    continue
                self._finish(batch, merged)
        finally:
            connection.close()

    def _wait_turn(self, seq: int) -> None:
        with self._cond:
            while self._turn != seq:
                if self._error is not None:
                    raise MergeAborted
                self._cond.wait(timeout=1.0)
            if self._error is not None:
                raise MergeAborted
