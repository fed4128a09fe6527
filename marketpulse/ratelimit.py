"""Who the client is (`client_ip`), and how often it may call the API (`ClientRateThrottle`).

Fixed windows counted atomically where every worker sees them: Redis INCR when the
`ratelimit` cache is Redis (CACHE_URL=redis://..., what production needs), else one
upserted row per client in `RateLimitWindow`. docs/design/rate-limit.md.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import HttpRequest
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

from marketpulse.models import RateLimitWindow

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _trusted(spec: tuple[str, ...]) -> tuple[bool, tuple]:
    if "*" in spec:
        return True, ()
    networks = []
    for item in spec:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # gunicorn ignores what it cannot parse too; settings checked the format
    return False, tuple(networks)


def is_trusted_proxy(address: str) -> bool:
    any_peer, networks = _trusted(tuple(settings.FORWARDED_ALLOW_IPS))
    if any_peer:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The peer's address, or the last X-Forwarded-For entry (the one our load balancer
    appended) when the peer is a trusted proxy (FORWARDED_ALLOW_IPS). Also axes' callable."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if is_trusted_proxy(remote):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1]
    return remote


PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
KEY_PREFIX = "mp:api-rate:"
CLEANUP_ONE_IN = 64  # new windows; each cleanup deletes the expired rows only


def rate_parse(rate: str) -> tuple[int, int]:
    """ "120/m" -> (120, 60); "10/5m" -> (10, 300). The format the settings checked."""
    count, rest = rate.split("/", 1)
    unit = next(u for u in sorted(PERIODS, key=len, reverse=True) if rest.endswith(u))
    return int(count), int(rest[: -len(unit)] or 1) * PERIODS[unit]


@dataclass(frozen=True)
class Hit:
    count: int  # requests in this window, this one included
    reset_in: int  # seconds until the window ends


def rate_hit(*, ident: str, duration: int, now: float | None = None) -> Hit:
    """Count one request of `ident` in the current fixed window of `duration` seconds, atomically."""
    now = time.time() if now is None else now
    window_start = int(now // duration * duration)
    cache = caches[settings.RATELIMIT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        count = _redis_hit(cache, ident, window_start, duration)
    else:
        count, window_start = _database_hit(ident, window_start, duration)
    return Hit(count=count, reset_in=max(1, int(window_start + duration - now + 0.999)))


def _redis_hit(cache: RedisCache, ident: str, window_start: int, duration: int) -> int:
    """SET NX EX then INCR in one MULTI: the key is born with its expiry, so it never outlives its window."""
    key = cache.make_and_validate_key(f"{KEY_PREFIX}{ident}:{window_start}")
    client = cache._cache.get_client(key, write=True)  # Django's own redis client and pool
    pipe = client.pipeline(transaction=True)
    pipe.set(key, 0, ex=duration + 1, nx=True)
    pipe.incr(key)
    return int(pipe.execute()[1])


def _database_hit(ident: str, window_start: int, duration: int) -> tuple[int, int]:
    """One upsert: a new window resets the count, the current one adds one (the row is locked
    while it does), a late request from an older window counts in the newer one."""
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    key = connection.ops.quote_name("key")
    statement = (
        f"INSERT INTO {table} AS w ({key}, window_start, expires_at, hits) VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        "hits = CASE WHEN w.window_start >= excluded.window_start THEN w.hits + 1 ELSE 1 END, "
        "expires_at = CASE WHEN w.window_start >= excluded.window_start THEN w.expires_at ELSE excluded.expires_at END, "
        "window_start = CASE WHEN w.window_start >= excluded.window_start THEN w.window_start "
        "ELSE excluded.window_start END "
        "RETURNING hits, window_start"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [f"{KEY_PREFIX}{ident}", window_start, window_start + duration])
        hits, started = cursor.fetchone()
    if hits == 1 and random.randrange(CLEANUP_ONE_IN) == 0:  # sampling, not security
        RateLimitWindow.objects.filter(expires_at__lt=window_start).delete()
    return hits, started


def rate_counters_clear() -> None:
    """Forget every count (tests; an operator lifting limits at once)."""
    RateLimitWindow.objects.all().delete()
    cache = caches[settings.RATELIMIT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        pattern = cache.make_and_validate_key(f"{KEY_PREFIX}*")
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)


class ClientRateThrottle(BaseThrottle):
    """API_RATE_LIMIT per `client_ip` (`off`: none); over it ninja answers 429 with Retry-After.

    One throttle object serves every request and thread: the wait lives in a thread-local.
    If the Redis holding the counts is unreachable, requests are let through (logged):
    the limit must not take the API down with it.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        rate = settings.API_RATE_LIMIT
        if not rate:
            return True
        limit, duration = rate_parse(rate)
        try:
            hit = rate_hit(ident=client_ip(request), duration=duration)
        except RedisError as exc:
            logger.warning("API rate limit not counted: %s", exc)
            return True
        if hit.count <= limit:
            return True
        self._local.wait = float(hit.reset_in)
        return False

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
