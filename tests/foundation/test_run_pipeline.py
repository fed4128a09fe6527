"""manage.py run_pipeline: scrape then score in one process (the one-task alternative that
benchmarks/bench_jobs.py measures for issue 16)."""

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


def test_scrapes_then_scores_by_name(calls):
    made, _ = calls
    call_command("run_pipeline", stdout=io.StringIO(), verbosity=0)
    assert made == [
        ("scrape_reddit", {"verbosity": 0, "mode": "incremental"}),
        ("analyze_sentiment", {"verbosity": 0, "source": "reddit"}),
    ]


def test_a_failed_scrape_still_scores_then_exits_with_the_scrapes_code(calls):
    made, failures = calls
    failures["scrape_reddit"] = CommandError("Reddit answered 500", returncode=1)
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("run_pipeline", stdout=io.StringIO(), stderr=err, verbosity=0)
    assert excinfo.value.returncode == 1
    assert [name for name, _ in made] == ["scrape_reddit", "analyze_sentiment"]
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
    assert [name for name, _ in made] == ["analyze_sentiment"]
