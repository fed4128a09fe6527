"""Reads for the site and the API: the ticker page, article lists, browse/search, and the
sentiment backlog. (The leaderboard and the top tickers live in `articles.leaderboard`.)

Aggregates come from the hourly rollups (`TickerHourly`), never from raw articles;
article lists walk the `Mention(ticker, -created_utc, -article)` index with a
keyset cursor. Every function here runs a small, fixed number of queries (the
view tests pin them), whatever the size of the tables.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Min, Q, Sum, Value, When
from django.db.models.functions import Length, TruncDay
from django.utils.dateparse import parse_datetime

from articles.leaderboard import (
    LEADERBOARD_CACHE_SECONDS,
    LabelSplit,
    mood_label,
    net_sentiment,
    rollups_version,
    window_end,
)
from articles.models import LABEL_TO_STANCE, SYMBOL_RE, Article, Mention, Ticker, TickerHourly

# Ticker-page ranges, in hours.
RANGES: dict[str, int] = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30, "90d": 24 * 90}
DAILY_RANGES = {"30d", "90d"}
TOP_CANDIDATES = 1000
SORTS = ("new", "top")
KINDS = ("post", "comment")
LABELS = ("positive", "negative", "neutral")


class InvalidCursor(ValueError):
    """A pagination cursor that this code did not produce (or for another sort)."""


# --- Ticker page ------------------------------------------------------------------------------


def ticker_get(*, symbol: str) -> Ticker | None:
    symbol = (symbol or "").strip().upper()
    if not SYMBOL_RE.fullmatch(symbol):  # same rule as the ticker_symbol_format constraint
        return None
    return Ticker.objects.filter(symbol=symbol).first()


@dataclass
class TimelinePoint(LabelSplit):
    start: datetime
    mentions: int = 0
    posts: int = 0
    comments: int = 0
    upvotes: int = 0
    scored: int = 0
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    sentiment_sum: float = 0.0

    @property
    def sentiment(self) -> float | None:
        return net_sentiment(positive=self.positive, negative=self.negative, scored=self.scored)


@dataclass
class Timeline:
    range: str
    granularity: str  # "hour" or "day"
    start: datetime
    end: datetime
    points: list[TimelinePoint]
    totals: TimelinePoint

    @property
    def bullish_pct(self) -> float | None:
        return self.totals.bullish_pct

    @property
    def bearish_pct(self) -> float | None:
        return self.totals.bearish_pct

    @property
    def neutral_pct(self) -> float | None:
        return self.totals.neutral_pct

    @property
    def mood(self) -> str:
        return mood_label(self.totals.sentiment)


_SUMS = ("mentions", "posts", "comments", "upvotes", "scored", "positive", "negative", "neutral", "sentiment_sum")


def timeline_cache_key(*, ticker: Ticker, range_: str, version: str | None = None) -> str:
    """Identifies a ticker's timeline for this hour and this version of the rollups (one light query)."""
    version = rollups_version() if version is None else version
    return f"mp:tl:{ticker.pk}:{range_}:{window_end().timestamp():.0f}:{version}"


def ticker_timeline_cached(*, ticker: Ticker, range_: str = "7d") -> Timeline:
    """`ticker_timeline`, cached per process under the rollups' version (one light query on a hit)."""
    key = timeline_cache_key(ticker=ticker, range_=range_)
    timeline = cache.get(key)
    if timeline is None:
        timeline = ticker_timeline(ticker=ticker, range_=range_)
        cache.set(key, timeline, LEADERBOARD_CACHE_SECONDS)
    return timeline


