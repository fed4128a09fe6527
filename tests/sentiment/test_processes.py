"""analyze_sentiment as real processes: concurrent workers, SIGTERM, exit codes, download_model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.test import override_settings

from articles.models import Article, Ticker, TickerHourly
from articles.services import rollups_refresh
from marketpulse.models import JobRun
from sentiment.samples import CHECK_SENTENCES
from tests.sentiment.conftest import ROOT_DIR, make_articles

pytestmark = pytest.mark.slow


def _env(subprocess_env, model_dir, **extra) -> dict[str, str]:
    env = dict(subprocess_env)
    env.update(
        SENTIMENT_MODEL=str(model_dir),
        SENTIMENT_BACKEND="finbert",
        SENTIMENT_QUANTIZE="false",
        SENTIMENT_MAX_TOKENS="64",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        LOG_LEVEL="WARNING",
        SENTIMENT_THREADS="1",
    )
    env.update(extra)
    return env


def _two_workers(manage_py, env, n_articles):
    tickers = [Ticker.objects.get_or_create(symbol=s)[0] for s in ("TSLA", "GME", "AMD")]
    for i, t in enumerate(tickers):
        make_articles(n_articles // 3 + (1 if i < n_articles % 3 else 0), ticker=t)
    assert Article.objects.filter(scored_at__isnull=True).count() == n_articles
    procs = [
        subprocess.Popen(
            [*manage_py, "analyze_sentiment", "--batch-size", "8"],
            env=env,
            cwd=ROOT_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=False):
        assert p.returncode == 0, out + err
    runs = list(JobRun.objects.filter(command="analyze_sentiment"))
    assert len(runs) == 2 and all(r.status == JobRun.Status.SUCCEEDED for r in runs)
    assert not Article.objects.filter(scored_at__isnull=True).exists(), "none skipped"
    # Each worker counts the rows its UPDATE wrote; a row written twice would push the sum over n.
    assert sum(r.counters["scored"] for r in runs) == n_articles, [r.counters for r in runs]
    assert not Article.objects.exclude(vader_label__in=["positive", "negative", "neutral"]).exists()
    # Rollups refreshed concurrently by both workers match a full rebuild.
    snapshot = sorted(
        TickerHourly.objects.values_list("ticker_id", "hour", "mentions", "scored", "positive", "negative")
    )
    assert sum(row[3] for row in snapshot) == n_articles
    rollups_refresh()
    assert (
        sorted(TickerHourly.objects.values_list("ticker_id", "hour", "mentions", "scored", "positive", "negative"))
        == snapshot
    )
    return runs


@pytest.mark.postgres
def test_two_workers_on_postgresql_score_2000_articles_exactly_once(
    postgres_only, subprocess_env, manage_py, tiny_model_dir
):
    runs = _two_workers(manage_py, _env(subprocess_env, tiny_model_dir), 2000)
    # Both really worked in parallel (SKIP LOCKED split the backlog between them).
    assert all(r.counters["scored"] > 0 for r in runs), [r.counters for r in runs]
    assert all(r.counters.get("lost_races", 0) == 0 for r in runs), "row locks mean no race is ever lost"


def test_two_workers_on_sqlite_never_double_write(subprocess_env, manage_py, tiny_model_dir):
    """On SQLite (no row locks) the guarded UPDATE keeps scoring exactly-once, too."""
    from tests.conftest import is_postgres

    if is_postgres():
        pytest.skip("SKIPPED: SQLite-only check; on PostgreSQL the 2,000-article two-worker test covers it")
    _two_workers(manage_py, _env(subprocess_env, tiny_model_dir), 300)


def test_sigterm_mid_run_stops_cleanly(subprocess_env, manage_py, tiny_model_dir):
    total = 1500
    make_articles(total)
    proc = subprocess.Popen(
        [*manage_py, "analyze_sentiment", "--batch-size", "4"],
        env=_env(subprocess_env, tiny_model_dir),
        cwd=ROOT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    job = None
    while time.monotonic() < deadline:
        job = JobRun.objects.filter(command="analyze_sentiment").first()
        if job and job.counters.get("scored", 0) > 0:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the worker never committed a batch")
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - signalled < 30
    assert proc.returncode == 143, out + err  # 128 + SIGTERM, as scrape_reddit (issue 13)
    job.refresh_from_db()
    assert job.status == JobRun.Status.INTERRUPTED and "SIGTERM" in job.error
    scored = Article.objects.filter(scored_at__isnull=False)
    assert 0 < scored.count() < total, "stopped mid-run"
    assert scored.count() == job.counters["scored"]
    # Nothing half-written: scored rows are complete, unscored rows untouched.
    assert not scored.filter(vader_label="").exists() and not scored.filter(sentiment_model="").exists()
    assert not Article.objects.filter(scored_at__isnull=True).exclude(sentiment_model="", vader_label="").exists()
    assert "stopped by signal" in out
    # A rerun (in-process here, to save a torch start-up) finishes the job.
    with override_settings(
        SENTIMENT_MODEL=str(tiny_model_dir),
        SENTIMENT_MAX_TOKENS=64,
        SENTIMENT_THREADS=1,
    ):
        call_command("analyze_sentiment", "--batch-size", "64", "--model", "finbert", verbosity=0)
    assert not Article.objects.filter(scored_at__isnull=True).exists()
    assert Article.objects.filter(scored_at__isnull=False).count() == total


def test_missing_model_dir_exits_3_before_claiming(subprocess_env, manage_py, tmp_path):
    make_articles(3)
    done = subprocess.run(
        [*manage_py, "analyze_sentiment"],
        env=_env(subprocess_env, tmp_path / "not-baked-in"),
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "sentiment model unusable" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert Article.objects.filter(scored_at__isnull=True).count() == 3
    assert JobRun.objects.get(command="analyze_sentiment").status == JobRun.Status.FAILED


def test_default_hub_id_not_cached_falls_back_to_vader_loudly(subprocess_env, manage_py, tmp_path):
    make_articles(3)
    env = _env(subprocess_env, "ProsusAI/finbert", HF_HOME=str(tmp_path / "empty-hf-home"))
    env.pop("HF_HUB_CACHE", None)
    done = subprocess.run(
        [*manage_py, "analyze_sentiment"],
        env=env,
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("scoring with VADER instead") >= 1
    assert "ProsusAI/finbert" in done.stderr
    assert set(Article.objects.values_list("sentiment_model", flat=True)) == {"vader"}


def test_download_model_saves_a_loadable_copy_with_its_quantization_check(tiny_model_dir, tmp_path):
    out = tmp_path / "baked"
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT_DIR), SENTIMENT_THREADS="1")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sentiment.download_model",
            "--model",
            str(tiny_model_dir),
            "--out",
            str(out),
            "--check-size",
            "60",
        ],
        env=env,
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "int8 vs fp32 label agreement" in done.stdout
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "marketpulse_model.json",
    } <= set(os.listdir(out))
    meta = json.loads((out / "marketpulse_model.json").read_text())
    assert meta["labels"] == {"0": "positive", "1": "negative", "2": "neutral"}
    assert 0.0 <= meta["quantization"]["agreement"] <= 1.0 and meta["quantization"]["texts"] == 60 + len(
        CHECK_SENTENCES
    )
    from sentiment.analyzers import FinbertAnalyzer

    texts = ["buy calls", "sell puts crash", "the open"]
    original = FinbertAnalyzer(str(tiny_model_dir), max_tokens=32).score(texts)
    copy = FinbertAnalyzer(str(out), max_tokens=32)
    assert copy.score(texts) == original
    assert copy.name == str(tiny_model_dir)  # rows record where the weights came from

    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "sentiment.download_model",
            "--model",
            str(tmp_path / "nothing"),
            "--out",
            str(tmp_path / "x"),
        ],
        env=env,
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "download_model:" in bad.stderr


def test_empty_backlog_exits_fast_without_importing_torch(subprocess_env, manage_py, tiny_model_dir):
    """Issue 16: the 15-minute run with nothing to score must not pay for torch and the model.

    `-X importtime` lists every module the process imported (on stderr); the wall time is
    the best of three plain runs (other jobs share this machine's two cores)."""
    make_articles(2)
    env = _env(subprocess_env, tiny_model_dir)
    first = subprocess.run(
        [*manage_py, "analyze_sentiment", "--source", "reddit"], env=env, cwd=ROOT_DIR, capture_output=True, text=True
    )
    assert first.returncode == 0 and "scored 2" in first.stdout, first.stdout + first.stderr

    traced = subprocess.run(
        [sys.executable, "-X", "importtime", *manage_py[1:], "analyze_sentiment", "--source", "reddit"],
        env=env,
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert traced.returncode == 0, traced.stderr
    assert "nothing to score" in traced.stdout
    imported = {line.split("|")[-1].strip() for line in traced.stderr.splitlines() if line.startswith("import time:")}
    assert "django" in imported  # the trace is real
    assert not {m for m in imported if m.split(".")[0] in ("torch", "transformers", "tokenizers", "safetensors")}

    walls = []
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(
            [*manage_py, "analyze_sentiment", "--source", "reddit"], env=env, cwd=ROOT_DIR, capture_output=True
        )
        walls.append(time.perf_counter() - started)
        assert done.returncode == 0
    assert min(walls) < 2.0, f"empty-backlog runs took {walls} s (load average {os.getloadavg()})"
    runs = JobRun.objects.filter(command="analyze_sentiment").order_by("pk")
    assert runs.count() == 5 and all(r.status == JobRun.Status.SUCCEEDED for r in runs)
    assert runs.last().counters["model"].startswith("not loaded")
