"""manage.py run_pipeline: scrape, score, then judge surges in one process (the sentiment job
runs it with --skip scrape_reddit; whole, it is the one-task alternative bench_jobs.py measures)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ops.management.commands import run_pipeline


@pytest.fixture
def calls(monkeypatch):
    made: list[tuple[str, dict]] = []
    failures: dict[str, CommandError] = {}

    def fake_call_command(name, **kwargs):
        made.append((name, {k: v for k, v in kwargs.items() if k not in ("stdout", "stderr")}))
        if name in failures:
            raise failures[name]

    monkeypatch.setattr(run_pipeline, "call_command", fake_call_command)
    return made, failures


def test_scrapes_scores_then_detects_surges_by_name(calls):
    made, _ = calls
    call_command("run_pipeline", stdout=io.StringIO(), verbosity=0)
    assert made == [
        ("scrape_reddit", {"verbosity": 0, "mode": "incremental"}),
        ("analyze_sentiment", {"verbosity": 0, "source": "reddit"}),
        ("detect_surges", {"verbosity": 0}),
    ]


def test_a_failed_scrape_still_scores_then_exits_with_the_scrapes_code(calls):
    made, failures = calls
    failures["scrape_reddit"] = CommandError("Reddit answered 500", returncode=1)
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("run_pipeline", stdout=io.StringIO(), stderr=err, verbosity=0)
    assert excinfo.value.returncode == 1
    assert [name for name, _ in made] == ["scrape_reddit", "analyze_sentiment", "detect_surges"]
    assert "scrape_reddit failed (exit 1)" in err.getvalue()


def test_an_interrupted_scrape_stops_the_pipeline(calls):
    made, failures = calls
    failures["scrape_reddit"] = CommandError("interrupted by a stop signal", returncode=143)
    with pytest.raises(CommandError) as excinfo:
        call_command("run_pipeline", stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
    assert excinfo.value.returncode == 143
    assert [name for name, _ in made] == ["scrape_reddit"]


def test_skip_leaves_a_step_out(calls):
    made, _ = calls
    call_command("run_pipeline", "--skip", "scrape_reddit", stdout=io.StringIO(), verbosity=0)
    assert [name for name, _ in made] == ["analyze_sentiment", "detect_surges"]


def test_a_failed_scoring_still_judges_surges(calls):
    made, failures = calls
    failures["analyze_sentiment"] = CommandError("model missing", returncode=1)
    with pytest.raises(CommandError):
        call_command("run_pipeline", "--skip", "scrape_reddit", stdout=io.StringIO(), stderr=io.StringIO())
    assert [name for name, _ in made] == ["analyze_sentiment", "detect_surges"]


@pytest.mark.django_db
def test_the_sentiment_jobs_command_really_runs_scoring_and_detection():
    """The sentiment job's command (ops.aws.JOBS, jobs.tf) on an empty database: both steps
    run for real and each records its JobRun."""
    from marketpulse.models import JobRun
    from ops import aws

    name, *arguments = aws.JOBS["sentiment"].command.split()
    call_command(name, *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert set(JobRun.objects.values_list("command", flat=True)) >= {"analyze_sentiment", "detect_surges"}
