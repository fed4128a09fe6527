"""Reddit items -> Article and Mention rows: the write side of scrape_reddit, with no praw.

An *item* is a dict of Article fields (`ingest.reddit.submission_item` /
`comment_item` make them from praw objects; the benchmarks and tests build them by
hand). Nothing here imports praw or `ingest.reddit`.

Writes are batched: `articles_upsert` stores up to `BATCH_SIZE` items with a fixed
number of queries (look up existing rows, upsert new/changed ones, replace the
mentions of re-linked articles, move the checkpoint, refresh the rollups), all in
one transaction. So the checkpoint can never run ahead of the rows, and a run
killed at any line leaves either the whole batch or none of it; the next run
re-fetches and upserts by Reddit fullname, so nothing is lost or doubled.

The rollups are refreshed inside the batch's transaction (the contract asks for a
refresh after every committed batch; doing it before the commit makes the two
atomic, so a kill between them cannot leave stale rollups behind).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

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
        existing: dict[str, tuple] = {}
        for chunk in chunks(list(by_id)):
            for row in Article.objects.filter(reddit_id__in=chunk).values_list(
                "reddit_id", "id", "score", "num_comments", "title", "body", "is_removed", "author"
            ):
                existing[row[0]] = row
        new, counts, texts = [], [], []
        for rid, item in by_id.items():
            row = existing.get(rid)
            if row is None:
                new.append(item)
            elif (row[4], row[5], row[6]) != (item["title"], item["body"], item["is_removed"]) or (
                item["is_removed"] and row[7] != item["author"]
            ):
                texts.append(item)
            elif (row[2], row[3]) != (item["score"], item["num_comments"]):
                counts.append(item)
            else:
                result.unchanged += 1
        if new or counts:
            Article.objects.bulk_create(
                [Article(**item) for item in [*new, *counts]],
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
