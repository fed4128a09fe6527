"""manage.py run_pipeline: scrape, score, then judge surges, in one process.

The sentiment job runs it as `run_pipeline --skip scrape_reddit` (score, then detect_surges:
one task instead of a third schedule). A failed step still lets the next run, and a stop
signal ends it after the running step (exit 143). See docs/design/operations.md.
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
    ("detect_surges", {}),
)


class Command(BaseCommand):
    help = (
        "Scrape Reddit, score the backlog, then judge surges and send their alerts, in one process. "
        f"The scheduled job sentiment ({aws.JOBS['sentiment'].schedule}) runs it with --skip scrape_reddit; "
        f"run whole, it also does the work of the job scraper ({aws.JOBS['scraper'].schedule})."
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
