"""manage.py run_pipeline: the 15-minute task: scrape, then score, in one process.

    scrape_reddit --mode incremental   then   analyze_sentiment --source reddit

One ECS task instead of two (issue 16): one image pull, one Python and Django start,
one secrets fetch per 15 minutes, and the batch is scored minutes after it was scraped
instead of on the next run. The figures are in BENCHMARKS.md ("Job run times") and
`make cost`.

The two jobs are called by name (`call_command`), never imported: `ops`, `ingest` and
`sentiment` are independent layers. Each job keeps its own JobRun row, its own metrics line (Job=scrape_reddit, Job=analyze_sentiment:
the alarms are unchanged) and its own signal handling.

Exit code: a failed scrape still lets the scoring run (what is already stored waits to be
scored either way), then the scrape's code is the task's, so the failure reaches the
operator (EventBridge rule on a non-zero exit). A stop signal (SIGTERM: Spot interruption,
`manage.py ecs stop`) ends the pipeline after the job that was running: exit 143.
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

EXIT_STOPPED = 143
STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("scrape_reddit", {"mode": "incremental"}),
    ("analyze_sentiment", {"source": "reddit"}),
)


class Command(BaseCommand):
    help = "Scrape Reddit, then score the backlog, in one process (the scheduled 15-minute task)."

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
