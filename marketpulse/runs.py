"""Reads of the job-run history (JobRun): the one home of "latest run per command" and
of "scraper freshness", for the site banner, /api/v1/status and `daily_status` alike.

Each function runs a fixed, small number of queries whatever the size of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from marketpulse.models import JobRun

SCRAPER_COMMAND = "scrape_reddit"
#: "The last 24 hours" of job runs: a rolling day back from now (runs are instants, not hourly buckets).
RUNS_WINDOW = timedelta(hours=24)


# --- Freshness ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How fresh the scraped data is.

    `last_success_at` is the newest finish time of a successful `scrape_reddit` run
    (None: it never succeeded). The data is stale when that is more than
    STALE_AFTER_MINUTES ago (exactly: a fraction of a minute over counts), or never.
    The site's banner, /api/v1/status and the `daily_status` alarm all read this.
    """

    last_success_at: datetime | None
    stale_after_minutes: int
    now: datetime

    @property
    def age_minutes(self) -> float | None:
        if self.last_success_at is None:
            return None
        return max(0.0, (self.now - self.last_success_at).total_seconds() / 60)

    @property
    def minutes_ago(self) -> int | None:
        """Whole minutes since the last success, for display."""
        age = self.age_minutes
        return None if age is None else int(age)

    @property
    def is_stale(self) -> bool:
        return self.age_minutes is None or self.age_minutes > self.stale_after_minutes


def scraper_last_success() -> datetime | None:
    """When a `scrape_reddit` run last finished successfully: the newest `finished_at` of its
    succeeded runs (not the finish of the latest-started one: with overlapping runs the one
    that started first may finish last). One probe of the jobrun_cmd_status_fin_idx index."""
    return (
        JobRun.objects.filter(command=SCRAPER_COMMAND, status=JobRun.Status.SUCCEEDED, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def scraper_freshness(*, now: datetime | None = None) -> Freshness:
    """The scraper's freshness (see `Freshness`). One query."""
    return Freshness(
        last_success_at=scraper_last_success(),
        stale_after_minutes=settings.STALE_AFTER_MINUTES,
        now=now or timezone.now(),
    )


# --- Latest run per command ----------------------------------------------------------------------


@dataclass(frozen=True)
class JobSummary:
    command: str
    last: JobRun  # the latest run by start time, whatever its outcome
    last_success_at: datetime | None  # the newest finish of a succeeded run
    runs_24h: int  # runs started in the last RUNS_WINDOW
    failures_24h: int


def job_runs_latest(*, now: datetime | None = None) -> list[JobSummary]:
    """For every command that has ever run, by command name: its latest run (the newest
    `started_at`, the highest id on a tie), when it last succeeded, and the last 24 hours'
    runs and failures. Two queries."""
    now = now or timezone.now()
    day_ago = now - RUNS_WINDOW
    per_command = {
        r["command"]: r
        for r in JobRun.objects.values("command")
        .annotate(
            latest=Max("started_at"),
            last_success=Max("finished_at", filter=Q(status=JobRun.Status.SUCCEEDED)),
            runs_24h=Count("id", filter=Q(started_at__gte=day_ago)),
            failures_24h=Count("id", filter=Q(started_at__gte=day_ago, status=JobRun.Status.FAILED)),
        )
        .order_by()
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


def job_runs_stuck(*, older_than: timedelta, now: datetime | None = None) -> list[JobRun]:
    """Runs still marked running long after they started: killed (SIGKILL, OOM, Spot) before
    they could record an outcome. At most 20, oldest first."""
    now = now or timezone.now()
    return list(
        JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=now - older_than).order_by("started_at")[:20]
    )
