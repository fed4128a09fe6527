"""manage.py run_pipeline: scrape, then score, in one process (the scraper and sentiment jobs as one task).

Not scheduled itself; a failed scrape still lets the scoring run, and a stop signal ends it
after the running job (exit 143). See docs/design/operations.md.
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ops import aws

EXIT_STOPPED = 143
STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("scrape_reddit", {"mode": "incremental"}),
    ("analyze_sentiment", {"source": "reddit"}),
)


class Command(BaseCommand):
    help = (
        "Scrape Reddit, then score the backlog, in one process: one task for the work of the scheduled "
        f"scraper ({aws.JOBS['scraper'].schedule}) and sentiment ({aws.JOBS['sentiment'].schedule}) tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            choices=[name for name, _ in STEPS],
            help="Leave this step out (repeatable), e.g. while Reddit is down.",
        )

    def handle(self, *args, **options):
        stop: list[int] = []
        previous = {
            sig: signal.signal(sig, lambda signum, _frame: stop.append(signum))
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        failure: CommandError | None = None
        try:
            for name, kwargs in STEPS:
                if name in options["skip"]:
                    continue
                if stop:
                    raise CommandError(f"run_pipeline: stopped by a signal before {name}", returncode=EXIT_STOPPED)
                try:
                    call_command(name, stdout=self.stdout, stderr=self.stderr, verbosity=options["verbosity"], **kwargs)
                except CommandError as exc:
                    if exc.returncode == EXIT_STOPPED or stop:
                        raise
                    self.stderr.write(f"run_pipeline: {name} failed (exit {exc.returncode}): {exc}")
                    failure = failure or exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failure is not None:
            raise CommandError(f"run_pipeline: {failure}", returncode=failure.returncode)
