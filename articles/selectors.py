"""Reads for the site and the API.

Aggregates come from the hourly rollups (`TickerHourly`), never from raw articles;
article lists walk the `Mention(ticker, -created_utc, -article)` index with a
keyset cursor. Every function here runs a small, fixed number of queries (the
view tests pin them), whatever the size of the tables.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import SYMBOL_RE, Article, Mention, Ticker, TickerHourly
from marketpulse.models import JobRun

# Home/leaderboard windows and ticker-page ranges, in hours.
WINDOWS: dict[str, int] = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30}
RANGES: dict[str, int] = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30, "90d": 24 * 90}
DAILY_RANGES = {"30d", "90d"}
SPARK_BARS = 24
TOP_CANDIDATES = 1000
SORTS = ("new", "top")
KINDS = ("post", "comment")
LABELS = ("positive", "negative", "neutral")
MOOD_THRESHOLD = 0.05
LEADERBOARD_CACHE_SECONDS = 60  # the version in the key catches rollup changes; this bounds ticker renames/ETF flags
JOB_COMMANDS = ("scrape_reddit", "analyze_sentiment", "refresh_rollups", "daily_status")


class InvalidCursor(ValueError):
    """A pagination cursor that this code did not produce (or for another sort)."""


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window_end(now: datetime | None = None) -> datetime:
    """The exclusive end of every window: the end of the current (partial) hour."""
    return _floor_hour(now or timezone.now()) + timedelta(hours=1)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _net(sentiment_sum: float, scored: int) -> float | None:
    return round(sentiment_sum / scored, 3) if scored else None


def mood_label(net: float | None) -> str:
    if net is None:
        return "unknown"
    if net > MOOD_THRESHOLD:
        return "bullish"
    if net < -MOOD_THRESHOLD:
        return "bearish"
    return "neutral"


class LabelSplit:
    """Bullish / bearish / neutral shares of the scored mentions.

    For any row with `positive`, `negative`, `neutral` and `scored` counts.
    """

    positive: int
    negative: int
    neutral: int
    scored: int

    @property
    def bullish_pct(self) -> float | None:
        return _pct(self.positive, self.scored)

    @property
    def bearish_pct(self) -> float | None:
        return _pct(self.negative, self.scored)

    @property
    def neutral_pct(self) -> float | None:
        return _pct(self.neutral, self.scored)


# --- Leaderboard (home page, /api/v1/tickers) ---------------------------------------------


@dataclass
class LeaderRow(LabelSplit):
    rank: int
    rank_prev: int | None
    symbol: str
    name: str
    is_etf: bool
    mentions: int
    mentions_prev: int
    upvotes: int
    scored: int
    positive: int
    negative: int
    neutral: int
    sentiment: float | None
    ticker_id: int = 0
    spark: list[int] = field(default_factory=list)

    @property
    def rank_change(self) -> int | None:
        """Places climbed since the previous window (positive = up); None when new."""
        return None if self.rank_prev is None else self.rank_prev - self.rank

    @property
    def mentions_change_pct(self) -> float | None:
        if not self.mentions_prev:
            return None
        return round(100.0 * (self.mentions - self.mentions_prev) / self.mentions_prev, 1)

    @property
    def mood(self) -> str:
        return mood_label(self.sentiment)


@dataclass
class Mood(LabelSplit):
    mentions: int
    scored: int
    positive: int
    negative: int
    neutral: int
    sentiment: float | None

    @property
    def label(self) -> str:
        return mood_label(self.sentiment)


@dataclass
class Leaderboard:
    window: str
    start: datetime
    end: datetime
    rows: list[LeaderRow]
    total: int
    page: int
    page_size: int
    mood: Mood
    include_etfs: bool
    cache_key: str = ""  # identifies this exact result (window, page, data version): keys rendered fragments

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def rollups_version() -> str:
    """The newest rollup write, as a cache-key part: one probe of tickerhourly_updated_idx."""
    latest = TickerHourly.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return f"{latest.timestamp():.6f}" if latest else "0"


def ticker_leaderboard(
    *, window: str = "24h", include_etfs: bool = True, page: int = 1, page_size: int = 50, now: datetime | None = None
) -> Leaderboard:
    """Top tickers by mentions in `window`, ranked, with the previous window beside them.

    One query for the version of the rollups in scope; on a cache miss, two more:
    one aggregate over the rollups of both windows (the `TickerHourly(hour, ticker)`
    index bounds it to 2 x window hours), one for the sparklines of this page.
    """
    hours = WINDOWS[window]
    end = window_end(now)
    start = end - timedelta(hours=hours)
    prev_start = start - timedelta(hours=hours)
    scope = TickerHourly.objects.filter(hour__gte=prev_start, hour__lt=end)
    # The data version: every rollup refresh upserts rows with a new updated_at, so the
    # newest one (one probe of the tickerhourly_updated_idx index, whatever the table
    # size) changes whenever the rollups do. The aggregate below then runs once per
    # version and process. A refresh that only deletes rows (its ticker-hours lost
    # their last mention) does not move it: LEADERBOARD_CACHE_SECONDS bounds that case.
    key = f"mp:board:{window}:{int(include_etfs)}:{page}:{page_size}:{end.timestamp():.0f}:{rollups_version()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    board = _leaderboard(
        scope,
        window=window,
        include_etfs=include_etfs,
        page=page,
        page_size=page_size,
        start=start,
        end=end,
        hours=hours,
    )
    board.cache_key = key
    cache.set(key, board, LEADERBOARD_CACHE_SECONDS)
    return board


def _leaderboard(
    qs, *, window: str, include_etfs: bool, page: int, page_size: int, start: datetime, end: datetime, hours: int
) -> Leaderboard:
    cur = Q(hour__gte=start)
    if not include_etfs:
        qs = qs.filter(ticker__is_etf=False)
    aggregates = (
        qs.values("ticker_id", "ticker__symbol", "ticker__name", "ticker__is_etf")
        .annotate(
            m=Sum("mentions", filter=cur, default=0),
            mp=Sum("mentions", filter=~cur, default=0),
            up=Sum("upvotes", filter=cur, default=0),
            sc=Sum("scored", filter=cur, default=0),
            pos=Sum("positive", filter=cur, default=0),
            neg=Sum("negative", filter=cur, default=0),
            neu=Sum("neutral", filter=cur, default=0),
            ss=Sum("sentiment_sum", filter=cur, default=0.0),
        )
        .order_by()
    )
    data = list(aggregates)
    # Ranks: by mentions, then upvotes, then symbol (a stable, total order).
    prev_sorted = sorted((r for r in data if r["mp"] > 0), key=lambda r: (-r["mp"], r["ticker__symbol"]))
    prev_rank = {r["ticker_id"]: i for i, r in enumerate(prev_sorted, start=1)}
    current = sorted((r for r in data if r["m"] > 0), key=lambda r: (-r["m"], -r["up"], r["ticker__symbol"]))
    mood = Mood(
        mentions=sum(r["m"] for r in current),
        scored=sum(r["sc"] for r in current),
        positive=sum(r["pos"] for r in current),
        negative=sum(r["neg"] for r in current),
        neutral=sum(r["neu"] for r in current),
        sentiment=_net(sum(r["ss"] for r in current), sum(r["sc"] for r in current)),
    )
    offset = (page - 1) * page_size
    rows = [
        LeaderRow(
            rank=offset + i,
            rank_prev=prev_rank.get(r["ticker_id"]),
            ticker_id=r["ticker_id"],
            symbol=r["ticker__symbol"],
            name=r["ticker__name"],
            is_etf=r["ticker__is_etf"],
            mentions=r["m"],
            mentions_prev=r["mp"],
            upvotes=r["up"],
            scored=r["sc"],
            positive=r["pos"],
            negative=r["neg"],
            neutral=r["neu"],
            sentiment=_net(r["ss"], r["sc"]),
        )
        for i, r in enumerate(current[offset : offset + page_size], start=1)
    ]
    if rows:
        _fill_sparklines(rows, start=start, end=end, hours=hours)
    return Leaderboard(
        window=window,
        start=start,
        end=end,
        rows=rows,
        total=len(current),
        page=page,
        page_size=page_size,
        mood=mood,
        include_etfs=include_etfs,
    )


def _fill_sparklines(rows: list[LeaderRow], *, start: datetime, end: datetime, hours: int) -> None:
    """24 bars per ticker: mentions per hour (24h), per 7 hours (7d), per 30 hours (30d)."""
    bucket = timedelta(hours=hours // SPARK_BARS)
    by_id = {r.ticker_id: r for r in rows}
    for r in rows:
        r.spark = [0] * SPARK_BARS
    points = TickerHourly.objects.filter(ticker_id__in=list(by_id), hour__gte=start, hour__lt=end).values_list(
        "ticker_id", "hour", "mentions"
    )
    for ticker_id, hour, mentions in points:
        index = min(SPARK_BARS - 1, int((hour - start) / bucket))
        by_id[ticker_id].spark[index] += mentions


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
        return _net(self.sentiment_sum, self.scored)


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


def ticker_timeline(*, ticker: Ticker, range_: str = "7d", now: datetime | None = None) -> Timeline:
    """Mentions and sentiment over `range_`: hourly for 24h/7d, daily for 30d/90d. One query."""
    hours = RANGES[range_]
    end = window_end(now)
    daily = range_ in DAILY_RANGES
    if daily:
        # Whole UTC days, the current (partial) one last.
        day_end = end.replace(hour=0) + timedelta(days=1) if end.hour else end
        start = day_end - timedelta(days=hours // 24)
        end = day_end
        step = timedelta(days=1)
    else:
        start = end - timedelta(hours=hours)
        step = timedelta(hours=1)
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
    `label` is the effective label (a reviewer's, else the model's).
    """
    mentions = Mention.objects.filter(ticker=ticker)
    if since is not None:
        mentions = mentions.filter(created_utc__gte=since)
    label_q = Q(reviewed_label=label) | Q(reviewed_label="", sentiment_label=label) if label else Q()
    kind_q = Q(kind=kind) if kind else Q()
    if sort == "new":
        qs = mentions.select_related("article").filter(
            Q(article__reviewed_label=label) | Q(article__reviewed_label="", article__sentiment_label=label)
            if label
            else Q(),
            Q(article__kind=kind) if kind else Q(),
        )
        if cursor:
            at, article_id = decode_cursor(cursor, sort="new")
            qs = qs.filter(Q(created_utc__lt=at) | Q(created_utc=at, article_id__lt=article_id))
        rows = [m.article for m in qs.order_by("-created_utc", "-article_id")[: limit + 1]]
    else:
        # Bounded work at any size: rank the newest TOP_CANDIDATES mentions in range by
        # upvotes (one index range scan + PK lookups), not every mention of a busy ticker.
        newest = mentions.order_by("-created_utc", "-article_id").values("article_id")[:TOP_CANDIDATES]
        qs = Article.objects.filter(label_q, kind_q, id__in=newest)
        if cursor:
            score, article_id = decode_cursor(cursor, sort="top")
            qs = qs.filter(Q(score__lt=score) | Q(score=score, id__lt=article_id))
        rows = list(qs.order_by("-score", "-id")[: limit + 1])
    articles = rows[:limit]
    next_cursor = encode_cursor(sort=sort, article=articles[-1]) if len(rows) > limit else None
    return ArticlePage(articles=articles, next_cursor=next_cursor, sort=sort)


