"""The alert body: one JSON object Slack (`text`) and Discord (`content`) accept as it is, plus
the surge's structured fields, and its signature (HMAC-SHA256 of the raw body)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from articles.models import Surge

SIGNATURE_HEADER = "X-MarketPulse-Signature"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return round(value, digits) if value is not None else None


def ticker_url(symbol: str) -> str:
    """The ticker page: absolute with SITE_URL set, else its path."""
    return f"{settings.SITE_URL}{reverse('articles:ticker', args=[symbol])}"


def alert_line(surge: Surge, symbol: str, url: str) -> str:
    """The one human line: ticker, how many times its usual level, since when, the stance."""
    ratio = surge.ratio
    times = f" ({ratio:.1f}x usual)" if ratio is not None else ""
    stance = ""
    if surge.bullish_pct is not None:
        stance = f", {surge.bullish_pct:.0f}% bullish / {surge.bearish_pct:.0f}% bearish"
    since = surge.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"${symbol} is surging: {surge.unique_authors} authors vs {surge.expected:.1f} expected{times} "
        f"since {since}{stance} (score {surge.score:.1f}) {url}"
    )


def alert_payload(surge: Surge) -> dict:
    symbol = surge.ticker.symbol
    url = ticker_url(symbol)
    line = alert_line(surge, symbol, url)
    return {
        "text": line,  # Slack
        "content": line,  # Discord
        "symbol": symbol,
        "started_at": _iso(surge.started_at),
        "ended_at": _iso(surge.ended_at),
        "peak_at": _iso(surge.peak_at),
        "mentions": surge.mentions,
        "expected": round(surge.expected, 2),
        "unique_authors": surge.unique_authors,
        "score": round(surge.score, 2),
        "bullish_pct": _rounded(surge.bullish_pct),
        "bearish_pct": _rounded(surge.bearish_pct),
        "url": url,
    }


def alert_body(surge: Surge) -> bytes:
    return json.dumps(alert_payload(surge), separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes, secret: str) -> str:
    """The header's value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
