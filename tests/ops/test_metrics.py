"""The CloudWatch Embedded Metric Format line every job ends with."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.core.management.base import CommandError
from django.test import override_settings

from marketpulse import jobs, metrics
from marketpulse.models import JobRun

EMF_KEYS = {"_aws", "Job", "Status", "JobRunId"}


def emf_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and '"_aws"' in line:
            out.append(json.loads(line))
    return out


def check_envelope(
    record: dict, *, namespace: str, job: str, metric_names: list[str], properties: list[str] = ()
) -> None:
    """The EMF specification's shape, checked field by field; `properties` are values in the
    line that are not declared as metrics (issue 16: only what an alarm reads is a metric)."""
    aws = record["_aws"]
    assert set(aws) == {"Timestamp", "CloudWatchMetrics"}
    assert isinstance(aws["Timestamp"], int)
    # milliseconds since the epoch, within a minute of now
    assert abs(aws["Timestamp"] - time.time() * 1000) < 60_000
    (directive,) = aws["CloudWatchMetrics"]
    assert directive["Namespace"] == namespace
    assert directive["Dimensions"] == [["Job"]]
    assert [m["Name"] for m in directive["Metrics"]] == metric_names
    for metric in directive["Metrics"]:
        assert set(metric) == {"Name", "Unit"}
        assert metric["Unit"] == ("Seconds" if metric["Name"] == "DurationSeconds" else "Count")
        # every declared metric has a numeric value at the top level
        assert isinstance(record[metric["Name"]], (int, float)) and not isinstance(record[metric["Name"]], bool)
    assert record["Job"] == job
    # dimension values must be strings; nothing else at the top level but metrics and properties
    assert isinstance(record["Job"], str)
    assert set(record) == EMF_KEYS | set(metric_names) | set(properties)
    for name in properties:
        assert isinstance(record[name], (int, float)) and not isinstance(record[name], bool)


@pytest.mark.django_db
def test_hook_is_registered_by_the_app():
    assert metrics.metrics_emit in jobs._finish_hooks


@pytest.mark.django_db
@override_settings(METRICS_NAMESPACE="MarketPulseTest")
def test_scrape_run_line(capsys):
    with jobs.job_run("scrape_reddit", arguments={"mode": "incremental"}, handle_signals=False) as run:
        run.incr("posts_new", 3)
        run.incr("posts_updated", 2)
        run.incr("comments_new", 40)
        run.incr("comments_updated", 5)
        run.incr("requests", 17)
        run.incr("threads", 2)
        run.set("mentions", 9)
        time.sleep(0.05)
    (record,) = emf_lines(capsys.readouterr().out)
    check_envelope(
        record,
        namespace="MarketPulseTest",
        job="scrape_reddit",
        metric_names=["ArticlesScraped", "ItemsRejected"],
        properties=["CommentsScraped", "RedditRequests", "ItemsRejected", "DurationSeconds", "Failures"],
    )
    assert record["ItemsRejected"] == 0
    assert record["ArticlesScraped"] == 50
    assert record["CommentsScraped"] == 45
    assert record["RedditRequests"] == 17
    assert record["Failures"] == 0
    row = JobRun.objects.get()
    assert record["JobRunId"] == row.pk
    assert record["Status"] == "succeeded"
    assert record["DurationSeconds"] == pytest.approx(row.duration_seconds, abs=0.002)
    assert record["DurationSeconds"] >= 0.05
    assert record["_aws"]["Timestamp"] == int(row.finished_at.timestamp() * 1000)


@pytest.mark.django_db
def test_scrape_run_with_rejected_items_and_a_skipped_thread(capsys):
    """Issue 13: rejected items show as ItemsRejected; a skipped thread is a failure though the run succeeded."""
    with jobs.job_run("scrape_reddit", handle_signals=False) as run:
        run.incr_in("rejected", "created_in_future")
        run.incr_in("rejected", "created_utc_invalid", 2)
        run.incr("errors")
        run.incr("threads_skipped")
    (record,) = emf_lines(capsys.readouterr().out)
    assert record["Status"] == "succeeded"
    assert (record["ItemsRejected"], record["Failures"]) == (3, 1)
    assert JobRun.objects.get().counters["rejected"] == {"created_in_future": 1, "created_utc_invalid": 2}


@pytest.mark.django_db
def test_sentiment_run_line(capsys, settings):
    with jobs.job_run("analyze_sentiment", handle_signals=False) as run:
        run.set("scored", 120)
        run.set("positive", 50)
        run.set("negative", 30)
        run.set("neutral", 40)
        run.set("backlog", 7)
        run.set("model", "vader")  # a string counter must not become a metric
    (record,) = emf_lines(capsys.readouterr().out)
    check_envelope(
        record,
        namespace=settings.METRICS_NAMESPACE,
        job="analyze_sentiment",
        metric_names=["ScoreBacklog"],
        properties=["ArticlesScored", "DurationSeconds", "Failures"],
    )
    assert (record["ArticlesScored"], record["ScoreBacklog"], record["Failures"]) == (120, 7, 0)


@pytest.mark.django_db
def test_failed_run_counts_a_failure(capsys):
    with pytest.raises(CommandError):
        with jobs.job_run("scrape_reddit", handle_signals=False) as run:
            run.incr("requests", 1)
            raise CommandError("Reddit answered 500 three times", returncode=3)
    (record,) = emf_lines(capsys.readouterr().out)
    assert record["Failures"] == 1
    assert record["Status"] == "failed"
    assert record["ArticlesScraped"] == 0  # a failed scrape still reports, so the alarm sees a 0
    assert record["RedditRequests"] == 1


@pytest.mark.django_db
def test_other_job_declares_no_metric_and_keeps_duration_and_failures_as_properties(capsys):
    with jobs.job_run("load_tickers", handle_signals=False) as run:
        run.set("created", 600)
    (record,) = emf_lines(capsys.readouterr().out)
    assert record["_aws"]["CloudWatchMetrics"][0]["Metrics"] == []
    assert record["DurationSeconds"] >= 0 and record["Failures"] == 0
    assert "created" not in record


def test_at_most_four_metric_dimension_pairs_and_each_feeds_an_alarm():
    """Issue 16: a custom metric costs $0.30 a month per name and dimension value."""
    from pathlib import Path

    pairs = [(job, name) for job, names in metrics.METRICS.items() for name in names]
    assert len(pairs) <= 4
    alarms = (Path(__file__).resolve().parents[2] / "infra" / "alarms.tf").read_text()
    for _job, name in pairs:
        assert f'metric_name         = "{name}"' in alarms, name


def test_record_is_pure_and_compact():
    record = metrics.emf_record(
        command="analyze_sentiment",
        counters={"scored": 5, "backlog": True},  # a bool is not a number here
        status="interrupted",
        duration_seconds=-1.0,
        timestamp_ms=1_700_000_000_123,
        namespace="NS",
    )
    assert record["_aws"]["Timestamp"] == 1_700_000_000_123
    assert "ScoreBacklog" not in record
    assert record["DurationSeconds"] == 0.0
    assert record["Failures"] == 0


def test_line_reaches_stdout_of_a_real_job_process(transactional_db, subprocess_env):
    """A real `manage.py` job process writes the line as its own stdout line, with LOG_FORMAT=json too."""
    code = (
        "import django; django.setup();"
        "from marketpulse.jobs import job_run;"
        "import logging;"
        "h = job_run('scrape_reddit', arguments={});"
        "r = h.__enter__(); r.incr('posts_new', 2); logging.getLogger('x').warning('a log line');"
        "h.__exit__(None, None, None)"
    )
    env = {**subprocess_env, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Job"]]
    assert lines[0]["ArticlesScraped"] == 2
    # the log line went to stderr, as JSON, and is not mistaken for the metric line
    assert json.loads(proc.stderr.strip().splitlines()[-1])["message"] == "a log line"


def test_import_dump_values():
    from marketpulse.metrics import metrics_values

    counters = {"articles_new": 12, "lines": 20, "bad_lines": 2, "rejected": 3, "comments_new": 12}
    values = metrics_values(command="import_dump", counters=counters, status="succeeded", duration_seconds=1.5)
    assert values == {
        "ArticlesImported": 12,
        "DumpLinesRead": 20,
        "DumpBadLines": 2,
        "DumpItemsRejected": 3,
        "DurationSeconds": 1.5,
        "Failures": 0,
    }
    assert "ArticlesScraped" not in values  # an import is not a scrape: the scraper's alarm must not see it
