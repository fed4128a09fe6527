"""Every long command: SIGTERM ends it with exit 143 (the JobRun says interrupted); --dry-run writes no JobRun."""

from __future__ import annotations

import os
import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marketpulse import jobs
from marketpulse.models import JobRun


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # what ECS sends; job_run's handler only sets the stop flag


@pytest.mark.django_db
def test_a_dry_run_writes_no_row_and_runs_no_hook_but_still_handles_signals(monkeypatch):
    seen = []
    monkeypatch.setattr(jobs, "_finish_hooks", [seen.append])
    before = signal.getsignal(signal.SIGTERM)
    with jobs.job_run("load_tickers", dry_run=True) as run:
        _sigterm_self()
        run.incr("rows", 3)
    assert run.stop_requested and run.counters == {"rows": 3}
    assert JobRun.objects.count() == 0 and seen == []
    assert signal.getsignal(signal.SIGTERM) == before
    with pytest.raises(CommandError) as info:
        jobs.exit_if_stopped(run, command="load_tickers")
    assert info.value.returncode == 143 and "load_tickers: interrupted by SIGTERM" in str(info.value)


@pytest.mark.django_db
def test_exit_if_stopped_uses_the_signal_and_does_nothing_otherwise():
    with jobs.job_run("x", handle_signals=False) as run:
        pass
    jobs.exit_if_stopped(run, command="x")
    run.request_stop(signal.SIGINT)
    with pytest.raises(CommandError) as info:
        jobs.exit_if_stopped(run, command="x")
    assert info.value.returncode == 130


@pytest.mark.django_db
def test_load_tickers_dry_run_writes_no_jobrun():
    out = StringIO()
    call_command("load_tickers", "--dry-run", stdout=out, stderr=StringIO())
    assert "dry run, nothing written" in out.getvalue()
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_analyze_sentiment_dry_run_writes_no_jobrun():
    call_command("analyze_sentiment", "--dry-run", "--model", "vader", stdout=StringIO(), stderr=StringIO())
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_load_tickers_sigterm_exits_143(monkeypatch):
    from articles import tickers

    real_read = tickers.tickers_read

    def read_then_sigterm(*args, **kwargs):
        result = real_read(*args, **kwargs)
        _sigterm_self()
        return result

    monkeypatch.setattr(tickers, "tickers_read", read_then_sigterm)
    with pytest.raises(CommandError) as info:
        call_command("load_tickers", stdout=StringIO(), stderr=StringIO())
    assert info.value.returncode == 143
    assert JobRun.objects.get(command="load_tickers").status == JobRun.Status.INTERRUPTED


@pytest.mark.django_db
def test_refresh_rollups_sigterm_exits_143(monkeypatch):
    from articles.management.commands import refresh_rollups

    def refresh_then_sigterm(**kwargs):
        _sigterm_self()
        return 0

    monkeypatch.setattr(refresh_rollups, "rollups_refresh", refresh_then_sigterm)
    with pytest.raises(CommandError) as info:
        call_command("refresh_rollups", stdout=StringIO())
    assert info.value.returncode == 143
    assert JobRun.objects.get(command="refresh_rollups").status == JobRun.Status.INTERRUPTED


@pytest.mark.django_db
def test_analyze_sentiment_sigterm_exits_143(monkeypatch):
    from django.utils import timezone

    from articles.models import Article
    from sentiment.management.commands import analyze_sentiment

    # One article on the backlog: with none, the command exits before scoring (issue 16).
    Article.objects.create(
        kind="comment", reddit_id="t1_sig1", subreddit="wallstreetbets", body="TSLA calls", created_utc=timezone.now()
    )

    real_score = analyze_sentiment.articles_score

    def score_after_sigterm(**kwargs):
        _sigterm_self()
        return real_score(**kwargs)

    monkeypatch.setattr(analyze_sentiment, "articles_score", score_after_sigterm)
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("analyze_sentiment", "--model", "vader", stdout=out, stderr=StringIO())
    assert info.value.returncode == 143
    assert "stopped by signal" in out.getvalue()
    assert JobRun.objects.get(command="analyze_sentiment").status == JobRun.Status.INTERRUPTED
