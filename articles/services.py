"""Writes in the articles domain that more than one job uses.

Rollups: `TickerHourly` rows are recomputed from raw articles for a scope
(tickers x an hour range) with one aggregate query and one upsert, so callers can
refresh just what a batch touched. Mentions count by their effective stance on
their ticker (a reviewer's `reviewed_stance` overrides the model's `stance`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, NullIf, TruncHour
from django.utils import timezone

from articles.models import COUNT_MAX, Article, Mention, StanceLabel, Ticker, TickerHourly

_ROLLUP_FIELDS = [
    "mentions",
    "posts",
    "comments",
    "unique_authors",
    "upvotes",
    "scored",
    "positive",
    "negative",
    "neutral",
    "sentiment_sum",
]
_UPSERT_BATCH = 1000
#: The most a rollup row's `upvotes` can hold: 2**16 of them (seven years of one ticker's
#: hours) still sum within a bigint, as the leaderboard sums them.
UPVOTES_MAX = 2**47 - 1


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


_TICKER_CHUNK = 200


def rollups_refresh(
    *,
    ticker_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Recompute the hourly rollups for `ticker_ids` (all when None) in [since, until).

    `since` is floored and `until` ceiled to whole hours; None means unbounded.
    Rows in the scope that no longer have any mention are deleted. Safe to run
    concurrently with another refresh: rows are upserted on (ticker, hour).
    A full rebuild works through the tickers a chunk at a time (one transaction
    each), so memory stays bounded at a million articles.
    Returns the number of rollup rows written.
    """
    if since is not None:
        since = _floor_hour(since)
    if until is not None and until != _floor_hour(until):
        until = _floor_hour(until) + timedelta(hours=1)
    if ticker_ids is None:
        ticker_ids = sorted(Ticker.objects.values_list("pk", flat=True))
    else:
        ticker_ids = sorted(set(ticker_ids))
    written = 0
    for start in range(0, len(ticker_ids), _TICKER_CHUNK):
        written += _rollups_refresh_scope(ticker_ids[start : start + _TICKER_CHUNK], since, until)
    return written


def _rollups_refresh_scope(ticker_ids: list[int], since: datetime | None, until: datetime | None) -> int:
    with transaction.atomic():
        _rollups_delete_emptied(ticker_ids, since, until)
        return _rollups_upsert(rollup_rows(ticker_ids, since, until))


def _rollups_delete_emptied(ticker_ids: list[int], since: datetime | None, until: datetime | None) -> None:
    """Delete the rollup rows in scope whose hour has no mention left (unlinked, never-link);
    the database finds them itself rather than shipping the scope to Python."""
    scope = TickerHourly.objects.filter(ticker_id__in=ticker_ids)
    if since is not None:
        scope = scope.filter(hour__gte=since)
    if until is not None:
        scope = scope.filter(hour__lt=until)
    still_mentioned = Mention.objects.filter(
        ticker_id=OuterRef("ticker_id"),
        created_utc__gte=OuterRef("hour"),
        created_utc__lt=ExpressionWrapper(OuterRef("hour") + timedelta(hours=1), output_field=DateTimeField()),
    )
    scope.filter(~Exists(still_mentioned)).delete()


def rollup_rows(ticker_ids: list[int], since: datetime | None, until: datetime | None) -> QuerySet:
    """The rollup rows of these tickers' mentions in [since, until): a values() queryset of
    ticker_id, hour and `_ROLLUP_FIELDS`, one row per (ticker, hour) with a mention (the one
    definition of what a rollup row holds)."""
    mentions = Mention.objects.filter(ticker_id__in=ticker_ids)
    if since is not None:
        mentions = mentions.filter(created_utc__gte=since)
    if until is not None:
        mentions = mentions.filter(created_utc__lt=until)
    # Each mention counts by its effective stance on this ticker (`Mention.effective_stance`);
    # the rollup columns keep their names: positive = bullish, negative = bearish.
    effective = Coalesce(NullIf(F("reviewed_stance"), Value("")), NullIf(F("stance"), Value("")))
    signed = Case(
        When(reviewed_stance=StanceLabel.BULLISH, then=Value(1.0)),
        When(reviewed_stance=StanceLabel.BEARISH, then=Value(-1.0)),
        When(reviewed_stance=StanceLabel.NEUTRAL, then=Value(0.0)),
        default=Coalesce(F("stance_score"), Value(0.0)),
        output_field=FloatField(),
    )
    return (
        mentions.annotate(hour=TruncHour("created_utc"), label=effective)
        .values("ticker_id", "hour")
        .annotate(
            mentions=Count("id"),
            posts=Count("id", filter=Q(article__kind=Article.Kind.POST)),
            comments=Count("id", filter=Q(article__kind=Article.Kind.COMMENT)),
            unique_authors=Count("article__author", distinct=True, filter=~Q(article__author__in=["", "[deleted]"])),
            upvotes=_clamped(Coalesce(Sum(_clamped(F("article__score"), COUNT_MAX)), 0), UPVOTES_MAX),
            scored=Count("id", filter=Q(label__isnull=False)),
            positive=Count("id", filter=Q(label=StanceLabel.BULLISH)),
            negative=Count("id", filter=Q(label=StanceLabel.BEARISH)),
            neutral=Count("id", filter=Q(label=StanceLabel.NEUTRAL)),
            sentiment_sum=Coalesce(Sum(signed, filter=Q(label__isnull=False)), Value(0.0)),
        )
        .order_by()
    )


