"""Reads for the operator's daily report (`manage.py daily_status`), and its warning rules.

Each figure comes from its one home (`articles.selectors`, `articles.leaderboard`,
`marketpulse.runs`); every read is a few aggregate queries whatever the table sizes.
See docs/design/operations.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from articles.leaderboard import TopTicker, top_tickers
from articles.models import Article
from articles.selectors import Backlog, backlog_summary
from marketpulse.jobs import counter_breakdown
from marketpulse.models import JobRun
from marketpulse.runs import SCRAPER_COMMAND, Freshness, JobSummary, job_runs_latest, job_runs_stuck, scraper_freshness
from ops.alerts.selectors import FailingUrl, alert_urls_failing
from ops.report import ago, when

# A run still "running" after this long was almost certainly killed (SIGKILL, OOM, Spot).
STUCK_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class DayCount:
    day: date
    subreddit: str
    kind: str
    count: int


def articles_per_day(*, days: int = 7, now: datetime | None = None) -> list[DayCount]:
    """Articles per UTC day (by Reddit creation time), subreddit and kind, for the last `days` days
    including today, oldest day first."""
    now = now or timezone.now()
    start = (now - timedelta(days=days - 1)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Article.objects.filter(created_utc__gte=start, created_utc__lte=now)
        .annotate(day=TruncDate("created_utc", tzinfo=UTC))
        .values("day", "subreddit", "kind")
        .annotate(count=Count("id"))
        .order_by("day", "subreddit", "kind")
    )
    return [DayCount(day=r["day"], subreddit=r["subreddit"], kind=r["kind"], count=r["count"]) for r in rows]


@dataclass(frozen=True)
class DailyStatus:
    now: datetime
    per_day: list[DayCount]
    backlog: Backlog
    jobs: list[JobSummary]
    stuck: list[JobRun]
    top: list[TopTicker]
    freshness: Freshness
    alerts_failing: list[FailingUrl]


def daily_status_get(
    *, days: int, top: int, now: datetime | None = None, exclude_run_id: int | None = None
) -> DailyStatus:
    """Everything the daily report prints, read at one instant. Eight queries.
    `exclude_run_id`: the report's own run, left out of the jobs."""
    now = now or timezone.now()
    jobs = [s for s in job_runs_latest(now=now) if not (s.command == "daily_status" and s.last.pk == exclude_run_id)]
    return DailyStatus(
        now=now,
        per_day=articles_per_day(days=days, now=now),
        backlog=backlog_summary(),
        jobs=jobs,
        stuck=job_runs_stuck(older_than=STUCK_AFTER, now=now),
        top=top_tickers(limit=top, now=now),
        freshness=scraper_freshness(now=now),
        alerts_failing=alert_urls_failing(now=now),
    )


def last_scrape_rejected(status: DailyStatus) -> dict[str, int]:
    """The items the last scrape refused at the edge, by reason, largest first (issue 13)."""
    scrape = next((s for s in status.jobs if s.command == SCRAPER_COMMAND), None)
    return counter_breakdown(scrape.last.counters if scrape else None, "rejected")


def _minutes_since(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds() / 60


def daily_status_warnings(status: DailyStatus) -> list[str]:
    """The report's warnings, the scraper's staleness first. Only staleness fails the run
    (the command exits 1); the rest are for the operator to read."""
    now, stale_after = status.now, settings.STALE_AFTER_MINUTES
    warnings: list[str] = []
    freshness = status.freshness
    if freshness.is_stale:
        warnings.append(
            "STALE: scrape_reddit has never succeeded"
            if freshness.last_success_at is None
            else f"STALE: scrape_reddit last succeeded {ago(freshness.last_success_at, now)} "
            f"(more than {freshness.stale_after_minutes} min)"
        )
    today = now.astimezone(UTC).date()
    if not {row.day for row in status.per_day} & {today, today - timedelta(days=1)}:
        warnings.append("no articles created today or yesterday")
    backlog = status.backlog
    oldest = backlog.oldest_unscored_seen_at
    if oldest and _minutes_since(oldest, now) > stale_after:
        warnings.append(f"sentiment backlog: {backlog.unscored} unscored, the oldest waiting {ago(oldest, now)}")
    for summary in status.jobs:
        last = summary.last
        if last.status in (JobRun.Status.FAILED, JobRun.Status.INTERRUPTED):
            first_line = (last.error or "").strip().splitlines()[:1]
            warnings.append(
                f"{summary.command}: last run {last.status}" + (f": {first_line[0][:200]}" if first_line else "")
            )
    scrape = next((s for s in status.jobs if s.command == SCRAPER_COMMAND), None)
    skipped = (scrape.last.counters or {}).get("threads_skipped") if scrape else None
    if isinstance(skipped, int) and not isinstance(skipped, bool) and skipped > 0:
        warnings.append(f"scrape_reddit: last run skipped {skipped} thread(s); see its log")
    for stuck in status.stuck:
        warnings.append(
            f"{stuck.command} #{stuck.pk}: running since {when(stuck.started_at)}; killed without finishing?"
        )
    sentiment = next((s for s in status.jobs if s.command == "analyze_sentiment"), None)
    if sentiment is not None and (
        sentiment.last_success_at is None or _minutes_since(sentiment.last_success_at, now) > stale_after
    ):
        warnings.append(f"analyze_sentiment: last success {ago(sentiment.last_success_at, now)}")
    for url in status.alerts_failing:
        warnings.append(
            f"alerts to {url.label} keep failing: {url.gave_up} given up, {url.retrying} retrying"
            + (f"; last error: {url.last_error[:200]}" if url.last_error else "")
        )
    return warnings
