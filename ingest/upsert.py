"""Reddit items -> Article and Mention rows: the scraper's writes, and the merge rule of both writers.

`articles_upsert` stores a batch with a fixed number of queries in one transaction
(rows, mentions, checkpoint, rollups), so the checkpoint never runs ahead of the rows.
`article_change` is the one rule a live scrape and a dump import follow on the same row.
Design: docs/design/dump-import.md ("One row, two writers").
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from django.db import OperationalError, transaction

from articles.models import Article, Mention, Ticker, article_text
from articles.services import rollups_refresh_for_articles
from ingest.linker import Match, TickerSet, link
from ingest.models import ThreadCheckpoint

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
_CHUNK = 500  # ids per IN (...) lookup

DAILY_TITLE = re.compile(r"\b(daily|weekend)\s+discussion\s+thread\b", re.IGNORECASE)
MOVES_TITLE = re.compile(r"\bwhat\s+are\s+your\s+moves\s+tomorrow\b", re.IGNORECASE)

_COUNT_FIELDS = ["score", "num_comments", "updated_at"]
_TEXT_FIELDS = [
    "title",
    "body",
    "author",
    "permalink",
    "is_removed",
    "score",
    "num_comments",
    "updated_at",
    # The text changed, so the old score no longer describes it: back to the sentiment backlog.
    "sentiment_score",
    "sentiment_label",
    "sentiment_confidence",
    "sentiment_model",
    "scored_at",
    "vader_score",
    "vader_label",
]


def thread_kind(title: str) -> str | None:
    if MOVES_TITLE.search(title or ""):
        return ThreadCheckpoint.Kind.MOVES
    if DAILY_TITLE.search(title or ""):
        return ThreadCheckpoint.Kind.DAILY
    return None


# ---------------------------------------------------------------- tickers


@dataclass
class TickerIndex:
    tickers: TickerSet
    ids: dict[str, int]


def ticker_index_load() -> TickerIndex:
    """The active tickers, read once per run ("never link" takes effect on the next run)."""
    rows = list(Ticker.objects.filter(is_active=True).values_list("symbol", "id"))
    return TickerIndex(tickers=TickerSet(symbol for symbol, _ in rows), ids={symbol.upper(): pk for symbol, pk in rows})


def item_mentions(item: dict[str, Any], index: TickerIndex) -> list[Match]:
    """The ticker matches of one item's text (none for a removed one).

    The text is `article_text`'s: a comment's (or an untitled post's) is its body, so
    only a titled post makes the call (a dump import runs this for every row).
    """
    if item["is_removed"]:
        return []
    title = item["title"]
    if title and item["kind"] == "post":
        return link(article_text(kind="post", title=title, body=item["body"]), index.tickers)
    return link(item["body"], index.tickers)


# ----------------------------------------------------------------- the merge rule


class Writer(StrEnum):
    """Who writes an item: the two writers of article rows."""

    LIVE = "live"  # scrape_reddit: what Reddit shows now
    ARCHIVE = "archive"  # import_dump: a snapshot the archiver took, usually hours after the item was made


class Change(StrEnum):
    NEW = "new"  # no such row: insert it
    TEXT = "text"  # replace its text (and counts), relink, back to the sentiment backlog
    COUNTS = "counts"  # replace its score and num_comments
    NONE = "none"  # leave the row as it is


class StoredArticle(NamedTuple):
    reddit_id: str
    id: int
    score: int
    num_comments: int
    title: str
    body: str
    is_removed: bool
    author: str


def stored_articles(reddit_ids: Iterable[str]) -> dict[str, StoredArticle]:
    """The stored rows of these fullnames, as `article_change` compares them (one query per `_CHUNK`)."""
    out: dict[str, StoredArticle] = {}
    for chunk in chunks(list(reddit_ids)):
        for row in Article.objects.filter(reddit_id__in=chunk).values_list(*StoredArticle._fields):
            out[row[0]] = StoredArticle(*row)
    return out


def article_change(stored: StoredArticle | None, item: dict[str, Any], *, writer: Writer) -> Change:
    """What writing `item` over the `stored` row changes: the one merge rule of both writers.

    A missing row is inserted by either writer. A stored row is changed by a LIVE write
    only, the newest look at the item: its text when that differs (an edit, or Reddit's own
    [deleted]/[removed]), else its counts. An ARCHIVE write never changes a stored row (its
    snapshot is no newer than a live one, and of two snapshots the first stored stays);
    `ingest.dumps.merge.merge_postgres` writes that case as `ON CONFLICT DO NOTHING`. So the
    row ends as the last live write, or else the first write, in any order of the writers.
    See docs/design/dump-import.md ("One row, two writers").
    """
    if stored is None:
        return Change.NEW
    if writer is not Writer.LIVE:
        return Change.NONE
    if (stored.title, stored.body, stored.is_removed) != (item["title"], item["body"], item["is_removed"]) or (
        item["is_removed"] and stored.author != item["author"]
    ):
        return Change.TEXT
    if (stored.score, stored.num_comments) != (item["score"], item["num_comments"]):
        return Change.COUNTS
    return Change.NONE


# ----------------------------------------------------------------- writes


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    mentions: int = 0
    posts_new: int = 0
    posts_updated: int = 0
    comments_new: int = 0
    comments_updated: int = 0


def chunks(values: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def articles_upsert(
    *, items: list[dict[str, Any]], index: TickerIndex, on_commit_state: Callable[[], None] | None = None
) -> BatchResult:
    """Store one batch: insert new articles, update changed ones, relink, checkpoint, rollups.

    `on_commit_state` runs inside the same transaction (checkpoints, lock heartbeat).
    Queries grow with batches, not items.
    """
    result = BatchResult()
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        by_id[item["reddit_id"]] = item
    if not by_id and on_commit_state is None:
        return result
    with transaction.atomic():
        plan: dict[Change, list[dict[str, Any]]] = {change: [] for change in Change}
        existing = stored_articles(by_id)
        for rid, item in by_id.items():
            plan[article_change(existing.get(rid), item, writer=Writer.LIVE)].append(item)
        new = plan[Change.NEW]
        if new:
            # Another writer (a dump import) may have inserted some of them since the lookup:
            # those inserts are skipped here, and the items planned again against those rows.
            Article.objects.bulk_create([Article(**item) for item in new], batch_size=BATCH_SIZE, ignore_conflicts=True)
            now_stored = stored_articles(item["reddit_id"] for item in new)
            plan[Change.NEW] = []
            for item in new:  # NONE: the row is the one just inserted (or the same as it)
                change = article_change(now_stored[item["reddit_id"]], item, writer=Writer.LIVE)
                plan[Change.NEW if change is Change.NONE else change].append(item)
        new, texts, counts = plan[Change.NEW], plan[Change.TEXT], plan[Change.COUNTS]
        result.unchanged = len(plan[Change.NONE])
        if counts:
            Article.objects.bulk_create(
                [Article(**item) for item in counts],
                batch_size=BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["reddit_id"],
                update_fields=_COUNT_FIELDS,
            )
        if texts:
            Article.objects.bulk_create(
                [Article(**item) for item in texts],
                batch_size=BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["reddit_id"],
                update_fields=_TEXT_FIELDS,
            )
        touched = [item["reddit_id"] for item in [*new, *texts, *counts]]
        ids: dict[str, int] = {}
        for chunk in chunks(touched):
            ids.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", "id"))
        removed_tickers: set[int] = set()
        relink_changed = [ids[item["reddit_id"]] for item in texts]
        if relink_changed:
            old = Mention.objects.filter(article_id__in=relink_changed)
            removed_tickers.update(old.values_list("ticker_id", flat=True).distinct())
            old.delete()
        mentions = []
        for item in [*new, *texts]:
            for match in item_mentions(item, index):
                mentions.append(
                    Mention(
                        article_id=ids[item["reddit_id"]],
                        ticker_id=index.ids[match.symbol],
                        confidence=match.confidence,
                        matched_text=match.matched_text[:64],
                        created_utc=item["created_utc"],
                    )
                )
        if mentions:
            Mention.objects.bulk_create(mentions, batch_size=1000, ignore_conflicts=True)
        if on_commit_state is not None:
            on_commit_state()
        if touched:
            rollups_refresh_for_articles(article_ids=list(ids.values()), ticker_ids=removed_tickers)
    result.new, result.updated, result.mentions = len(new), len(texts) + len(counts), len(mentions)
    for item in new:
        if item["kind"] == "post":
            result.posts_new += 1
        else:
            result.comments_new += 1
    for item in [*texts, *counts]:
        if item["kind"] == "post":
            result.posts_updated += 1
        else:
            result.comments_updated += 1
    return result


def articles_upsert_preview(*, items: list[dict[str, Any]], index: TickerIndex) -> BatchResult:
    """What `articles_upsert` would add, read-only (for --dry-run): new items and the mentions they would get."""
    result = BatchResult()
    stored: set[str] = set()
    for chunk in chunks([i["reddit_id"] for i in items]):
        stored.update(Article.objects.filter(reddit_id__in=chunk).values_list("reddit_id", flat=True))
    for item in items:
        if item["reddit_id"] in stored:
            continue
        result.new += 1
        result.mentions += len(item_mentions(item, index))
        if item["kind"] == "post":
            result.posts_new += 1
        else:
            result.comments_new += 1
    return result


UPSERT_ATTEMPTS = 3


def articles_upsert_retrying(
    *, items: list[dict[str, Any]], index: TickerIndex, on_commit_state: Callable[[], None] | None = None
) -> BatchResult:
    """`articles_upsert`, tried again a couple of times when the batch was rolled back whole
    by a deadlock (another job refreshing the same rollup rows) or a busy SQLite file."""
    for attempt in range(1, UPSERT_ATTEMPTS + 1):
        try:
            return articles_upsert(items=items, index=index, on_commit_state=on_commit_state)
        except OperationalError as exc:
            if attempt == UPSERT_ATTEMPTS:
                raise
            logger.warning(
                "batch of %d rolled back (%s); retrying (%d/%d)",
                len(items),
                str(exc).splitlines()[0][:120],
                attempt,
                UPSERT_ATTEMPTS,
            )
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
