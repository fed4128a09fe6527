"""manage.py refresh_rollups [--since DATE]: rebuild the hourly rollups from raw articles."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from articles.services import rollups_refresh
from marketpulse.jobs import job_run


def _parse_since(raw: str) -> datetime:
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise CommandError(f"--since must be a date (YYYY-MM-DD) or an ISO datetime, not {raw!r}", returncode=2)
        moment = datetime.combine(day, time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


class Command(BaseCommand):
    help = "Rebuild the per-ticker hourly rollups from raw articles (everything when no --since is given)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Rebuild only hours from this date or datetime (UTC) on.")

    def handle(self, *args, **options):
        since = _parse_since(options["since"]) if options["since"] else None
        with job_run("refresh_rollups", arguments=options) as run:
            written = rollups_refresh(since=since)
            run.set("rollup_rows", written)
        self.stdout.write(self.style.SUCCESS(f"refresh_rollups: {written} hourly rows written"))
