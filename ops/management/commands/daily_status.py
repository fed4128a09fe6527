"""manage.py daily_status: the operator's daily report, and the scraper's dead man's switch.

Prints articles per day for the last 7 days by subreddit and kind, the sentiment backlog,
the last run and outcome of every job (with the items the last scrape rejected at the
edge, by reason: its `counters["rejected"]`), the top tickers of the last 24 hours, and
warnings (a thread the last scrape skipped is one). Exits 1 when the scraper has not succeeded within STALE_AFTER_MINUTES (or
never has), after printing the whole report, so the daily schedule's task stops with
a non-zero exit code and the Terraform alarm on it fires; 0 otherwise. Other problems
(a failed sentiment run, an old backlog, a run stuck in "running") are warnings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marketpulse import cli
from marketpulse.jobs import counter_breakdown, exit_if_stopped, job_run
from marketpulse.models import JobRun
from marketpulse.runs import SCRAPER_COMMAND
from ops.selectors import DailyStatus, daily_status_get


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


class Command(BaseCommand):
    help = (
        "Daily report: articles per day, sentiment backlog, last job runs, top tickers, warnings. "
        "Exit 1 when the scraper has not succeeded within STALE_AFTER_MINUTES."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=cli.positive_int, default=7, help="Days of article counts to show (default 7)."
        )
        parser.add_argument(
            "--top", type=cli.positive_int, default=10, help="How many top tickers of the last 24 hours (default 10)."
        )

    def handle(self, *args, **options):
        with job_run("daily_status", arguments=options) as run:
            status = daily_status_get(days=options["days"], top=options["top"], now=timezone.now())
            now, freshness = status.now, status.freshness
            warnings = self._report(status, days=options["days"], run_id=run.row.pk)
            run.set("warnings", len(warnings))
            run.set("items_rejected", self._items_rejected)
            run.set("scraper_stale", freshness.is_stale)
            if freshness.is_stale:
                # Printed above; the JobRun row is marked failed and the process exits 1.
                raise CommandError(
                    "scraper data is stale: "
                    + (
                        "scrape_reddit has never succeeded"
                        if freshness.last_success_at is None
                        else f"last success {_ago(freshness.last_success_at, now)}, "
                        f"more than STALE_AFTER_MINUTES={freshness.stale_after_minutes}"
                    ),
                    returncode=1,
                )
        exit_if_stopped(run, command="daily_status")

    # -------------------------------------------------------------------------------------

    def _scrape_edge(self, counters: dict) -> list[str]:
        """The last scrape's items refused at the edge (by reason) and threads skipped (issue 13)."""
        rejected = counter_breakdown(counters, "rejected")
        self._items_rejected = sum(rejected.values())
        if rejected:
            detail = ", ".join(f"{reason} {n}" for reason, n in rejected.items())
            self.stdout.write(f"  scrape_reddit last run: {self._items_rejected} items rejected ({detail})")
        skipped = counters.get("threads_skipped")
        if isinstance(skipped, int) and not isinstance(skipped, bool) and skipped > 0:
            return [f"scrape_reddit: last run skipped {skipped} thread(s); see its log"]
        return []

    def _report(self, status: DailyStatus, *, days: int, run_id: int) -> list[str]:
        self._items_rejected = 0
        now = status.now
        out = self.stdout
        warnings: list[str] = []
        out.write(f"Market Pulse daily status, {_when(now)} UTC")
        out.write("")

        # Articles per day ------------------------------------------------------------------
        counts = status.per_day
        out.write(f"Articles per day (UTC, by Reddit time), last {days} days")
        out.write(f"  {'day':<10}  {'subreddit':<22} {'posts':>7} {'comments':>9}")
        by_day: dict = defaultdict(lambda: defaultdict(lambda: {"post": 0, "comment": 0}))
        for row in counts:
            by_day[row.day][row.subreddit][row.kind] += row.count
        totals = {"post": 0, "comment": 0}
        for offset in range(days - 1, -1, -1):
            day = (now - timedelta(days=offset)).astimezone(UTC).date()
            subs = by_day.get(day)
            if not subs:
                out.write(f"  {day.isoformat():<10}  {'-':<22} {0:>7} {0:>9}")
                continue
            for subreddit in sorted(subs):
                kinds = subs[subreddit]
                totals["post"] += kinds["post"]
                totals["comment"] += kinds["comment"]
                out.write(f"  {day.isoformat():<10}  r/{subreddit:<20} {kinds['post']:>7} {kinds['comment']:>9}")
        out.write(f"  {'total':<10}  {'':<22} {totals['post']:>7} {totals['comment']:>9}")
        today = now.astimezone(UTC).date()
        if not by_day.get(today) and not by_day.get(today - timedelta(days=1)):
            warnings.append("no articles created today or yesterday")
        out.write("")

        # Sentiment backlog --------------------------------------------------------------------
        backlog = status.backlog
        share = f"{100 * backlog.scored / backlog.total:.1f}%" if backlog.total else "-"
        out.write("Sentiment")
        out.write(f"  scored {backlog.scored} of {backlog.total} ({share}); unscored backlog {backlog.unscored}")
        if backlog.oldest_unscored_seen_at:
            out.write(
                f"  oldest unscored first seen {_when(backlog.oldest_unscored_seen_at)} ({_ago(backlog.oldest_unscored_seen_at, now)})"
            )
            age = (now - backlog.oldest_unscored_seen_at).total_seconds() / 60
            if age > settings.STALE_AFTER_MINUTES:
                warnings.append(
                    f"sentiment backlog: {backlog.unscored} unscored, the oldest waiting {_ago(backlog.oldest_unscored_seen_at, now)}"
                )
        out.write("")

        # Jobs ----------------------------------------------------------------------------------
        out.write("Jobs (latest run of each)")
        out.write(
            f"  {'command':<20} {'status':<11} {'started (UTC)':<16} {'took':>8}  {'last success':<16} {'24h runs/failed':>15}"
        )
        summaries = [s for s in status.jobs if not (s.command == "daily_status" and s.last.pk == run_id)]
        seen_commands = set()
        for summary in summaries:
            last = summary.last
            seen_commands.add(summary.command)
            took = f"{last.duration_seconds:.0f}s" if last.duration_seconds is not None else "-"
            out.write(
                f"  {summary.command:<20} {last.status:<11} {_when(last.started_at):<16} {took:>8}  "
                f"{_when(summary.last_success_at):<16} {summary.runs_24h:>9}/{summary.failures_24h}"
            )
            if last.status in (JobRun.Status.FAILED, JobRun.Status.INTERRUPTED):
                first_line = (last.error or "").strip().splitlines()[:1]
                warnings.append(
                    f"{summary.command}: last run {last.status}" + (f": {first_line[0][:200]}" if first_line else "")
                )
        if not summaries:
            out.write("  (no job has run yet)")
        scrape = next((s for s in summaries if s.command == SCRAPER_COMMAND), None)
        if scrape is not None:
            warnings.extend(self._scrape_edge(scrape.last.counters or {}))
        for stuck in status.stuck:
            warnings.append(
                f"{stuck.command} #{stuck.pk}: running since {_when(stuck.started_at)}; killed without finishing?"
            )
        if "analyze_sentiment" in seen_commands:
            sentiment = next(s for s in summaries if s.command == "analyze_sentiment")
            if (
                sentiment.last_success_at is None
                or (now - sentiment.last_success_at).total_seconds() / 60 > settings.STALE_AFTER_MINUTES
            ):
                warnings.append(f"analyze_sentiment: last success {_ago(sentiment.last_success_at, now)}")
        out.write("")

        # Top tickers ------------------------------------------------------------------------------
        tickers = status.top
        out.write("Top tickers, last 24 hours (from the hourly rollups)")
        if tickers:
            out.write(
                f"  {'ticker':<8} {'mentions':>8} {'posts':>6} {'comments':>8} {'pos':>5} {'neg':>5} {'neu':>5} {'avg':>6}"
            )
            for t in tickers:
                avg = f"{t.sentiment:+.2f}" if t.sentiment is not None else "-"
                out.write(
                    f"  {t.symbol:<8} {t.mentions:>8} {t.posts:>6} {t.comments:>8} {t.positive:>5} {t.negative:>5} {t.neutral:>5} {avg:>6}"
                )
        else:
            out.write("  (no mentions in the last 24 hours)")
        out.write("")

        # Freshness and warnings -------------------------------------------------------------------
        freshness = status.freshness
        if freshness.is_stale:
            warnings.insert(
                0,
                "STALE: scrape_reddit has never succeeded"
                if freshness.last_success_at is None
                else f"STALE: scrape_reddit last succeeded {_ago(freshness.last_success_at, now)} "
                f"(more than {freshness.stale_after_minutes} min)",
            )
        else:
            out.write(
                f"Scraper fresh: last success {_ago(freshness.last_success_at, now)} "
                f"(stale after {freshness.stale_after_minutes} min)"
            )
        out.write("Warnings" if warnings else "Warnings: none")
        for warning in warnings:
            out.write(self.style.WARNING(f"  ! {warning}"))
        return warnings
