"""Surge alerts (issue 29): webhook delivery against a real HTTP server on 127.0.0.1.

The signature, once per URL across reruns, a kill -9 mid-send, two senders at once,
retries with backoff on 500 and on a timeout, refused URLs, the watch list and min score."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import AlertDelivery, Surge, Ticker
from ops.alerts.services import MAX_ATTEMPTS, alerts_deliver, backoff
from tests.ops.webhook_server import webhook_receiver

SECRET = "s3cret-for-the-test"


def make_surge(symbol: str = "GME", *, score: float = 12.0, hours_ago: float = 1, detected_ago: float = 0.1) -> Surge:
    now = timezone.now()
    ticker, _ = Ticker.objects.get_or_create(symbol=symbol, defaults={"name": symbol})
    start = (now - timedelta(hours=hours_ago)).replace(minute=0, second=0, microsecond=0)
    return Surge.objects.create(
        ticker=ticker,
        started_at=start,
        peak_at=start,
        last_hour=start,
        mentions=60,
        expected_mentions=9.5,
        unique_authors=41,
        expected=6.2,
        score=score,
        bullish=30,
        bearish=6,
        neutral=4,
        detected_at=now - timedelta(hours=detected_ago),
    )


def deliver(url, **kwargs):
    kwargs.setdefault("secret", "")
    kwargs.setdefault("symbols", [])
    kwargs.setdefault("min_score", 0.0)
    kwargs.setdefault("timeout", 2.0)
    return alerts_deliver(urls=[url] if isinstance(url, str) else url, **kwargs)


def test_signed_body_that_slack_and_discord_accept(db, settings):
    settings.SITE_URL = "https://marketpulse.example.com"
    surge = make_surge()
    with webhook_receiver(secret=SECRET) as hook:
        counts = deliver(hook.url, secret=SECRET)
    assert (counts.created, counts.sent, counts.failed) == (1, 1, 0)
    [got] = hook.received
    assert got.verified is True  # the receiver's own HMAC of the raw body matches the header
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["text"] == body["content"] and body["text"].startswith("$GME is surging: 41 authors vs 6.2 expected")
    assert "https://marketpulse.example.com/t/GME/" in body["text"]
    assert {k: body[k] for k in ("symbol", "mentions", "unique_authors", "expected", "score", "url")} == {
        "symbol": "GME",
        "mentions": 60,
        "unique_authors": 41,
        "expected": 6.2,
        "score": 12.0,
        "url": "https://marketpulse.example.com/t/GME/",
    }
    assert (body["bullish_pct"], body["bearish_pct"]) == (75.0, 15.0)
    assert body["started_at"] == surge.started_at.isoformat().replace("+00:00", "Z")
    assert body["peak_at"] and body["ended_at"] is None
    row = AlertDelivery.objects.get()
    assert (row.state, row.attempts, row.sent_at is not None) == ("sent", 1, True)
    assert row.url_label.startswith("http://127.0.0.1:") and "hook" not in row.url_label  # never the secret path
    assert row.url_hash == hashlib.sha256(hook.url.encode()).hexdigest()


def test_a_wrong_secret_does_not_verify_and_no_secret_no_header(db):
    make_surge()
    with webhook_receiver(secret=SECRET) as hook:
        deliver(hook.url, secret="another")
    assert hook.received[0].verified is False
    make_surge("TSLA")
    with webhook_receiver() as hook:
        deliver(hook.url, secret="")
    assert "x-marketpulse-signature" not in hook.received[-1].headers
    expected = "sha256=" + hmac.new(b"k", hook.received[-1].body, hashlib.sha256).hexdigest()
    assert expected.startswith("sha256=") and len(expected) == 71


def test_exactly_one_delivery_after_reruns(db):
    make_surge("GME")
    make_surge("TSLA")
    with webhook_receiver() as hook:
        first = deliver(hook.url)
        second = deliver(hook.url)
        third = deliver(hook.url)
    assert (first.created, first.sent) == (2, 2)
    assert (second.created, second.sent, third.sent) == (0, 0, 0)
    assert len(hook.received) == 2
    assert sorted(json.loads(r.body)["symbol"] for r in hook.received) == ["GME", "TSLA"]
    assert AlertDelivery.objects.filter(state="sent").count() == 2


def test_each_url_gets_its_own_delivery_and_a_failing_one_blocks_no_other(db):
    for symbol in ("GME", "TSLA", "AMC"):
        make_surge(symbol)
    with webhook_receiver(mode="error") as bad, webhook_receiver(path="/other") as good:
        counts = deliver([bad.url, good.url])
    assert len(good.received) == 3 and len(bad.received) == 1  # the failing URL: one try, the rest wait
    assert (counts.sent, counts.failed, counts.deferred) == (3, 1, 2)
    assert counts.failing_urls == [AlertDelivery.objects.filter(state="pending").first().url_label]
    assert AlertDelivery.objects.filter(state="pending", attempts=0).count() == 2  # deferred: not an attempt


def test_retries_on_500_with_backoff_then_gives_up(db):
    make_surge()
    now = timezone.now()
    with webhook_receiver(mode="error") as hook:
        counts = deliver(hook.url, now=now)
        assert (counts.sent, counts.failed) == (0, 1)
        row = AlertDelivery.objects.get()
        assert (row.state, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
        assert row.next_attempt_at == pytest.approx(now + backoff(1), abs=timedelta(seconds=5))
        assert deliver(hook.url, now=now + timedelta(minutes=1)).failed == 0  # not due yet: no request
        assert len(hook.received) == 1
        waits = [backoff(n) for n in range(1, MAX_ATTEMPTS)]
        assert waits == sorted(waits) and waits[1] == 2 * waits[0]  # exponential
        at = now
        for n in range(2, MAX_ATTEMPTS + 1):
            at = AlertDelivery.objects.get().next_attempt_at + timedelta(seconds=1)
            counts = deliver(hook.url, now=at)
            assert counts.failed == 1
            assert AlertDelivery.objects.get().attempts == n
        assert counts.gave_up == 1
        row = AlertDelivery.objects.get()
        assert (row.state, row.next_attempt_at) == ("failed", None)
        assert len(hook.received) == MAX_ATTEMPTS
        hook.mode = "ok"
        assert deliver(hook.url, now=at + timedelta(days=1)).sent == 0  # given up: never again


def test_a_500_then_success_on_the_next_run(db):
    make_surge()
    with webhook_receiver(mode="error") as hook:
        deliver(hook.url)
        hook.mode = "ok"
        later = timezone.now() + backoff(1) + timedelta(seconds=1)
        assert deliver(hook.url, now=later).sent == 1
    assert [r.answered for r in hook.received] == [500, 204]
    row = AlertDelivery.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_timeout_is_short_and_retried(db):
    make_surge()
    with webhook_receiver(mode="sleep", sleep=3) as hook:
        started = time.monotonic()
        counts = deliver(hook.url, timeout=0.5)
        took = time.monotonic() - started
        assert took < 2.5, took
        assert (counts.sent, counts.failed) == (0, 1)
        row = AlertDelivery.objects.get()
        assert (row.state, row.attempts) == ("pending", 1)
        assert "timed out" in row.last_error and row.next_attempt_at > timezone.now()
        hook.mode = "ok"  # the receiver is back: the retry, once due, delivers
        assert deliver(hook.url, timeout=0.5).sent == 0  # not due yet
        later = timezone.now() + backoff(1) + timedelta(seconds=1)
        assert deliver(hook.url, timeout=0.5, now=later).sent == 1
    row = AlertDelivery.objects.get()
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(hook.answered_ok()) == 1


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/hook", "file:///etc/passwd", "127.0.0.1:9/hook", "hooks.example.com/x", "http:///nohost"]
)
def test_a_bad_url_is_refused_logged_and_counted(db, url, caplog):
    make_surge()
    with webhook_receiver() as hook:
        counts = deliver([url, hook.url])
    assert counts.refused_urls == 1 and counts.sent == 1
    assert AlertDelivery.objects.count() == 1  # only the good URL has a row
    assert any("refused" in r.getMessage() for r in caplog.records if r.name == "ops.alerts")
    assert "passwd" not in caplog.text and "/hook" not in caplog.text  # the path is never logged


def test_watch_list_and_min_score(db):
    make_surge("GME", score=12)
    make_surge("TSLA", score=4)
    make_surge("AMC", score=30)
    with webhook_receiver() as hook:
        counts = deliver(hook.url, symbols=["gme", "TSLA"], min_score=5)
    assert counts.sent == 1
    assert [json.loads(r.body)["symbol"] for r in hook.received] == ["GME"]


def test_the_settings_drive_it(db, settings):
    make_surge("GME", score=12)
    make_surge("TSLA", score=12)
    with webhook_receiver(secret=SECRET) as hook:
        settings.ALERT_WEBHOOK_URLS = [hook.url, "ftp://nope/"]
        settings.ALERT_WEBHOOK_SECRET = SECRET
        settings.ALERT_SYMBOLS = ["TSLA"]
        settings.ALERT_MIN_SCORE = 10.0
        counts = alerts_deliver()
    assert (counts.sent, counts.refused_urls) == (1, 1)
    assert hook.received[0].verified and json.loads(hook.received[0].body)["symbol"] == "TSLA"


def test_old_surges_of_a_replay_are_not_news(db):
    make_surge("GME", hours_ago=24 * 30, detected_ago=24 * 30)
    with webhook_receiver() as hook:
        assert deliver(hook.url).created == 0
    assert hook.received == []


def test_dry_run_writes_and_sends_nothing(db):
    make_surge()
    with webhook_receiver() as hook:
        counts = deliver(hook.url, dry_run=True)
    assert (counts.created, counts.sent) == (1, 0)
    assert hook.received == [] and not AlertDelivery.objects.exists()


SENDER = "from ops.alerts.services import alerts_deliver; print(alerts_deliver().as_dict(), flush=True)"


def sender(manage_py, env, url, timeout):
    env = {**env, "ALERT_WEBHOOK_URLS": url, "ALERT_TIMEOUT_SECONDS": str(timeout), "ALERT_SYMBOLS": ""}
    return subprocess.Popen(
        [*manage_py, "shell", "-c", SENDER], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_one_delivery_after_a_kill_mid_send_and_a_rerun(transactional_db, subprocess_env, manage_py):
    make_surge()
    timeout = 3.0
    with webhook_receiver(mode="hold") as hook:
        proc = sender(manage_py, subprocess_env, hook.url, timeout)
        assert hook.got_request.wait(60), proc.communicate(timeout=5)
        os.kill(proc.pid, signal.SIGKILL)  # mid-send: the receiver holds the request unanswered
        proc.wait(10)
        killed_at = time.monotonic()
        row = AlertDelivery.objects.get()
        assert (row.state, row.attempts, bool(row.claimed_by)) == ("pending", 1, True)
        hook.release.set()
        hook.mode = "ok"
        # A rerun while the dead sender's claim is younger than a send's timeout leaves it.
        assert deliver(hook.url, timeout=timeout).busy == 1
        assert len(hook.received) == 1
        time.sleep(max(0.0, 2 * timeout + 1.2 - (time.monotonic() - killed_at)))
        counts = deliver(hook.url, timeout=timeout)  # the claim is stale now: taken over
        assert counts.sent == 1
        assert deliver(hook.url, timeout=timeout).sent == 0
    assert [r.answered for r in hook.received] == [None, 204]  # one answered delivery
    ids = {r.headers["x-marketpulse-delivery"] for r in hook.received}
    assert len(ids) == 1  # the resend carries the same delivery id, for a receiver that dedupes
    row = AlertDelivery.objects.get()
    assert (row.state, row.attempts) == ("sent", 2)


def test_two_sender_processes_at_once_deliver_once(transactional_db, subprocess_env, manage_py):
    for symbol in ("GME", "TSLA", "AMC", "NVDA", "PLTR", "SPY"):
        make_surge(symbol)
    with webhook_receiver(mode="sleep", sleep=0.2) as hook:
        procs = [sender(manage_py, subprocess_env, hook.url, 5.0) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    symbols = sorted(json.loads(r.body)["symbol"] for r in hook.received)
    assert symbols == ["AMC", "GME", "NVDA", "PLTR", "SPY", "TSLA"]
    assert AlertDelivery.objects.filter(state="sent").count() == 6


def test_many_threads_racing_for_the_same_rows_on_postgresql(postgres_only, transactional_db):
    """PostgreSQL only (skipped on SQLite, which serialises writers): 6 senders start together."""
    for symbol in ("GME", "TSLA", "AMC"):
        make_surge(symbol)
    from django.db import connection

    barrier = threading.Barrier(6)
    results = []

    def run(url):
        try:
            barrier.wait(10)
            results.append(deliver(url))
        finally:
            connection.close()

    with webhook_receiver(mode="sleep", sleep=0.1) as hook:
        deliver(hook.url, dry_run=True)
        threads = [threading.Thread(target=run, args=(hook.url,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert len(results) == 6
    assert sorted(json.loads(r.body)["symbol"] for r in hook.received) == ["AMC", "GME", "TSLA"]
    assert sum(r.sent for r in results) == 3
    assert AlertDelivery.objects.count() == 3


def test_daily_status_reports_the_url_that_keeps_failing(db):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from ops.selectors import daily_status_get, daily_status_warnings

    make_surge("GME")
    with webhook_receiver(mode="error", path="/services/T0/B0/secret-path") as bad, webhook_receiver() as good:
        at = timezone.now()
        for _ in range(3):
            deliver([bad.url, good.url], now=at)
            at = AlertDelivery.objects.get(state="pending").next_attempt_at + timedelta(seconds=1)
        assert len(bad.received) == 3 and len(good.received) == 1
        label = bad.url.rsplit("/services", 1)[0]
        warnings = daily_status_warnings(daily_status_get(days=7, top=5))
        assert f"alerts to {label} keep failing: 0 given up, 1 retrying; last error: HTTP 500" in warnings
        assert not any(good.url.rsplit("/", 3)[0] + " " in w or "secret-path" in w for w in warnings)
        out = io.StringIO()
        with pytest.raises(CommandError):  # stale scraper (no scrape ever): exit 1 after the report
            call_command("daily_status", stdout=out, stderr=io.StringIO())
        assert f"! alerts to {label} keep failing" in out.getvalue()
        for _ in range(MAX_ATTEMPTS - 3):
            deliver([bad.url], now=at)
            row = AlertDelivery.objects.get(url_label=label)
            at = (row.next_attempt_at or at) + timedelta(seconds=1)
    [failing] = daily_status_get(days=7, top=5).alerts_failing
    assert (failing.label, failing.gave_up, failing.retrying) == (label, 1, 0)
