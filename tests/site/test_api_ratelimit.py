"""API rate limit per client address: 429 with Retry-After and a JSON body; the client
address comes from X-Forwarded-For only when the peer is a trusted proxy (FORWARDED_ALLOW_IPS)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from marketpulse.ratelimit import client_ip, rate_counters_clear


@pytest.fixture
def limit(settings, db):
    settings.API_RATE_LIMIT = "3/m"
    rate_counters_clear()
    yield
    rate_counters_clear()


def test_over_the_limit_is_429_with_retry_after_and_json(client, limit, settings):
    assert settings.CACHES["ratelimit"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    for _ in range(3):
        assert client.get("/api/v1/status").status_code == 200
    response = client.get("/api/v1/tickers?window=7d")  # one budget for every endpoint
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "too many requests: at most 3/m per client address"}
    assert "Cache-Control" not in response and "ETag" not in response  # a 429 is not cached as a page
    # Another client address has its own budget.
    assert client.get("/api/v1/status", REMOTE_ADDR="192.0.2.77").status_code == 200


def test_the_limit_is_counted_before_parameters_are_checked(client, limit):
    for _ in range(3):
        assert client.get("/api/v1/tickers?window=bad").status_code == 400
    assert client.get("/api/v1/tickers").status_code == 429


def test_no_limit_when_api_rate_limit_is_off(client, limit, settings):
    settings.API_RATE_LIMIT = ""  # API_RATE_LIMIT=off
    assert {client.get("/api/v1/status").status_code for _ in range(6)} == {200}


def test_pages_and_the_document_are_not_limited(client, limit):
    for _ in range(5):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_limit_is_in_the_openapi_document(client, limit):
    doc = client.get("/api/v1/openapi.json").json()
    for item in doc["paths"].values():
        response = item["get"]["responses"]["429"]
        assert "3/m" in response["description"] and "Retry-After" in response["headers"]


@pytest.mark.parametrize(
    "trusted, peer, forwarded, expected",
    [
        (["127.0.0.1"], "127.0.0.1", "203.0.113.5, 198.51.100.9", "198.51.100.9"),  # the balancer's own entry
        (["127.0.0.1"], "192.0.2.1", "198.51.100.9", "192.0.2.1"),  # not a trusted peer: ignored
        (["10.0.0.0/8"], "10.4.5.6", "198.51.100.9", "198.51.100.9"),  # a subnet
        (["*"], "192.0.2.1", "198.51.100.9", "198.51.100.9"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_client_ip_follows_forwarded_allow_ips(settings, trusted, peer, forwarded, expected):
    settings.FORWARDED_ALLOW_IPS = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=peer, **headers)
    assert client_ip(request) == expected


def _redis_url() -> str:
    """The local Redis (database 5), or a loud skip where none runs; in CI a missing Redis fails."""
    import os
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs Redis on 127.0.0.1:6379, but nothing answers there")
        pytest.skip("SKIPPED: no Redis on 127.0.0.1:6379; the CACHE_URL=redis test did NOT run")
    return "redis://127.0.0.1:6379/5"


def test_the_limit_counts_in_redis_when_cache_url_names_it(client, db, settings):
    """CACHE_URL=redis://...: the counters live in the real Redis, where every worker sees them."""
    import environ
    import redis

    url = _redis_url()
    settings.CACHES = {**settings.CACHES, "ratelimit": environ.Env.cache_url_config(url)}
    settings.API_RATE_LIMIT = "2/m"
    rate_counters_clear()
    try:
        assert [client.get("/api/v1/status").status_code for _ in range(3)] == [200, 200, 429]
        keys = redis.Redis.from_url(url).keys("*")
        assert keys, "the rate-limit counter was not written to Redis"
    finally:
        rate_counters_clear()
