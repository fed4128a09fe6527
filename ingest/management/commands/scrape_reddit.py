"""manage.py scrape_reddit: Reddit -> articles and mentions (thin; logic in ingest.scrape.scraper and ingest.upsert)."""

from __future__ import annotations

import signal
from contextlib import ExitStack

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest import selectors
from ingest.locks import scrape_lock
from ingest.scrape.plan import ScrapeOptions, ScrapeOutcome, scrape_targets
from ingest.scrape.progress import summary_line
from ingest.scrape.scraper import scrape_reddit
from marketpulse import cli
from marketpulse.jobs import job_run


class Command(BaseCommand):
    help = "Scrape Reddit (praw) into articles and ticker mentions: incremental, backfill, or status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mode",
            choices=["incremental", "backfill", "status"],
            default="incremental",
            help="incremental: current discussion threads, new/top posts, score refresh (default); "
            "backfill: walk back over --since/--until; status: print tracked threads, last runs, backlog",
        )
        parser.add_argument(
            "--subreddit",
            action="append",
            dest="subreddits",
            metavar="NAME",
            help="subreddit to scrape, repeatable (default: REDDIT_SUBREDDITS, i.e. {})".format(
                ",".join(settings.REDDIT_SUBREDDITS)
            ),
        )
        parser.add_argument(
            "--max-threads",
            type=cli.positive_int,
            default=10,
            help="discussion threads to scrape per subreddit (default 10)",
        )
        parser.add_argument(
            "--max-comments",
            type=cli.positive_int,
            default=None,
            help="newest comments to keep per thread (default: all fetched)",
        )
        parser.add_argument(
            "--budget",
            type=cli.positive_int,
            default=None,
            help=f"HTTP requests this run may make (default REDDIT_REQUEST_BUDGET={settings.REDDIT_REQUEST_BUDGET})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="fetch and link but write nothing (no rows, no checkpoints, no JobRun)",
        )
        parser.add_argument(
            "--since", type=cli.datetime_type, default=None, help="backfill: oldest time to cover (UTC, ISO format)"
        )
        parser.add_argument(
            "--until",
            type=cli.datetime_type,
            default=None,
            help="backfill: newest time to cover, exclusive (UTC, ISO format)",
        )
        parser.add_argument(
            "--thread",
            action="append",
            dest="thread_ids",
            metavar="ID",
            default=[],
            help="scrape this thread (id or t3_ fullname) whatever its title, repeatable; skips the listings",
        )

    def handle(self, *args, **options) -> None:
        mode = options["mode"]
        if mode == "status":
            for line in selectors.status_lines(selectors.scrape_status_get()):
                self.stdout.write(line)
            return
        if mode == "backfill" and options["since"] is None and not options["thread_ids"]:
            raise CommandError("--mode backfill needs --since (and optionally --until)", returncode=2)
        if options["since"] and options["until"] and options["since"] >= options["until"]:
            raise CommandError("--since must be before --until", returncode=2)
        if not settings.REDDIT_CLIENT_ID or not settings.REDDIT_CLIENT_SECRET:
            raise CommandError(
                "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET are not set (see .env.example; for the local replay server, any values do)",
                returncode=2,
            )
        scrape_options = ScrapeOptions(
            mode=mode,
            subreddits=options["subreddits"] or list(settings.REDDIT_SUBREDDITS),
            max_threads=options["max_threads"],
            max_comments=options["max_comments"],
            dry_run=options["dry_run"],
            since=options["since"],
            until=options["until"],
            thread_ids=options["thread_ids"],
            budget=options["budget"] or settings.REDDIT_REQUEST_BUDGET,
            tty=self.stdout.isatty(),
            verbosity=options["verbosity"],
            say=self.stdout.write,
        )
        if scrape_options.dry_run:
            outcome = self._dry_run(scrape_options)
        else:
            outcome = self._run(scrape_options, options)
            if outcome is None:
                return
        self._report(outcome)

    def _run(self, scrape_options: ScrapeOptions, options: dict) -> ScrapeOutcome | None:
        with ExitStack() as stack:
            locks = {}
            for target in scrape_targets(scrape_options):
                handle = stack.enter_context(scrape_lock(target))
                if handle.acquired:
                    locks[target] = handle
                else:
                    self.stdout.write(f"scrape_reddit: another run is scraping {target} ({handle.holder}); skipping it")
            if not locks:
                self.stdout.write("scrape_reddit: another scrape_reddit is running; nothing to do, exiting")
                return None
            with job_run("scrape_reddit", arguments=options) as run:
                outcome = scrape_reddit(options=scrape_options, run=run, locks=locks)
                if outcome.failed_subreddits and len(outcome.failed_subreddits) == len(locks):
                    reasons = "; ".join(f"{name}: {why}" for name, why in outcome.failed_subreddits)
                    raise CommandError(f"scrape_reddit failed: {reasons}", returncode=1)
        return outcome

    def _dry_run(self, scrape_options: ScrapeOptions) -> ScrapeOutcome:
        with job_run("scrape_reddit", dry_run=True) as run:  # no JobRun; SIGTERM still stops it (exit 143)
            locks = dict.fromkeys(scrape_targets(scrape_options))
            outcome = scrape_reddit(options=scrape_options, run=run, locks=locks)
        self.stdout.write("dry run: nothing was written")
        return outcome

    def _report(self, outcome: ScrapeOutcome) -> None:
        for note in outcome.notes:
            self.stdout.write(self.style.WARNING(note))
        for name, why in outcome.failed_subreddits:
            self.stderr.write(f"r/{name} failed: {why}")
        if outcome.budget_exhausted:
            self.stdout.write(self.style.WARNING("request budget spent: stopped early; the next run continues"))
        line = summary_line(outcome)
        if outcome.stopped:
            self.stdout.write(self.style.WARNING(line + " (interrupted: stopped after committing the current batch)"))
            # 128 + the signal (SIGTERM: 143); the JobRun row says interrupted.
            raise CommandError(
                "interrupted by a stop signal; everything fetched so far is committed",
                returncode=128 + signal.SIGTERM,
            )
        self.stdout.write(self.style.SUCCESS(line))
