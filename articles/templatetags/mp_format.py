"""Small number formatters for the page templates (all return plain text; autoescape still applies)."""

from __future__ import annotations

from datetime import UTC

from django import template
from django.utils import timezone
from django.utils.text import slugify

from articles import charts
from articles.leaderboard import mood_label

register = template.Library()
DASH = "\u2013"


@register.filter
def pct(value) -> str:
    return DASH if value is None else f"{value:.0f}%"


def _no_negative_zero(value: float, digits: int) -> float:
    rounded = round(value, digits)
    return 0.0 if rounded == 0 else rounded


@register.filter
def net(value) -> str:
    return DASH if value is None else f"{_no_negative_zero(value, 2):+.2f}"


@register.filter
def signed_pct(value) -> str:
    return DASH if value is None else f"{_no_negative_zero(value, 0):+.0f}%"


@register.filter
def compact(value) -> str:
    if value is None:
        return DASH
    n = abs(value)
    sign = "-" if value < 0 else ""
    if n >= 1_000_000:
        return f"{sign}{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{sign}{n / 1000:.0f}k"
    if n >= 1_000:
        return f"{sign}{n / 1000:.1f}k"
    return f"{value}"


@register.filter
def rank_move(change) -> str:
    """Arrow and places for a rank change (positive = climbed); 'new' when absent before."""
    if change is None:
        return "new"
    if change > 0:
        return f"\u25b2{change}"
    if change < 0:
        return f"\u25bc{-change}"
    return "="


@register.filter
def tone(value) -> str:
    """CSS class for a signed number: pos, neg or neu."""
    return {"bullish": "pos", "bearish": "neg"}.get(mood_label(value), "neu")


@register.filter
def move_tone(value) -> str:
    if value is None or value == 0:
        return "neu"
    return "pos" if value > 0 else "neg"


SPARK_UNITS = {"24h": "hour", "7d": "7 hours", "30d": "30 hours"}


@register.filter
def sparkline_svg(row, window: str):
    """A leaderboard row's 24-bar sparkline as inline SVG (title escaped by format_html)."""
    chart = charts.sparkline(row.spark)
    unit = SPARK_UNITS.get(window, "bucket")
    return charts.render_sparkline(
        chart,
        title=f"{row.symbol}: mentions per {unit}, {chart['total']} in total, peak {chart['max']}",
        title_id=f"spark-{slugify(row.symbol)}",
    )


def ratio_number(ratio: float) -> str:
    """A times-usual figure: one decimal under 10 ("6.2"), whole above ("12", "400")."""
    return f"{ratio:.1f}" if ratio < 10 else f"{ratio:.0f}"


@register.filter
def times(ratio) -> str:
    """A surge's level against its usual one: "6.2×" (plain text)."""
    return DASH if ratio is None else f"{ratio_number(ratio)}\u00d7"


@register.filter
def ago(moment) -> str:
    """How long ago, short: "just now", "12 min ago", "3 h ago", "2 days ago"."""
    if moment is None:
        return DASH
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


@register.filter
def utc(moment) -> str:
    """An absolute time for a tooltip: "2026-12-07 14:00 UTC"."""
    return DASH if moment is None else f"{timezone.localtime(moment, UTC):%Y-%m-%d %H:%M} UTC"
