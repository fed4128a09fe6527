"""manage.py refresh_rollups [--since DATE]: rebuild the hourly rollups from raw articles."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from articles.services import rollups_refresh
from marketpulse import cli
from marketpulse.jobs import exit_if_stopped, job_run


class Command(BaseCommand):
    help = "Rebuild the per-ticker hourly rollups from raw articles (everything when no --since is given)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=cli.datetime_type,
            help="Rebuild only hours from this date (YYYY-MM-DD) or ISO datetime (UTC) on.",
        )

    def handle(self, *args, **options):
        since = options["since"]
        with job_run("refresh_rollups", arguments=options) as run:
            written = rollups_refresh(since=since)
            run.set("rollup_rows", written)
        exit_if_stopped(run, command="refresh_rollups", detail=f"{written} hourly rows written")
        self.stdout.write(self.style.SUCCESS(f"refresh_rollups: {written} hourly rows written"))
