"""Reading the bars for the pages and the API: the latest price and a ticker's bars. Web-safe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from articles.models import PriceBar, Ticker

PAGE_LIMIT = 1000


@dataclass(frozen=True)
class Quote:
    last: float
    change_pct: float | None  # against the previous trading day's close; None without one
    as_of: datetime  # the latest bar's start (a daily bar: its date at 00:00 UTC)
    interval: str


def latest_price(ticker: Ticker) -> Quote | None:
    """The latest bar's close and its change from the previous day's close. Two queries."""
    bar = PriceBar.objects.filter(ticker=ticker).order_by("-start", "interval").first()
    if bar is None:
        return None
    day = bar.start.replace(hour=0, minute=0, second=0, microsecond=0)
    before = (
        PriceBar.objects.filter(ticker=ticker, interval=PriceBar.Interval.DAY, start__lt=day)
        .order_by("-start")
        .values_list("close", flat=True)
        .first()
    )
    change = float((bar.close - before) / before * 100) if before else None
    return Quote(last=float(bar.close), change_pct=change, as_of=bar.start, interval=bar.interval)


def ticker_bars(*, ticker: Ticker, since: datetime | None, interval: str, limit: int = PAGE_LIMIT) -> list[PriceBar]:
    """The ticker's bars of one interval from `since`, oldest first, at most `limit`. One query."""
    qs = PriceBar.objects.filter(ticker=ticker, interval=interval)
    if since is not None:
        qs = qs.filter(start__gte=since)
    return list(qs.order_by("start")[:limit])
