"""Reads for the operator's daily report (`manage.py daily_status`).

Composes the one definition of each concept from its home: the sentiment backlog
(`articles.selectors`), the top tickers of the last 24 hours (`articles.leaderboard`),
the latest run per command and the scraper's freshness (`marketpulse.runs`). Only the
articles-per-day table is the report's own. Each read is one or two aggregate
queries, whatever the table sizes: the report runs daily on a small Fargate task
against the production database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from articles.leaderboard import TopTicker, top_tickers
from articles.models import Article
from articles.selectors import Backlog, backlog_summary
from marketpulse.models import JobRun
from marketpulse.runs import Freshness, JobSummary, job_runs_latest, job_runs_stuck, scraper_freshness

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


def daily_status_get(*, days: int, top: int, now: datetime | None = None) -> DailyStatus:
    """Everything the daily report prints, read at one instant. Seven queries."""
    now = now or timezone.now()
    return DailyStatus(
        now=now,
        per_day=articles_per_day(days=days, now=now),
        backlog=backlog_summary(),
        jobs=job_runs_latest(now=now),
        stuck=job_runs_stuck(older_than=STUCK_AFTER, now=now),
        top=top_tickers(limit=top, now=now),
        freshness=scraper_freshness(now=now),
    )
