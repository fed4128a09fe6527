"""CloudWatch Embedded Metric Format (EMF): one JSON line at the end of every job.

CloudWatch Logs turns the line into metrics as it ingests the task's stdout (the
`awslogs` driver), so the jobs make no PutMetricData calls and need no IAM for it.
The Terraform alarms read `ArticlesScraped` and `ScoreBacklog` with the dimension
`Job` = the management command (scrape_reddit, analyze_sentiment).

The line is for CloudWatch, not for a person: it is printed when stdout is not a
terminal (the `awslogs` driver, a pipe) or when METRICS_EMF=true (the Terraform task
definitions set it); METRICS_EMF=false turns it off.

The line is written straight to stdout, not through the logging formatter: with
LOG_FORMAT=json the formatter would wrap it inside another object and CloudWatch
would no longer see the `_aws` envelope at the top level.

Values, computed from the run's counters (the names every job keeps) and its JobRun row.
Every value is in the line (Logs Insights can query all of them for free); only the three
in METRICS are declared as CloudWatch metrics, because a custom metric costs $0.30 a
month per name and dimension and only these three feed an alarm (issue 16; `make cost`):

    ArticlesScraped   scrape_reddit     posts + comments stored (new or updated)  METRIC (alarm: none for an hour)
    ScoreBacklog      analyze_sentiment unscored articles left at the end        METRIC (alarm: above a bound)
    CommentsScraped   scrape_reddit     comments stored (new or updated)         property
    RedditRequests    scrape_reddit     HTTP requests made to Reddit             property
    ItemsRejected     scrape_reddit     items refused at the edge (counters["rejected"],
                                        {reason: n}; see ingest.scraper)        METRIC (alarm: a burst: Reddit's
                                                                                format changed under us)
    ArticlesScored    analyze_sentiment articles scored in this run              property
    ArticlesImported  import_dump       posts + comments the dump added          property
    DumpLinesRead     import_dump       lines of the file read in this run       property
    DumpBadLines      import_dump       lines that were not JSON / not an item   property
    DumpItemsRejected import_dump       items item_validate rejected             property
    DurationSeconds   every job         finished_at - started_at                 property
    Failures          every job         1 when the run failed, plus counters["errors"]:
                                        units of work lost in a run that went on
                                        (a skipped thread, a failed subreddit)   property

Failures need no metric: a failed job exits non-zero, and the EventBridge rule on ECS
task state changes (infra/alarms.tf) mails the operator for free. A job with no metric
(daily_status, load_tickers, ...) writes the line with an empty metric list.

A job only reports the values that mean something for it: a scrape run has no
opinion on the backlog, and a 0 from it would mislead an alarm.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from marketpulse.jobs import counter_total

SCRAPE = "scrape_reddit"
SENTIMENT = "analyze_sentiment"
IMPORT_DUMP = "import_dump"

#: The only values declared as CloudWatch metrics, per job: each one an alarm reads.
METRICS: dict[str, tuple[str, ...]] = {
    SCRAPE: ("ArticlesScraped", "ItemsRejected"),
    SENTIMENT: ("ScoreBacklog",),
}

UNITS = {
    "ArticlesScraped": "Count",
    "CommentsScraped": "Count",
    "ArticlesScored": "Count",
    "ScoreBacklog": "Count",
    "RedditRequests": "Count",
    "ItemsRejected": "Count",
    "DurationSeconds": "Seconds",
    "Failures": "Count",
    "ArticlesImported": "Count",
    "DumpLinesRead": "Count",
    "DumpBadLines": "Count",
    "DumpItemsRejected": "Count",
}


def _number(counters: dict[str, Any], *names: str) -> int:
    total = 0
    for name in names:
        value = counters.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        total += value
    return int(total)


def metrics_values(*, command: str, counters: dict[str, Any], status: str, duration_seconds: float) -> dict[str, float]:
    """The metric values for one finished run, in a fixed order."""
    values: dict[str, float] = {}
    if command == SCRAPE:
        values["ArticlesScraped"] = _number(counters, "posts_new", "posts_updated", "comments_new", "comments_updated")
        values["CommentsScraped"] = _number(counters, "comments_new", "comments_updated")
        values["RedditRequests"] = _number(counters, "requests")
        values["ItemsRejected"] = counter_total(counters, "rejected")
    elif command == SENTIMENT:
        values["ArticlesScored"] = _number(counters, "scored")
        if isinstance(counters.get("backlog"), (int, float)) and not isinstance(counters.get("backlog"), bool):
            values["ScoreBacklog"] = int(counters["backlog"])
    elif command == IMPORT_DUMP:
        values["ArticlesImported"] = _number(counters, "articles_new")
        values["DumpLinesRead"] = _number(counters, "lines")
        values["DumpBadLines"] = _number(counters, "bad_lines")
        values["DumpItemsRejected"] = _number(counters, "rejected")
    values["DurationSeconds"] = round(max(duration_seconds, 0.0), 3)
    # A run that skipped a thread still "succeeded": the skip must show in the alarm's metric.
    values["Failures"] = (1 if status == "failed" else 0) + _number(counters, "errors")
    return values


def emf_record(
    *,
    command: str,
    counters: dict[str, Any],
    status: str,
    duration_seconds: float,
    timestamp_ms: int,
    namespace: str | None = None,
) -> dict[str, Any]:
    """The EMF object: the `_aws` envelope, the dimension and the values at the top level; only
    the job's METRICS are declared (the rest are plain properties, never billed as metrics)."""
    values = metrics_values(command=command, counters=counters, status=status, duration_seconds=duration_seconds)
    declared = [name for name in METRICS.get(command, ()) if name in values]
    return {
        "_aws": {
            "Timestamp": int(timestamp_ms),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace or settings.METRICS_NAMESPACE,
                    "Dimensions": [["Job"]],
                    "Metrics": [{"Name": name, "Unit": UNITS[name]} for name in declared],
                }
            ],
        },
        "Job": command,
        **values,
        # Plain properties: searchable in Logs Insights, not metrics.
        "Status": status,
    }


def emf_line_for_run(run: Any) -> str:
    row = run.row
    finished = row.finished_at or timezone.now()
    record = emf_record(
        command=row.command,
        counters=dict(run.counters or {}),
        status=row.status,
        duration_seconds=(finished - row.started_at).total_seconds(),
        timestamp_ms=int(finished.timestamp() * 1000),
    )
    record["JobRunId"] = row.pk
    return json.dumps(record, separators=(",", ":"), sort_keys=False)


def _emf_wanted(out: IO[str]) -> bool:
    if settings.METRICS_EMF is not None:
        return settings.METRICS_EMF
    isatty = getattr(out, "isatty", None)
    return not (callable(isatty) and isatty())


def metrics_emit(run: Any, *, stream: IO[str] | None = None) -> None:
    """The `marketpulse.jobs.on_finish` hook: write the run's EMF line to stdout (see METRICS_EMF)."""
    out = stream or sys.stdout
    if not _emf_wanted(out):
        return
    out.write(emf_line_for_run(run) + "\n")
    out.flush()
