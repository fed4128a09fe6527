"""The daily report's text (`manage.py daily_status`): a `DailyStatus` and its warnings as lines.

Pure formatting, no query: `ops.selectors` reads the figures and decides the warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ops.selectors import DailyStatus


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "never"


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _per_day(status: DailyStatus, days: int) -> list[str]:
    out = [
        f"Articles per day (UTC, by Reddit time), last {days} days",
        f"  {'day':<10}  {'subreddit':<22} {'posts':>7} {'comments':>9}",
    ]
    by_day: dict = defaultdict(lambda: defaultdict(lambda: {"post": 0, "comment": 0}))
    for row in status.per_day:
        by_day[row.day][row.subreddit][row.kind] += row.count
    totals = {"post": 0, "comment": 0}
    for offset in range(days - 1, -1, -1):
        day = (status.now - timedelta(days=offset)).astimezone(UTC).date()
        subs = by_day.get(day) or {"": None}
        for subreddit in sorted(subs):
            kinds = subs[subreddit] or {"post": 0, "comment": 0}
            totals["post"] += kinds["post"]
            totals["comment"] += kinds["comment"]
            name = f"r/{subreddit}" if subreddit else "-"
            out.append(f"  {day.isoformat():<10}  {name:<22} {kinds['post']:>7} {kinds['comment']:>9}")
    out.append(f"  {'total':<10}  {'':<22} {totals['post']:>7} {totals['comment']:>9}")
    return out


def _sentiment(status: DailyStatus) -> list[str]:
    backlog, now = status.backlog, status.now
    share = f"{100 * backlog.scored / backlog.total:.1f}%" if backlog.total else "-"
    out = ["Sentiment", f"  scored {backlog.scored} of {backlog.total} ({share}); unscored backlog {backlog.unscored}"]
    if backlog.oldest_unscored_seen_at:
        seen = backlog.oldest_unscored_seen_at
        out.append(f"  oldest unscored first seen {when(seen)} ({ago(seen, now)})")
    return out


def _jobs(status: DailyStatus, rejected: dict[str, int]) -> list[str]:
    out = [
        "Jobs (latest run of each)",
        f"  {'command':<20} {'status':<11} {'started (UTC)':<16} {'took':>8}  {'last success':<16} {'24h runs/failed':>15}",
    ]
    for summary in status.jobs:
        last = summary.last
        took = f"{last.duration_seconds:.0f}s" if last.duration_seconds is not None else "-"
        out.append(
            f"  {summary.command:<20} {last.status:<11} {when(last.started_at):<16} {took:>8}  "
            f"{when(summary.last_success_at):<16} {summary.runs_24h:>9}/{summary.failures_24h}"
        )
    if not status.jobs:
        out.append("  (no job has run yet)")
    if rejected:
        detail = ", ".join(f"{reason} {n}" for reason, n in rejected.items())
        out.append(f"  scrape_reddit last run: {sum(rejected.values())} items rejected ({detail})")
    return out


def _top(status: DailyStatus) -> list[str]:
    out = ["Top tickers, last 24 hours (from the hourly rollups)"]
    if not status.top:
        return [*out, "  (no mentions in the last 24 hours)"]
    out.append(
        f"  {'ticker':<8} {'mentions':>8} {'posts':>6} {'comments':>8} {'pos':>5} {'neg':>5} {'neu':>5} {'avg':>6}"
    )
    for t in status.top:
        avg = f"{t.sentiment:+.2f}" if t.sentiment is not None else "-"
        out.append(
            f"  {t.symbol:<8} {t.mentions:>8} {t.posts:>6} {t.comments:>8} "
            f"{t.positive:>5} {t.negative:>5} {t.neutral:>5} {avg:>6}"
        )
    return out


def daily_status_lines(
    status: DailyStatus,
    *,
    days: int,
    warnings: list[str],
    rejected: dict[str, int],
    warn: Callable[[str], str] = str,
) -> list[str]:
    """The whole report; `warn` styles each warning line (the command's WARNING colour)."""
    freshness = status.freshness
    lines = [f"Market Pulse daily status, {when(status.now)} UTC", ""]
    for part in (_per_day(status, days), _sentiment(status), _jobs(status, rejected), _top(status)):
        lines.extend([*part, ""])
    if not freshness.is_stale:
        lines.append(
            f"Scraper fresh: last success {ago(freshness.last_success_at, status.now)} "
            f"(stale after {freshness.stale_after_minutes} min)"
        )
    lines.append("Warnings" if warnings else "Warnings: none")
    lines.extend(warn(f"  ! {warning}") for warning in warnings)
    return lines


def stale_error(status: DailyStatus) -> str:
    """The one line the command fails with when the scraper is stale."""
    freshness = status.freshness
    if freshness.last_success_at is None:
        return "scraper data is stale: scrape_reddit has never succeeded"
    return (
        f"scraper data is stale: last success {ago(freshness.last_success_at, status.now)}, "
        f"more than STALE_AFTER_MINUTES={freshness.stale_after_minutes}"
    )
