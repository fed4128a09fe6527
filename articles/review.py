"""Sentiment review: the writes reviewers make, and the "Needs review" queue.

A review sets an article's label and its mentions' stances (one decision for a
one-ticker article), in one transaction followed by a rollup refresh of exactly what it
touched, so pages change at once. The queue's review value: docs/design/review.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Ln
from django.utils import timezone

from articles.leaderboard import top_tickers
from articles.models import LABEL_TO_STANCE, LABEL_VALUES, STANCE_VALUES, Article, Mention, Ticker
from articles.services import rollups_refresh, rollups_refresh_for_articles

QUEUE_TOP_N = 10
QUEUE_DAYS = 7
WEIGHT_UNSURE = 2.0
WEIGHT_DISAGREE = 1.5
WEIGHT_UPVOTES = 1.0
WEIGHT_TOP_TICKER = 1.0
UPVOTES_FULL = 1000
_BATCH = 1000


def _ids(article_ids: Iterable[int]) -> list[int]:
    return sorted({int(pk) for pk in article_ids})


def _update_in_chunks(ids: list[int], queryset_filter, **values) -> int:
    """One UPDATE per _BATCH ids (SQLite caps bound parameters), all in one transaction."""
    updated = 0
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            updated += queryset_filter(Article.objects.filter(pk__in=ids[start : start + _BATCH])).update(**values)
    return updated


def _single_ticker(ids: list[int]) -> list[int]:
    """Of `ids`, the articles with exactly one mention."""
    out: list[int] = []
    for start in range(0, len(ids), _BATCH):
        out.extend(
            Mention.objects.filter(article_id__in=ids[start : start + _BATCH])
            .values("article_id")
            .annotate(n=Count("id"))
            .filter(n=1)
            .values_list("article_id", flat=True)
        )
    return out


def _mentions_in_chunks(article_ids: list[int], queryset_filter, **values) -> int:
    updated = 0
    for start in range(0, len(article_ids), _BATCH):
        qs = Mention.objects.filter(article_id__in=article_ids[start : start + _BATCH])
        updated += queryset_filter(qs).update(**values)
    return updated


def review_mark(
    *, article_ids: Iterable[int], label: str, reviewer, now: datetime | None = None, only_unreviewed: bool = False
) -> int:
    """Store a reviewer's label on the articles (model output untouched); refresh rollups.

    An article that mentions exactly one ticker gets that mention's stance reviewed too
    (positive -> bullish ...): for it, the text's sentiment and the stance are one decision.
    With `only_unreviewed`, articles someone else reviewed meanwhile are left alone
    (the check is part of the UPDATE, so two reviewers cannot both win).
    Returns the number of articles updated.
    """
    if label not in LABEL_VALUES:
        raise ValueError(f"label must be one of {', '.join(LABEL_VALUES)}, not {label!r}")
    ids = _ids(article_ids)
    if not ids:
        return 0
    now = now or timezone.now()
    updated = 0
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            qs = Article.objects.filter(pk__in=chunk)
            if only_unreviewed:
                qs = qs.filter(reviewed_label="")
            updated += qs.update(reviewed_label=label, reviewed_by=reviewer, reviewed_at=now, updated_at=now)
            # The ones this UPDATE won: our exact time and label (another reviewer may have won some).
            won = list(
                Article.objects.filter(pk__in=chunk, reviewed_at=now, reviewed_label=label).values_list("pk", flat=True)
            )
            _mentions_in_chunks(
                _single_ticker(won),
                lambda qs: qs,
                reviewed_stance=LABEL_TO_STANCE[label],
                stance_reviewed_at=now,
            )
    if updated:
        rollups_refresh_for_articles(article_ids=ids)
    return updated


def review_clear(*, article_ids: Iterable[int]) -> int:
    """Remove every review from the articles: their label and their mentions' stances (the
    model's count again); refresh rollups. Returns the number of articles that had a review."""
    ids = _ids(article_ids)
    if not ids:
        return 0
    now = timezone.now()
    cleared: set[int] = set()
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            cleared.update(Article.objects.filter(pk__in=chunk).exclude(reviewed_label="").values_list("pk", flat=True))
            cleared.update(
                Mention.objects.filter(article_id__in=chunk)
                .exclude(reviewed_stance="")
                .values_list("article_id", flat=True)
            )
        _update_in_chunks(
            ids,
            lambda qs: qs.exclude(reviewed_label=""),
            reviewed_label="",
            reviewed_by=None,
            reviewed_at=None,
            updated_at=now,
        )
        _mentions_in_chunks(ids, lambda qs: qs.exclude(reviewed_stance=""), reviewed_stance="", stance_reviewed_at=None)
    if cleared:
        rollups_refresh_for_articles(article_ids=cleared)
    return len(cleared)