def timeline_span(range_: str, now: datetime | None = None) -> tuple[datetime, datetime, timedelta]:
    """`(start, end, step)` of a ticker chart over `range_`: whole hours for 24h/7d, whole
    UTC days for 30d/90d, the current (partial) hour or day last. No query."""
    hours = RANGES[range_]
    end = window_end(now)
    if range_ in DAILY_RANGES:
        day_end = end.replace(hour=0) + timedelta(days=1) if end.hour else end
        return day_end - timedelta(days=hours // 24), day_end, timedelta(days=1)
    return end - timedelta(hours=hours), end, timedelta(hours=1)


def ticker_timeline(*, ticker: Ticker, range_: str = "7d", now: datetime | None = None) -> Timeline:
    """Mentions and sentiment over `range_`: hourly for 24h/7d, daily for 30d/90d. One query."""
    start, end, step = timeline_span(range_, now)
    daily = range_ in DAILY_RANGES
    qs = TickerHourly.objects.filter(ticker=ticker, hour__gte=start, hour__lt=end)
    if daily:
        rows = qs.annotate(bucket=TruncDay("hour")).values_list("bucket").annotate(*(Sum(f) for f in _SUMS)).order_by()
    else:
        rows = qs.values_list("hour", *_SUMS)
    found = {row[0]: row[1:] for row in rows}
    points = []
    totals = [0] * len(_SUMS)
    moment = start
    while moment < end:
        values = found.get(moment)
        if values is None:
            points.append(TimelinePoint(start=moment))
        else:
            values = [v or 0 for v in values]
            points.append(TimelinePoint(moment, *values))
            totals = [a + b for a, b in zip(totals, values, strict=True)]
        moment += step
    totals = TimelinePoint(start, *totals)
    return Timeline(
        range=range_, granularity="day" if daily else "hour", start=start, end=end, points=points, totals=totals
    )


def encode_cursor(*, sort: str, article: Article) -> str:
    key = article.created_utc.isoformat() if sort == "new" else str(article.score)
    raw = f"{sort}|{key}|{article.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort: str) -> tuple[datetime | int, int]:
    """The (key, article id) a cursor from `encode_cursor` holds; InvalidCursor for anything else.

    A cursor comes from the client, so every value is checked against what this
    code writes and the columns hold: a datetime in UTC (PostgreSQL refuses an
    offset past 15:59, and an offset can push 0001-01-01 out of range), an id and
    upvotes that fit their integer columns.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, key, pk = raw.split("|")
        article_id = int(pk)
        value: datetime | int | None = parse_datetime(key) if kind == "new" else int(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("cursor is not valid") from None
    if (
        kind != sort
        or value is None
        or not 1 <= article_id < 2**63  # Article.id, a bigint
        or (isinstance(value, datetime) and value.utcoffset() != timedelta(0))
        or (isinstance(value, int) and not -(2**31) <= value < 2**31)  # Article.score, an integer
    ):
        raise InvalidCursor("cursor is not valid for this sort")
    return value, article_id


@dataclass
class ArticlePage:
    articles: list[Article]
    next_cursor: str | None
    sort: str


def ticker_articles(
    *,
    ticker: Ticker,
    sort: str = "new",
    label: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    since: datetime | None = None,
    limit: int = 25,
) -> ArticlePage:
    """Articles that mention `ticker`, newest first or most upvoted first, keyset-paginated. One query.

    "new" walks the Mention(ticker, -created_utc, -article) index from the cursor;
    "top" sorts by upvotes the newest TOP_CANDIDATES mentions within `since` (the
    page's range), so its cost stays bounded for the busiest ticker.
    `label` (positive/negative/neutral) filters on the mention's effective stance on
    THIS ticker (bullish/bearish/neutral: a reviewer's, else the model's), the same
    count the rollups make. Each article carries `ticker_stance` and
    `ticker_stance_reviewed` for display.
    """
    mentions = Mention.objects.filter(ticker=ticker)
    if since is not None:
        mentions = mentions.filter(created_utc__gte=since)
    stance = LABEL_TO_STANCE[label] if label else None
    stance_q = Q(reviewed_stance=stance) | Q(reviewed_stance="", stance=stance) if stance else Q()
    kind_q = Q(article__kind=kind) if kind else Q()
    if sort == "new":
        qs = mentions.select_related("article").filter(stance_q, kind_q)
        if cursor:
            at, article_id = decode_cursor(cursor, sort="new")
            qs = qs.filter(Q(created_utc__lt=at) | Q(created_utc=at, article_id__lt=article_id))
        found = list(qs.order_by("-created_utc", "-article_id")[: limit + 1])
    else:
        # Bounded work at any size: rank the newest TOP_CANDIDATES mentions in range by
        # upvotes (one index range scan + PK lookups), not every mention of a busy ticker.
        newest = mentions.order_by("-created_utc", "-article_id").values("pk")[:TOP_CANDIDATES]
        qs = Mention.objects.filter(stance_q, kind_q, pk__in=newest).select_related("article")
        if cursor:
            score, article_id = decode_cursor(cursor, sort="top")
            qs = qs.filter(Q(article__score__lt=score) | Q(article__score=score, article_id__lt=article_id))
        found = list(qs.order_by("-article__score", "-article_id")[: limit + 1])
    rows = []
    for m in found:
        article = m.article
        article.ticker_stance = m.reviewed_stance or m.stance
        article.ticker_stance_reviewed = bool(m.reviewed_stance)
        rows.append(article)
    articles = rows[:limit]
    next_cursor = encode_cursor(sort=sort, article=articles[-1]) if len(rows) > limit else None
    return ArticlePage(articles=articles, next_cursor=next_cursor, sort=sort)


# --- Browse / search ----------------------------------------------------------------------------


def ticker_search(*, q: str, limit: int = 50) -> list[Ticker]:
    """Tickers whose symbol starts with `q` or whose name contains it. One query.

    Ranked: the exact symbol, then symbols starting with `q` (shortest first, so `T` lists
    TSLA before the hundreds of names with a "t" in them), then names starting with it, then
    names with a word starting with it, then any other name containing it.
    """
    q = q.strip()
    qs = Ticker.objects.all()
    if q:
        rank = Case(
            When(symbol__iexact=q, then=Value(0)),
            When(symbol__istartswith=q, then=Value(1)),
            When(name__istartswith=q, then=Value(2)),
            When(name__icontains=f" {q}", then=Value(3)),
            default=Value(4),
            output_field=IntegerField(),
        )
        qs = (
            qs.filter(Q(symbol__istartswith=q) | Q(name__icontains=q))
            .annotate(rank=rank, symbol_length=Length("symbol"))
            .order_by("rank", "symbol_length", "symbol")
        )
    else:
        qs = qs.order_by("symbol")
    return list(qs.only("symbol", "name", "is_etf", "exchange")[:limit])


# --- The sentiment backlog --------------------------------------------------------------------------


def backlog_condition() -> Q:
    """Articles waiting for a sentiment score: unscored and not removed.

    This is the one definition of the backlog: `analyze_sentiment` claims exactly
    these (`sentiment.selectors.claimable_condition`), and the `backlog` metric,
    /api/v1/status and `daily_status` count them. A removed article ([deleted] or
    [removed] on Reddit) has no text to score and is never scored, so it is not
    backlog: counting it would leave a backlog that no run can ever clear.
    """
    return Q(scored_at__isnull=True, is_removed=False)


def articles_backlog_count() -> int:
    """How many articles wait for a score (see `backlog_condition`). One query."""
    return Article.objects.filter(backlog_condition()).count()


@dataclass(frozen=True)
class Backlog:
    total: int  # articles that can be scored (not removed)
    scored: int
    unscored: int  # the backlog: `articles_backlog_count()`
    oldest_unscored_seen_at: datetime | None


def backlog_summary() -> Backlog:
    """Scored vs waiting among the articles that can be scored, and when the oldest waiting
    one was first seen. One query."""
    agg = Article.objects.filter(is_removed=False).aggregate(
        total=Count("id"),
        unscored=Count("id", filter=backlog_condition()),
        oldest=Min("first_seen_at", filter=backlog_condition()),
    )
    return Backlog(
        total=agg["total"],
        scored=agg["total"] - agg["unscored"],
        unscored=agg["unscored"],
        oldest_unscored_seen_at=agg["oldest"],
    )
