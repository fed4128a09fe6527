"""manage.py detect_surges: judge the latest complete hours (or replay a range), then send the alerts.

Thin: parses, calls `articles.surges.services.surges_detect` and `ops.alerts.services.alerts_deliver`
inside a JobRun (none with --dry-run), prints. A webhook's failure never fails the job.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from articles.models import Ticker
from articles.surges.services import DetectionOutcome, live_watermark, surges_detect
from marketpulse import cli
from marketpulse.jobs import job_run
from ops.alerts.services import alerts_deliver


class Command(BaseCommand):
    help = (
        "Find tickers talked about far above their own usual level (distinct authors against the same hour "
        "of past weeks) and record them as surges; then post new surges to ALERT_WEBHOOK_URLS. Without "
        "--since it judges the latest complete hours; with --since/--until it replays history hour by hour."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=cli.datetime_type,
            default=None,
            metavar="WHEN",
            help="Replay from this hour (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC), judging each hour as the live job would.",
        )
        parser.add_argument(
            "--until",
            type=cli.datetime_type,
            default=None,
            metavar="WHEN",
            help="Replay up to this hour, inclusive (default: the latest complete hour). Needs --since.",
        )
        parser.add_argument(
            "--no-alerts", action="store_true", help="Record surges but send no webhook (e.g. while replaying)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Print what would be recorded; write nothing.")

    def handle(self, *args, **options):
        since, until, dry_run = options["since"], options["until"], options["dry_run"]
        if until is not None and since is None:
            raise CommandError("--until needs --since (a replay range); without both it judges the latest hours")
        if since is not None and until is not None and until < since:
            raise CommandError(f"--until {until:%Y-%m-%dT%H:%M} is before --since {since:%Y-%m-%dT%H:%M}")
        with job_run("detect_surges", arguments=options, dry_run=dry_run) as run:
            outcome = surges_detect(
                since=since, until=until, dry_run=dry_run, resume_after=None if since else live_watermark()
            )
            for name in ("tickers", "opened", "open_now", "closed", "rewritten", "removed"):
                run.set(name, getattr(outcome, name))
            run.set("mode", "replay" if since else "live")
            if outcome.last_hour is not None and outcome.first_hour <= outcome.last_hour:
                run.set("judged_to", outcome.last_hour.isoformat())
            self._report(outcome, dry_run, options["verbosity"])
            if options["no_alerts"]:
                return
            counts = alerts_deliver(dry_run=dry_run)
            run.set("alerts", counts.as_dict())
            if options["verbosity"] >= 1 and (counts.created or counts.sent or counts.failed or counts.refused_urls):
                self.stdout.write(
                    f"alerts: {counts.created} new, {counts.sent} sent, {counts.failed} failed (retried later), "
                    f"{counts.gave_up} given up, {counts.refused_urls} URL(s) refused"
                    + (f"; failing: {', '.join(counts.failing_urls)}" if counts.failing_urls else "")
                )

    def _report(self, outcome: DetectionOutcome, dry_run: bool, verbosity: int) -> None:
        if verbosity < 1:
            return
        if outcome.first_hour is None or outcome.first_hour > outcome.last_hour:
            self.stdout.write("detect_surges: no complete hour to judge yet")
            return
        span = f"{outcome.first_hour:%Y-%m-%d %H}:00 to {outcome.last_hour:%Y-%m-%d %H}:00 UTC"
        if outcome.warming_up:
            self.stdout.write(f"detect_surges: the rollups cover less than a week: nothing judged before that ({span})")
        symbols = dict(
            Ticker.objects.filter(pk__in={e["ticker_id"] for e in outcome.events}).values_list("pk", "symbol")
        )
        verb = "would record" if dry_run else "recorded"
        for e in outcome.events if (dry_run or verbosity >= 2) else ():
            state = f"ended {e['ended_at']:%Y-%m-%d %H}:00" if e["ended_at"] else "ongoing"
            self.stdout.write(
                f"  {verb} {symbols.get(e['ticker_id'], e['ticker_id'])} from {e['started_at']:%Y-%m-%d %H}:00 "
                f"({state}): {e['unique_authors']} authors vs {e['expected']:.1f} expected, "
                f"{e['mentions']} mentions, score {e['score']:.1f}"
            )
        self.stdout.write(
            f"detect_surges: judged {span} for {outcome.tickers} tickers in {outcome.seconds:.1f} s: "
            f"{outcome.opened} new, {outcome.open_now} open, {outcome.closed} closed, "
            f"{outcome.rewritten} rewritten, {outcome.removed} removed"
            + (" (dry run, nothing written)" if dry_run else "")
        )