def review_requeue(*, article_ids: Iterable[int]) -> int:
    """Send the articles back to analyze_sentiment: they become unscored (scored_at NULL).

    The model fields are cleared together (the "label and time together" constraint),
    and so are their mentions' model stances; VADER's opinion and any human review are
    kept. Until re-scored, an unreviewed mention counts as a mention without sentiment
    in the rollups.
    """
    ids = _ids(article_ids)
    if not ids:
        return 0
    with transaction.atomic():
        updated = _update_in_chunks(
            ids,
            lambda qs: qs.exclude(scored_at__isnull=True),
            scored_at=None,
            sentiment_label="",
            sentiment_score=None,
            sentiment_confidence=None,
            sentiment_model="",
            updated_at=timezone.now(),
        )
        _mentions_in_chunks(
            ids, lambda qs: qs.exclude(stance=""), stance="", stance_score=None, stance_model="", stance_cues=[]
        )
    if updated:
        rollups_refresh_for_articles(article_ids=ids)
    return updated


def _refresh_mentions(rows: list[tuple[int, datetime]]) -> None:
    """Refresh the rollups of exactly these (ticker, created) mentions: their tickers over their hours."""
    if rows:
        moments = [created for _, created in rows]
        rollups_refresh(
            ticker_ids={ticker_id for ticker_id, _ in rows},
            since=min(moments),
            until=max(moments) + timedelta(microseconds=1),
        )


def stance_mark(*, mention_ids: Iterable[int], stance: str, now: datetime | None = None) -> int:
    """Store a reviewer's stance on the mentions (the model's stance untouched); refresh the
    rollups of their tickers only. Returns the number of mentions updated."""
    if stance not in STANCE_VALUES:
        raise ValueError(f"stance must be one of {', '.join(STANCE_VALUES)}, not {stance!r}")
    ids = _ids(mention_ids)
    if not ids:
        return 0
    now = now or timezone.now()
    rows: list[tuple[int, datetime]] = []
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            chunk = Mention.objects.filter(pk__in=ids[start : start + _BATCH])
            rows.extend(chunk.values_list("ticker_id", "created_utc"))
            chunk.update(reviewed_stance=stance, stance_reviewed_at=now)
    _refresh_mentions(rows)
    return len(rows)


def stance_clear(*, mention_ids: Iterable[int]) -> int:
    """Remove the reviewer's stance from the mentions (the model's counts again); refresh rollups."""
    ids = _ids(mention_ids)
    if not ids:
        return 0
    rows: list[tuple[int, datetime]] = []
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            chunk = Mention.objects.filter(pk__in=ids[start : start + _BATCH]).exclude(reviewed_stance="")
            rows.extend(chunk.values_list("ticker_id", "created_utc"))
            chunk.update(reviewed_stance="", stance_reviewed_at=None)
    _refresh_mentions(rows)
    return len(rows)


def mention_unlink(*, mention_ids: Iterable[int]) -> int:
    """Delete wrong ticker mentions; refresh the rollups of their articles and tickers."""
    ids = sorted({int(pk) for pk in mention_ids})
    if not ids:
        return 0
    rows: list[tuple[int, int, int]] = []
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            found = list(Mention.objects.filter(pk__in=chunk).values_list("pk", "article_id", "ticker_id"))
            Mention.objects.filter(pk__in=[r[0] for r in found]).delete()
            rows.extend(found)
    if not rows:
        return 0
    rollups_refresh_for_articles(article_ids={r[1] for r in rows}, ticker_ids={r[2] for r in rows})
    return len(rows)


