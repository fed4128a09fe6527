"""Issue 13, sentiment half: VADER on long text, the claim transaction, SIGTERM, --dry-run.

VADER's cost grows with the square of the text (21 KB 2.2 s, 42 KB 8.9 s, 100 KB 45 s);
it ran on the whole text, for every row FinBERT scored, inside the PostgreSQL claim
transaction, so SIGTERM took tens of seconds. Each test here failed before the fix.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from articles.models import Article
from marketpulse.jobs import DryRunHandle
from marketpulse.models import JobRun
from sentiment import analyzers
from sentiment.analyzers import FinbertAnalyzer, VaderAnalyzer
from sentiment.services import articles_score
from tests.sentiment.conftest import ROOT_DIR, make_articles

# ~100 KB of words VADER knows (the quadratic part is its per-word look-around).
LONG = " ".join(["great", "terrible", "stock", "moon", "crash", "good", "bad", "calls"] * 2600)[:100_000]


def test_vader_reads_a_bounded_prefix_cut_at_a_word():
    vader_text, VADER_MAX_CHARS = analyzers.vader_text, analyzers.VADER_MAX_CHARS
    assert len(LONG) == 100_000
    cut = vader_text(LONG)
    assert len(cut) <= VADER_MAX_CHARS and LONG.startswith(cut) and LONG[len(cut)] == " "
    assert vader_text("short text") == "short text"
    assert vader_text("x" * (VADER_MAX_CHARS * 3)) == "x" * VADER_MAX_CHARS  # no space at all: a hard cut


def test_a_100_kb_comment_scores_in_under_half_a_second():
    vader = VaderAnalyzer()
    started = time.perf_counter()
    label, score, confidence = vader.score_one(LONG)
    assert time.perf_counter() - started < 0.5
    assert label in {"positive", "negative", "neutral"} and -1 <= score <= 1 and 0 <= confidence <= 1


@pytest.mark.django_db(transaction=True)
def test_vader_runs_outside_the_claim_transaction(finbert_settings, tiny_model_dir, monkeypatch):
    make_articles(20, body="plain words " * 10)
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=32, batch_size=4)
    vader = VaderAnalyzer()
    inside: list[bool] = []
    real = vader.score_one

    def spy(text: str):
        inside.append(connection.in_atomic_block)
        return real(text)

    monkeypatch.setattr(vader, "score_one", spy)
    outcome = articles_score(analyzer=analyzer, vader=vader, run=DryRunHandle())
    assert outcome.scored == 20 and len(inside) == 20
    assert not any(inside), "VADER ran inside a transaction"
    assert not Article.objects.filter(vader_label="").exists()


@pytest.mark.django_db
def test_vader_stop_is_checked_per_item(finbert_settings):
    """With --model vader, VADER is the model: a stop lands between two items, not after a batch of 256."""
    make_articles(40)
    handle = DryRunHandle()
    vader = VaderAnalyzer()
    real = vader.score_one
    calls = {"n": 0}

    def stop_after_three(text: str):
        calls["n"] += 1
        if calls["n"] == 3:
            handle.request_stop(signal.SIGTERM)
        return real(text)

    vader.score_one = stop_after_three
    outcome = articles_score(analyzer=vader, vader=vader, run=handle)
    assert outcome.stopped and outcome.scored == 3 and calls["n"] == 3


@pytest.mark.django_db
def test_dry_run_writes_no_jobrun(finbert_settings):
    make_articles(6)
    out = StringIO()
    call_command("analyze_sentiment", "--dry-run", "--limit", "3", stdout=out, stderr=StringIO())
    assert "would score 3" in out.getvalue()
    assert not JobRun.objects.exists()
    assert not Article.objects.filter(scored_at__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [False, True])
def test_sigterm_exits_143(finbert_settings, monkeypatch, dry_run):
    """A real SIGTERM to this process mid-run: the command stops and exits 143 (128 + SIGTERM)."""
    make_articles(60)
    real = VaderAnalyzer.score_one
    calls = {"n": 0}

    def signal_midway(self, text):
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, text)

    monkeypatch.setattr(VaderAnalyzer, "score_one", signal_midway)
    args = ["--model", "vader", *(["--dry-run"] if dry_run else [])]
    with pytest.raises(CommandError) as excinfo:
        call_command("analyze_sentiment", *args, stdout=StringIO(), stderr=StringIO())
    assert excinfo.value.returncode == 143
    assert Article.objects.filter(scored_at__isnull=False).count() == (0 if dry_run else 2)
    if dry_run:
        assert not JobRun.objects.exists()
    else:
        job = JobRun.objects.get()
        assert job.status == JobRun.Status.INTERRUPTED and "SIGTERM" in job.error


@pytest.mark.slow
def test_sigterm_acts_within_5_seconds_on_long_texts(subprocess_env, manage_py, tiny_model_dir):
    """A real worker scoring 40 KB comments (VADER on the whole text: ~9 s each) stops within 5 s."""
    make_articles(400, body=LONG[:40_000])
    env = dict(subprocess_env)
    env.update(
        SENTIMENT_MODEL=str(tiny_model_dir),
        SENTIMENT_BACKEND="finbert",
        SENTIMENT_QUANTIZE="false",
        SENTIMENT_MAX_TOKENS="64",
        SENTIMENT_THREADS="1",
        HF_HUB_OFFLINE="1",
        LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [*manage_py, "analyze_sentiment", "--batch-size", "8"],
        env=env,
        cwd=ROOT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = JobRun.objects.filter(command="analyze_sentiment").first()
            if job and job.counters.get("scored", 0) > 0:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("the worker never committed a chunk")
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < 5, f"SIGTERM took {took:.1f} s"
    assert proc.returncode == 143, out + err
    job.refresh_from_db()
    assert job.status == JobRun.Status.INTERRUPTED
    scored = Article.objects.filter(scored_at__isnull=False)
    assert 0 < scored.count() < 400 and scored.count() == job.counters["scored"]
    assert not scored.filter(vader_label="").exists()
