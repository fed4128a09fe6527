"""Reads of recorded surges for the home strip, the ticker page, the API and the feeds.

Web-safe: the ORM only (no numpy, scipy, nor the detector). Every function is one query
on the `surge_started_idx` index or the unique (ticker, started_at) index, newest first
(`started_at`, then id, descending); lists are keyset-paginated like the article lists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Surge, Ticker
from articles.selectors import InvalidCursor

NOW_HOURS = 6  # the home strip: open surges and those ended within this many hours
NOW_LIMIT = 8
PAGE_SIZE = 50
FEED_SIZE = 50
TICKER_LIMIT = 50


def surge_span(surge: Surge) -> tuple[datetime, datetime]:
    """`[start, end)` of the hours a surge covers: to `ended_at`, or past its last judged hour while open."""
    return surge.started_at, surge.ended_at or surge.last_hour + timedelta(hours=1)


def surges_now(*, now: datetime | None = None, hours: int = NOW_HOURS, limit: int = NOW_LIMIT) -> list[Surge]:
    """Surges open or ended within the last `hours`, newest first. One query.

    An open one counts while its last judged hour is that recent: one left open by a detector
    that stopped running is not "now" for days.
    """
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    recent = Q(ended_at__isnull=True, last_hour__gte=since) | Q(ended_at__gte=since)
    qs = Surge.objects.filter(recent, started_at__lte=now).select_related("ticker")
    return list(qs.order_by("-started_at", "-id")[:limit])


def encode_cursor(surge: Surge) -> str:
    raw = f"surge|{surge.started_at.isoformat()}|{surge.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (started_at, id) an `encode_cursor` cursor holds; InvalidCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, key, pk = raw.split("|")
        surge_id = int(pk)
        started = parse_datetime(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("cursor is not valid") from None
    if kind != "surge" or started is None or started.utcoffset() != timedelta(0) or not 1 <= surge_id < 2**63:
        raise InvalidCursor("cursor is not valid for surges")
    return started, surge_id


@dataclass
class SurgePage:
    surges: list[Surge]
    next_cursor: str | None


def surges_page(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    ticker: Ticker | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> SurgePage:
    """Surges that started in `[since, until)`, of one ticker or all, newest first, keyset-paginated. One query."""
    qs = Surge.objects.select_related("ticker")
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    if until is not None:
        qs = qs.filter(started_at__lt=until)
    if ticker is not None:
        qs = qs.filter(ticker=ticker)
    if cursor:
        started, surge_id = decode_cursor(cursor)
        qs = qs.filter(Q(started_at__lt=started) | Q(started_at=started, id__lt=surge_id))
    found = list(qs.order_by("-started_at", "-id")[: limit + 1])
    surges = found[:limit]
    return SurgePage(surges=surges, next_cursor=encode_cursor(surges[-1]) if len(found) > limit else None)


def surges_feed(*, ticker: Ticker | None = None, limit: int = FEED_SIZE) -> list[Surge]:
    """The newest `limit` surges (of one ticker, or all) for an Atom feed. One query."""
    return surges_page(ticker=ticker, limit=limit).surges


def ticker_surges(*, ticker: Ticker, since: datetime | None = None, limit: int = TICKER_LIMIT) -> list[Surge]:
    """One ticker's surges still running at or after `since` (the chart's start), newest first. One query.

    The ticker page draws them on its chart and lists them under it, from this one list.
    """
    qs = Surge.objects.filter(ticker=ticker)
    if since is not None:
        qs = qs.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
    surges = list(qs.order_by("-started_at", "-id")[:limit])
    for surge in surges:
        surge.ticker = ticker  # no second query for the symbol
    return surges


def surges_fingerprint(surges: list[Surge]) -> str:
    """A short key that changes when any of `surges` is added, removed or rewritten (for caches)."""
    raw = ",".join(f"{s.pk}.{s.updated_at.isoformat()}" for s in surges)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
