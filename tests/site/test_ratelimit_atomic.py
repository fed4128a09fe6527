"""The API rate limit holds under load (issue 30, item 16): no other client's traffic evicts a
live window, and parallel requests never get past the limit. The database path runs on the
suite's database (PostgreSQL with DATABASE_URL, else SQLite); the Redis path on the real
Redis at 127.0.0.1:6379 (database 13, a key prefix of its own)."""

from __future__ import annotations

import threading

import environ
import pytest
from django.db import connections
from django.test import RequestFactory

from marketpulse import ratelimit
from marketpulse.models import RateLimitWindow
from tests.site.test_api_ratelimit import _redis_url

THREADS = 40
LIMIT = 10


def _allowed_in_parallel(n: int, address: str) -> int:
    """`n` threads call the API's throttle at the same moment, each on its own connection."""
    throttle = ratelimit.ClientRateThrottle()
    barrier = threading.Barrier(n)
    allowed: list[bool] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            request = RequestFactory().get("/api/v1/status", REMOTE_ADDR=address)
            barrier.wait(timeout=30)
            allowed.append(throttle.allow_request(request))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=one) for _ in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    assert len(allowed) == n
    return sum(allowed)


@pytest.fixture
def database_counts(settings, db):
    settings.API_RATE_LIMIT = f"{LIMIT}/m"
    assert settings.CACHES["ratelimit"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    ratelimit.rate_counters_clear()
    yield
    ratelimit.rate_counters_clear()


@pytest.fixture
def redis_counts(settings, db):
    config = environ.Env.cache_url_config(_redis_url().rsplit("/", 1)[0] + "/13")
    config["KEY_PREFIX"] = "mp-test-ratelimit"
    settings.CACHES = {**settings.CACHES, "ratelimit": config}
    settings.API_RATE_LIMIT = f"{LIMIT}/m"
    ratelimit.rate_counters_clear()
    yield config
    ratelimit.rate_counters_clear()


def test_other_clients_never_evict_a_live_window(client, database_counts):
    # 1.1.1.1 sorts before 10.0.x.x: the database cache culled its counter first (measured: let through).
    limited = "1.1.1.1"
    for _ in range(LIMIT):
        assert client.get("/api/v1/status", REMOTE_ADDR=limited).status_code == 200
    assert client.get("/api/v1/status", REMOTE_ADDR=limited).status_code == 429
    throttle = ratelimit.ClientRateThrottle()
    factory = RequestFactory()
    for i in range(400):  # 400 other clients: more than the 300 entries the database cache kept
        assert throttle.allow_request(factory.get("/", REMOTE_ADDR=f"10.0.{i // 250}.{i % 250}"))
    response = client.get("/api/v1/status", REMOTE_ADDR=limited)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.slow
def test_parallel_requests_get_exactly_the_limit_from_the_database(transactional_db, database_counts):
    assert _allowed_in_parallel(THREADS, "203.0.113.40") == LIMIT
    row = RateLimitWindow.objects.get(key=f"{ratelimit.KEY_PREFIX}203.0.113.40")
    assert row.hits == THREADS and row.expires_at - row.window_start == 60


@pytest.mark.slow
def test_parallel_requests_get_exactly_the_limit_from_redis(transactional_db, redis_counts):
    import redis

    assert _allowed_in_parallel(THREADS, "203.0.113.41") == LIMIT
    server = redis.Redis.from_url(redis_counts["LOCATION"])
    [key] = server.keys("mp-test-ratelimit:*203.0.113.41*")
    assert int(server.get(key)) == THREADS
    assert 0 < server.ttl(key) <= 61  # the window's key expires with it
    assert not RateLimitWindow.objects.exists()  # nothing went to the database


def test_a_new_window_starts_from_one_and_expired_rows_are_removed(database_counts, monkeypatch):
    assert ratelimit.rate_hit(ident="a", duration=60, now=1_000_000.0).count == 1
    assert ratelimit.rate_hit(ident="a", duration=60, now=1_000_010.0) == ratelimit.Hit(count=2, reset_in=10)
    # A request stamped in the previous window (a worker's clock behind) counts in the current one.
    assert ratelimit.rate_hit(ident="a", duration=60, now=1_000_070.0).count == 1
    assert ratelimit.rate_hit(ident="a", duration=60, now=1_000_050.0).count == 2
    monkeypatch.setattr(ratelimit.random, "randrange", lambda n: 0)  # this time, clean up
    ratelimit.rate_hit(ident="b", duration=60, now=1_000_300.0)
    assert list(RateLimitWindow.objects.values_list("key", flat=True)) == [f"{ratelimit.KEY_PREFIX}b"]


def test_an_unreachable_redis_lets_requests_through(settings, db, caplog):
    settings.CACHES = {**settings.CACHES, "ratelimit": environ.Env.cache_url_config("redis://127.0.0.1:9/0")}
    settings.API_RATE_LIMIT = "1/m"
    throttle = ratelimit.ClientRateThrottle()
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9")
    assert throttle.allow_request(request) and throttle.allow_request(request)
    assert "API rate limit not counted" in caplog.text
