"""Atom feeds of surges: /feeds/surges.atom (every ticker) and /t/SYMBOL/surges.atom (one).

Django's syndication framework writes the XML (so every text is XML-escaped); the
summary is HTML (`type="html"`), built with `format_html`, so a ticker's name is
HTML-escaped inside it too. Entries read `articles.surges.selectors`, newest first.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html

from articles import selectors
from articles.models import Surge, Ticker
from articles.surges import selectors as surge_selectors
from articles.templatetags.mp_format import ratio_number

TIME = "%Y-%m-%d %H:%M UTC"


def surge_title(surge: Surge) -> str:
    """ "TSLA: 6.2x its usual level" (plain text: the feed XML-escapes it)."""
    ratio = surge.ratio
    level = f"{ratio_number(ratio)}x its usual level" if ratio is not None else "far above its usual level"
    return f"{surge.ticker.symbol}: {level}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def surge_summary(surge: Surge) -> str:
    """The numbers and the stance split, as escaped HTML."""
    scored = surge.bullish + surge.bearish + surge.neutral
    state = "ongoing" if surge.ended_at is None else f"ended {surge.ended_at:{TIME}}"
    return format_html(
        "<p>{symbol} ({name}): {authors} distinct authors where {expected} were expected ({level}), "
        "{mentions} mentions ({expected_mentions} expected); score {score}.</p>"
        "<p>Started {started}, peak hour {peak}, {state}.</p>"
        "<p>Stance during the surge: {bull} bullish, {bear} bearish of {scored} scored mentions{usual}.</p>",
        symbol=surge.ticker.symbol,
        name=surge.ticker.name,
        authors=surge.unique_authors,
        expected=f"{surge.expected:.1f}",
        level=surge_title(surge).split(": ", 1)[1],
        mentions=surge.mentions,
        expected_mentions=f"{surge.expected_mentions:.1f}",
        score=f"{surge.score:.1f}",
        started=f"{surge.started_at:{TIME}}",
        peak=f"{surge.peak_at:{TIME}}",
        state=state,
        bull=_pct(surge.bullish_pct),
        bear=_pct(surge.bearish_pct),
        scored=scored,
        usual=usual_split(surge),
    )


def usual_split(surge: Surge) -> str:
    """ " (usually 40% bullish, 25% bearish)", or "" without a baseline split."""
    if surge.usual_bullish_pct is None or surge.usual_bearish_pct is None:
        return ""
    return f" (usually {_pct(surge.usual_bullish_pct)} bullish, {_pct(surge.usual_bearish_pct)} bearish)"


class SurgesFeed(Feed):
    """Every ticker's surges, or one ticker's (`symbol` in the URL; 404 for an unknown one)."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, symbol: str | None = None) -> Ticker | None:
        if symbol is None:
            return None
        ticker = selectors.ticker_get(symbol=symbol)
        if ticker is None:
            raise Http404("unknown ticker")
        return ticker

    def title(self, obj: Ticker | None) -> str:
        return f"Market Pulse: {obj.symbol} surges" if obj else "Market Pulse: surges"

    def subtitle(self, obj: Ticker | None) -> str:
        who = f"{obj.symbol} ({obj.name})" if obj else "Tickers"
        return f"{who} talked about on Reddit far above the usual level."

    def link(self, obj: Ticker | None) -> str:
        return reverse("articles:ticker", args=[obj.symbol]) if obj else reverse("articles:home")

    def feed_url(self, obj: Ticker | None) -> str:
        return reverse("articles:ticker-surges-feed", args=[obj.symbol]) if obj else reverse("articles:surges-feed")

    def feed_guid(self, obj: Ticker | None) -> str:
        return f"tag:market-pulse,2026:surges:{obj.symbol}" if obj else "tag:market-pulse,2026:surges"

    def items(self, obj: Ticker | None) -> list[Surge]:
        return surge_selectors.surges_feed(ticker=obj)

    def item_title(self, item: Surge) -> str:
        return surge_title(item)

    def item_description(self, item: Surge) -> str:
        return surge_summary(item)

    def item_link(self, item: Surge) -> str:
        return reverse("articles:ticker", args=[item.ticker.symbol])

    def item_guid(self, item: Surge) -> str:
        # The event's natural key (one per ticker and start hour): stable across the detector's rewrites.
        return f"tag:market-pulse,2026:surge:{item.ticker.symbol}:{item.started_at:%Y-%m-%dT%H:%MZ}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Surge):
        return item.detected_at

    def item_updateddate(self, item: Surge):
        return item.updated_at
