"""Reads for the operator's daily report (`manage.py daily_status`).

Each function is one or two aggregate queries, whatever the table sizes: the report
runs daily on a small Fargate task against the production database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from articles.models import Article, TickerHourly
from marketpulse.models import JobRun

SCRAPER_COMMAND = "scrape_reddit"


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
class Backlog:
    total: int
    scored: int
    unscored: int
    oldest_unscored_seen_at: datetime | None


def backlog_summary() -> Backlog:
    """Scored vs unscored articles (removed ones have no text to score and are left out)."""
    agg = Article.objects.filter(is_removed=False).aggregate(
        total=Count("id"),
        unscored=Count("id", filter=Q(scored_at__isnull=True)),
        oldest=Min("first_seen_at", filter=Q(scored_at__isnull=True)),
    )
    return Backlog(
        total=agg["total"],
        scored=agg["total"] - agg["unscored"],
        unscored=agg["unscored"],
        oldest_unscored_seen_at=agg["oldest"],
    )


@dataclass(frozen=True)
class JobSummary:
    command: str
    last: JobRun
    last_success_at: datetime | None
    runs_24h: int
    failures_24h: int


def job_runs_latest(*, now: datetime | None = None) -> list[JobSummary]:
    """For every command that has ever run: its latest run, when it last succeeded, and the
    last 24 hours' runs and failures. Two queries."""
    now = now or timezone.now()
    day_ago = now - timedelta(hours=24)
    per_command = {
        r["command"]: r
        for r in JobRun.objects.values("command").annotate(
            latest=Max("started_at"),
            last_success=Max("finished_at", filter=Q(status=JobRun.Status.SUCCEEDED)),
            runs_24h=Count("id", filter=Q(started_at__gte=day_ago)),
            failures_24h=Count("id", filter=Q(started_at__gte=day_ago, status=JobRun.Status.FAILED)),
        )
    }
    if not per_command:
        return []
    condition = Q()
    for command, r in per_command.items():
        condition |= Q(command=command, started_at=r["latest"])
    latest_rows: dict[str, JobRun] = {}
    for row in JobRun.objects.filter(condition).order_by("command", "-pk"):
        latest_rows.setdefault(row.command, row)
    return [
        JobSummary(
            command=command,
            last=latest_rows[command],
            last_success_at=r["last_success"],
            runs_24h=r["runs_24h"],
            failures_24h=r["failures_24h"],
        )
        for command, r in sorted(per_command.items())
        if command in latest_rows
    ]


def scraper_last_success() -> datetime | None:
    """The scraper's freshness: the newest successful scrape_reddit run's finish time."""
    return JobRun.objects.filter(
        command=SCRAPER_COMMAND, status=JobRun.Status.SUCCEEDED, finished_at__isnull=False
    ).aggregate(last=Max("finished_at"))["last"]


@dataclass(frozen=True)
class Freshness:
    last_success_at: datetime | None
    stale_after_minutes: int
    age_minutes: float | None

    @property
    def is_stale(self) -> bool:
        return self.age_minutes is None or self.age_minutes > self.stale_after_minutes


def scraper_freshness(*, now: datetime | None = None) -> Freshness:
    now = now or timezone.now()
    last = scraper_last_success()
    return Freshness(
        last_success_at=last,
        stale_after_minutes=settings.STALE_AFTER_MINUTES,
        age_minutes=None if last is None else (now - last).total_seconds() / 60,
    )


@dataclass(frozen=True)
class TopTicker:
    symbol: str
    mentions: int
    posts: int
    comments: int
    scored: int
    positive: int
    negative: int
    neutral: int
    sentiment_avg: float | None


def top_tickers(*, hours: int = 24, limit: int = 10, now: datetime | None = None) -> list[TopTicker]:
    """The most-mentioned tickers of the last `hours` hours, from the hourly rollups (one query)."""
    now = now or timezone.now()
    since = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    rows = (
        TickerHourly.objects.filter(hour__gte=since, hour__lte=now)
        .values("ticker__symbol")
        .annotate(
            mentions_sum=Sum("mentions"),
            posts_sum=Sum("posts"),
            comments_sum=Sum("comments"),
            scored_sum=Sum("scored"),
            positive_sum=Sum("positive"),
            negative_sum=Sum("negative"),
            neutral_sum=Sum("neutral"),
            sentiment_total=Sum("sentiment_sum"),
        )
        .filter(mentions_sum__gt=0)
        .order_by("-mentions_sum", "ticker__symbol")[:limit]
    )
    return [
        TopTicker(
            symbol=r["ticker__symbol"],
            mentions=r["mentions_sum"],
            posts=r["posts_sum"],
            comments=r["comments_sum"],
            scored=r["scored_sum"],
            positive=r["positive_sum"],
            negative=r["negative_sum"],
            neutral=r["neutral_sum"],
            sentiment_avg=(r["sentiment_total"] / r["scored_sum"]) if r["scored_sum"] else None,
        )
        for r in rows
    ]


def job_runs_stuck(*, older_than: timedelta, now: datetime | None = None) -> list[JobRun]:
    """Runs still marked running long after they started: killed (SIGKILL, OOM, Spot) before
    they could record an outcome."""
    now = now or timezone.now()
    return list(
        JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=now - older_than).order_by("started_at")[:20]
    )