def ticker_unlink_flagged(*, ticker_ids: Iterable[int]) -> dict[str, int]:
    """Delete every mention of the given tickers that are flagged "never link", and
    rebuild their rollups (which then disappear). Active tickers are left alone.

    Deletes in batches so a ticker with a million mentions never holds one huge
    transaction. Returns {"tickers": n, "mentions": n}.
    """
    flagged = list(Ticker.objects.filter(pk__in=list(ticker_ids), is_active=False).values_list("pk", flat=True))
    removed = 0
    for ticker_id in flagged:
        while True:
            with transaction.atomic():
                batch = list(Mention.objects.filter(ticker_id=ticker_id).values_list("pk", flat=True)[:_BATCH])
                if not batch:
                    break
                removed += Mention.objects.filter(pk__in=batch).delete()[0]
    if flagged:
        rollups_refresh(ticker_ids=flagged)
    return {"tickers": len(flagged), "mentions": removed}


# --- The queue ------------------------------------------------------------------------


def top_ticker_ids(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Today's top list: the ids of the QUEUE_TOP_N top tickers of the last 24 hours
    (`articles.leaderboard.top_tickers`). One query."""
    limit = QUEUE_TOP_N if limit is None else limit
    return [t.ticker_id for t in top_tickers(limit=limit, now=now)]


def review_queue(*, now: datetime | None = None, top_ids: list[int] | None = None) -> QuerySet[Article]:
    """Unreviewed, scored, not-removed articles of the last QUEUE_DAYS days, most worth reviewing first.

    Annotates `review_value` (the formula: docs/design/review.md);
    `review_value_parts` splits it for display.
    """
    now = now or timezone.now()
    if top_ids is None:
        top_ids = top_ticker_ids(now=now)
    unsure = Value(WEIGHT_UNSURE) * (Value(1.0) - Coalesce(F("sentiment_confidence"), Value(0.0)))
    disagree = Case(
        When(~Q(vader_label="") & ~Q(vader_label=F("sentiment_label")), then=Value(WEIGHT_DISAGREE)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    upvotes = Value(WEIGHT_UPVOTES) * Least(
        Value(1.0),
        Ln(Value(1.0) + Cast(Greatest(F("score"), Value(0)), FloatField())) / Value(math.log(1 + UPVOTES_FULL)),
    )
    since = now - timedelta(days=QUEUE_DAYS)
    # Correlated EXISTS: one probe of the (article, ticker) unique index per candidate,
    # linear in the candidates. (An uncorrelated `pk IN (mentions of top tickers)` was
    # a little faster while its hash fit in work_mem, and quadratic once it did not:
    # over all history at 1M articles it ran for more than 15 minutes.)
    top = Case(
        When(
            Exists(Mention.objects.filter(article_id=OuterRef("pk"), ticker_id__in=top_ids or [0])),
            then=Value(WEIGHT_TOP_TICKER),
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        Article.objects.filter(reviewed_label="", scored_at__isnull=False, is_removed=False, created_utc__gte=since)
        # One expression (not four annotations added up): each part, the top-ticker
        # subplan above all, is then computed once per row.
        .annotate(review_value=unsure + disagree + upvotes + top)
        .order_by("-review_value", "-score", "-created_utc", "-pk")
    )


def review_value_parts(article: Article, *, top_ids: Iterable[int]) -> dict[str, float]:
    """The four terms of an article's review value, computed as the SQL does (for display).

    Reads `article.tickers.all()` (prefetch it) for the top-ticker term.
    """
    top = set(top_ids)
    return {
        "unsure": WEIGHT_UNSURE * (1.0 - (article.sentiment_confidence or 0.0)),
        "disagree": WEIGHT_DISAGREE if article.vader_label and article.vader_label != article.sentiment_label else 0.0,
        "upvotes": WEIGHT_UPVOTES * min(1.0, math.log(1.0 + max(article.score, 0)) / math.log(1 + UPVOTES_FULL)),
        "top": WEIGHT_TOP_TICKER if any(t.pk in top for t in article.tickers.all()) else 0.0,
    }


def review_queue_page(*, offset: int, size: int, top_ids: list[int] | None = None, prefetch=()) -> list[Article]:
    """Evaluate one page of the queue.

    On PostgreSQL the query runs with JIT off: its cost estimate (tens of thousands
    of candidate rows) triggers JIT compilation, which EXPLAIN ANALYZE at a million
    articles showed taking 0.78 s of the query's 1.8 s, for nothing in return.
    """
    queue = review_queue(top_ids=top_ids).prefetch_related(*prefetch)[offset : offset + size]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return list(queue)
