"""The leaderboard (home page, /api/v1/tickers) and "the top tickers of the last 24 hours".

Read from the hourly rollups, never raw articles; the one home of the window
(`window_bounds`), the ranking (`rank_key`) and the scope (linkable tickers only).
The definitions: docs/design/site.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone

from articles.models import TickerHourly

# Home/leaderboard windows, in hours.
WINDOWS: dict[str, int] = {"24h": 24, "7d": 24 * 7, "30d": 24 * 30}
LAST_24H = "24h"
SPARK_BARS = 24
MOOD_THRESHOLD = 0.05
LEADERBOARD_CACHE_SECONDS = 60  # the version in the key catches rollup changes; this bounds ticker renames/ETF flags
#: The scope of every ranking: linkable tickers only (docs/design/site.md).
RANKED = Q(ticker__is_active=True)
#: `rank_key` as a queryset ordering, over the annotations `m` (mentions), `up` (upvotes).
RANK_ORDER = ("-m", "-up", "ticker__symbol")


def rank_key(*, mentions: int, upvotes: int, symbol: str) -> tuple[int, int, str]:
    """The one ranking of tickers: most mentions, then most upvotes, then symbol A-Z."""
    return (-mentions, -upvotes, symbol)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window_end(now: datetime | None = None) -> datetime:
    """The exclusive end of every window: the end of the current (partial) hour."""
    return _floor_hour(now or timezone.now()) + timedelta(hours=1)


def window_bounds(window: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """`[start, end)` of a leaderboard window: `WINDOWS[window]` whole rollup hours, the
    current (partial) hour last."""
    end = window_end(now)
    return end - timedelta(hours=WINDOWS[window]), end


def last_24h(now: datetime | None = None) -> tuple[datetime, datetime]:
    """ "The last 24 hours", as the home page and `daily_status` mean it: the 24 hourly
    rollup buckets ending with the current one, `[start, end)`."""
    return window_bounds(LAST_24H, now)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def net_sentiment(*, positive: int, negative: int, scored: int) -> float | None:
    """The net stance of the scored mentions, (bullish - bearish) / scored, in [-1, 1].

    Made from the same counts as the bullish/neutral/bearish split, so a figure, a bar's
    colour and the split beside it never disagree (docs/design/site.md, "Net sentiment").
    """
    return round((positive - negative) / scored, 3) if scored else None


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
    start, end = window_bounds(window, now)
    prev_start = start - timedelta(hours=hours)
    scope = TickerHourly.objects.filter(RANKED, hour__gte=prev_start, hour__lt=end)
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
            upp=Sum("upvotes", filter=~cur, default=0),
            sc=Sum("scored", filter=cur, default=0),
            pos=Sum("positive", filter=cur, default=0),
            neg=Sum("negative", filter=cur, default=0),
            neu=Sum("neutral", filter=cur, default=0),
        )
        .order_by()
    )
    data = list(aggregates)
    # Ranks, in both windows: `rank_key` (mentions, then upvotes, then symbol).
    prev_sorted = sorted(
        (r for r in data if r["mp"] > 0),
        key=lambda r: rank_key(mentions=r["mp"], upvotes=r["upp"], symbol=r["ticker__symbol"]),
    )
    prev_rank = {r["ticker_id"]: i for i, r in enumerate(prev_sorted, start=1)}
    current = sorted(
        (r for r in data if r["m"] > 0),
        key=lambda r: rank_key(mentions=r["m"], upvotes=r["up"], symbol=r["ticker__symbol"]),
    )
    mood = Mood(
        mentions=sum(r["m"] for r in current),
        scored=sum(r["sc"] for r in current),
        positive=sum(r["pos"] for r in current),
        negative=sum(r["neg"] for r in current),
        neutral=sum(r["neu"] for r in current),
        sentiment=net_sentiment(
            positive=sum(r["pos"] for r in current),
            negative=sum(r["neg"] for r in current),
            scored=sum(r["sc"] for r in current),
        ),
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
            sentiment=net_sentiment(positive=r["pos"], negative=r["neg"], scored=r["sc"]),
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


# --- The top tickers of the last 24 hours (daily_status, the review queue, the admin) ---------------


@dataclass(frozen=True)
class TopTicker(LabelSplit):
    ticker_id: int
    symbol: str
    mentions: int
    upvotes: int
    posts: int
    comments: int
    scored: int
    positive: int
    negative: int
    neutral: int
    sentiment: float | None  # the net sentiment of the scored mentions, as on the pages


def top_tickers(*, limit: int, window: str = LAST_24H, now: datetime | None = None) -> list[TopTicker]:
    """The first `limit` rows of the leaderboard for `window` (default: the last 24 hours):
    same window, same scope, same ranking (`rank_key`), ETFs included. One query."""
    start, end = window_bounds(window, now)
    rows = (
        TickerHourly.objects.filter(RANKED, hour__gte=start, hour__lt=end)
        .values("ticker_id", "ticker__symbol")
        .annotate(
            m=Sum("mentions"),
            up=Sum("upvotes"),
            p=Sum("posts"),
            c=Sum("comments"),
            sc=Sum("scored"),
            pos=Sum("positive"),
            neg=Sum("negative"),
            neu=Sum("neutral"),
        )
        .filter(m__gt=0)
        .order_by(*RANK_ORDER)[:limit]
    )
    return [
        TopTicker(
            ticker_id=r["ticker_id"],
            symbol=r["ticker__symbol"],
            mentions=r["m"],
            upvotes=r["up"],
            posts=r["p"],
            comments=r["c"],
            scored=r["sc"],
            positive=r["pos"],
            negative=r["neg"],
            neutral=r["neu"],
            sentiment=net_sentiment(positive=r["pos"], negative=r["neg"], scored=r["sc"]),
        )
        for r in rows
    ]