def _clamped(expression, bound: int):
    """`expression` within [-bound, bound], in SQL: a score stored before the edge clamped
    counts (up to the bigint maximum) adds at most COUNT_MAX, and a total never overflows."""
    big = BigIntegerField()
    return Least(Greatest(expression, Value(-bound), output_field=big), Value(bound), output_field=big)


def _rollups_upsert(rows: QuerySet) -> int:
    """Write the aggregate `rows` (ticker_id, hour and `_ROLLUP_FIELDS`, by those names) into
    TickerHourly in ONE statement, `INSERT ... SELECT ... ON CONFLICT (ticker, hour) DO
    UPDATE`, on PostgreSQL and SQLite alike; returns the rows written.

    The aggregate stays `rollup_rows` (its SQL is Django's); only the write is ours. The
    rows never come to Python: a TickerHourly per row and a bulk upsert of them (the way
    before) cost about 90 us of client CPU per rollup row, most of a refresh
    (`benchmarks/bench_rollups.py`, BENCHMARKS.md "Rollup refresh").
    They are written in (ticker, hour) order, the order every refresh takes its row locks
    in, so two refreshes running at once queue behind each other, not deadlock. SQLite
    needs the WHERE to parse an upsert whose rows come from a SELECT.
    """
    connection = connections[rows.db]
    select, params = rows.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    keys = ["ticker_id", "hour"]
    columns = ", ".join(quote(c) for c in [*keys, *_ROLLUP_FIELDS, "updated_at"])
    values = ", ".join(f"r.{quote(c)}" for c in [*keys, *_ROLLUP_FIELDS])
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in [*_ROLLUP_FIELDS, "updated_at"])
    statement = (
        f"INSERT INTO {quote(TickerHourly._meta.db_table)} ({columns}) "
        f"SELECT {values}, %s FROM ({select}) r WHERE 1 = 1 ORDER BY r.{quote('ticker_id')}, r.{quote('hour')} "
        f"ON CONFLICT ({', '.join(quote(c) for c in keys)}) DO UPDATE SET {updates}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(statement, [now, *params])
        return cursor.rowcount


def rollups_refresh_for_articles(*, article_ids: Iterable[int], ticker_ids: Iterable[int] = ()) -> int:
    """Refresh the rollups a set of articles feeds: their tickers over their hour range.

    Pass `ticker_ids` as well when mentions were just removed (the unlinked tickers
    are no longer reachable through the articles' mentions).
    """
    article_ids = list(article_ids)
    if not article_ids:
        return 0
    tickers = set(ticker_ids)
    bounds = {"lo": None, "hi": None}
    for start in range(0, len(article_ids), _UPSERT_BATCH):
        chunk = article_ids[start : start + _UPSERT_BATCH]
        tickers.update(Mention.objects.filter(article_id__in=chunk).values_list("ticker_id", flat=True).distinct())
        agg = Article.objects.filter(pk__in=chunk).aggregate(lo=Min("created_utc"), hi=Max("created_utc"))
        if agg["lo"] is not None:
            bounds["lo"] = agg["lo"] if bounds["lo"] is None else min(bounds["lo"], agg["lo"])
            bounds["hi"] = agg["hi"] if bounds["hi"] is None else max(bounds["hi"], agg["hi"])
    if not tickers or bounds["lo"] is None:
        return 0
    return rollups_refresh(ticker_ids=tickers, since=bounds["lo"], until=bounds["hi"] + timedelta(microseconds=1))
