"""scrape_reddit as a real process: the lock, SIGTERM, SIGKILL then rerun."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article, Mention, TickerHourly
from ingest.locks import scrape_lock_key
from ingest.models import ScrapeLock
from marketpulse.models import JobRun
from tests.conftest import is_postgres
from tests.ingest.conftest import discussion_comment_ids

pytestmark = [pytest.mark.slow]


def _wait(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _start(manage_py, env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [*manage_py, "scrape_reddit", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _run(manage_py, env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*manage_py, "scrape_reddit", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def _assert_complete_and_single(dataset) -> None:
    comments = list(Article.objects.filter(kind="comment").values_list("reddit_id", flat=True))
    assert len(comments) == len(set(comments))
    assert set(comments) == discussion_comment_ids(dataset)
    posts = list(Article.objects.filter(kind="post").values_list("reddit_id", flat=True))
    assert sorted(posts) == sorted(p["name"] for p in dataset["posts"])
    assert sum(TickerHourly.objects.values_list("mentions", flat=True)) == Mention.objects.count() > 0


def test_second_run_exits_at_once_while_another_holds_the_lock(
    transactional_db, tickers, fake_reddit, reddit_env, manage_py
):
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", list(scrape_lock_key("wallstreetbets")))
    else:
        now = timezone.now()
        ScrapeLock.objects.create(
            subreddit="wallstreetbets",
            owner="other",
            hostname=socket.gethostname(),
            pid=os.getpid(),
            acquired_at=now,
            heartbeat_at=now,
        )
    try:
        result = _run(manage_py, reddit_env, timeout=60)
    finally:
        if is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(scrape_lock_key("wallstreetbets")))
    assert result.returncode == 0, result.stderr
    assert "another scrape_reddit is running" in result.stdout
    assert fake_reddit.requests == []  # not a single request to Reddit
    assert not Article.objects.exists() and not JobRun.objects.exists()


def test_stale_sqlite_lock_rows_are_taken_over(transactional_db, tickers, fake_reddit, reddit_env, manage_py, dataset):
    if is_postgres():
        pytest.skip(
            "SKIPPED: the lock row is the SQLite lock; PostgreSQL uses advisory locks (released by the server on disconnect)"
        )
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = timezone.now() - timedelta(hours=1)
    ScrapeLock.objects.create(
        subreddit="wallstreetbets",
        owner="killed",
        hostname=socket.gethostname(),
        pid=dead.pid,
        acquired_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    ScrapeLock.objects.create(
        subreddit="stocks", owner="elsewhere", hostname="another-host", pid=1, acquired_at=old, heartbeat_at=old
    )
    env = dict(reddit_env, REDDIT_SUBREDDITS="wallstreetbets,stocks")
    result = _run(manage_py, env)
    assert result.returncode == 0, result.stderr
    assert "taking over a stale scrape lock" in result.stderr
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED
    assert not ScrapeLock.objects.exists()
    _assert_complete_and_single(dataset)


def test_sigterm_commits_the_batch_and_exits_quickly(
    transactional_db, tickers, fake_reddit, reddit_env, manage_py, dataset
):
    fake_reddit.delay = 0.4  # a slow Reddit: the run is mid-request when the signal lands
    proc = _start(manage_py, reddit_env)
    try:
        _wait(lambda: len(fake_reddit.requests) >= 8, 60, "the scrape to get going")
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < 30
    assert proc.returncode == 143, stderr
    assert "interrupted" in stdout
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.INTERRUPTED and "SIGTERM" in run.error
    assert run.finished_at is not None
    stored = list(Article.objects.values_list("reddit_id", flat=True))
    assert stored and len(stored) == len(set(stored))
    assert Article.objects.filter(kind="comment").exists()  # the current batch was committed
    assert set(Article.objects.filter(kind="comment").values_list("reddit_id", flat=True)) < discussion_comment_ids(
        dataset
    )
    assert run.counters["comments_new"] == Article.objects.filter(kind="comment").count()
    requests_at_stop = len(fake_reddit.requests)
    # The rerun finishes the job.
    fake_reddit.delay = 0.0
    result = _run(manage_py, reddit_env)
    assert result.returncode == 0, result.stderr
    assert len(fake_reddit.requests) > requests_at_stop
    _assert_complete_and_single(dataset)


def test_sigkill_mid_run_then_rerun_loses_nothing_and_doubles_nothing(
    transactional_db, tickers, fake_reddit, reddit_env, manage_py, dataset
):
    fake_reddit.delay = 0.5  # slow enough that the kill lands before the last thread is done
    proc = _start(manage_py, reddit_env)
    try:
        _wait(lambda: Article.objects.filter(kind="comment").exists(), 60, "a committed batch of comments")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    killed = JobRun.objects.get()
    assert killed.status == JobRun.Status.RUNNING  # nobody could mark it
    partial = Article.objects.filter(kind="comment").count()
    assert 0 < partial < len(discussion_comment_ids(dataset))
    fake_reddit.delay = 0.0
    result = _run(manage_py, reddit_env)
    assert result.returncode == 0, result.stderr
    _assert_complete_and_single(dataset)
    rerun = JobRun.objects.exclude(pk=killed.pk).get()
    assert rerun.status == JobRun.Status.SUCCEEDED
    assert rerun.counters["comments_new"] == len(discussion_comment_ids(dataset)) - partial