# --- Browse / search ----------------------------------------------------------------------------


def ticker_search(*, q: str, limit: int = 50) -> list[Ticker]:
    """Tickers whose symbol starts with `q` or whose name contains it; exact symbol first. One query."""
    q = q.strip()
    qs = Ticker.objects.all()
    if q:
        qs = (
            qs.filter(Q(symbol__istartswith=q) | Q(name__icontains=q))
            .annotate(exact=Case(When(symbol__iexact=q, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("exact", "symbol")
        )
    else:
        qs = qs.order_by("symbol")
    return list(qs.only("symbol", "name", "is_etf", "exchange")[:limit])


# --- Freshness and status -------------------------------------------------------------------------


@dataclass
class Freshness:
    last_success: datetime | None
    stale_after_minutes: int
    now: datetime

    @property
    def minutes_ago(self) -> int | None:
        if self.last_success is None:
            return None
        return max(0, int((self.now - self.last_success).total_seconds() // 60))

    @property
    def stale(self) -> bool:
        return self.last_success is None or self.minutes_ago > self.stale_after_minutes


def scraper_freshness(*, now: datetime | None = None) -> Freshness:
    """When the scraper last succeeded (JobRun), and whether that is too long ago. One query."""
    last = (
        JobRun.objects.filter(command="scrape_reddit", status=JobRun.Status.SUCCEEDED, finished_at__isnull=False)
        .order_by("-started_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return Freshness(last_success=last, stale_after_minutes=settings.STALE_AFTER_MINUTES, now=now or timezone.now())


def jobs_status() -> dict:
    """The last run of each job, the scoring backlog and the scraper's freshness. Four queries."""
    latest = (
        JobRun.objects.values("command")
        .annotate(last=Max("started_at"))
        .order_by("command")
        .values_list("command", "last")
    )
    pairs = list(latest)
    runs: list[JobRun] = []
    if pairs:
        cond = Q()
        for command, started in pairs:
            cond |= Q(command=command, started_at=started)
        seen = set()
        for run in JobRun.objects.filter(cond).order_by("command", "-pk"):
            if run.command not in seen:
                seen.add(run.command)
                runs.append(run)
    backlog = Article.objects.filter(scored_at__isnull=True).count()
    return {"runs": runs, "backlog": backlog, "freshness": scraper_freshness()}
