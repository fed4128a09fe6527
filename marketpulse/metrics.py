"""CloudWatch Embedded Metric Format (EMF): one JSON line at the end of every job.

CloudWatch Logs turns the line into metrics as it ingests stdout, so no job calls
PutMetricData; only the three values in METRICS are metrics (each feeds an alarm), the
rest are fields for Logs Insights. The values and why: docs/design/jobs-and-metrics.md.
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
