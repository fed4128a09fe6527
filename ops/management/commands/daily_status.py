"""manage.py daily_status: the operator's daily report, and the scraper's dead man's switch.

Exits 1 after the whole report when the scraper has not succeeded within STALE_AFTER_MINUTES;
the rest are warnings (`ops.selectors`), the text is `ops.report`. See docs/design/operations.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marketpulse import cli
from marketpulse.jobs import exit_if_stopped, job_run
from ops.report import daily_status_lines, stale_error
from ops.selectors import daily_status_get, daily_status_warnings, last_scrape_rejected


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
            status = daily_status_get(
                days=options["days"], top=options["top"], now=timezone.now(), exclude_run_id=run.row.pk
            )
            warnings = daily_status_warnings(status)
            rejected = last_scrape_rejected(status)
            for line in daily_status_lines(
                status, days=options["days"], warnings=warnings, rejected=rejected, warn=self.style.WARNING
            ):
                self.stdout.write(line)
            run.set("warnings", len(warnings))
            run.set("items_rejected", sum(rejected.values()))
            run.set("scraper_stale", status.freshness.is_stale)
            if status.freshness.is_stale:
                # Printed above; the JobRun row is marked failed and the process exits 1.
                raise CommandError(stale_error(status), returncode=1)
        exit_if_stopped(run, command="daily_status")
