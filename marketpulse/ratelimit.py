"""Who the client is, and how often it may call the API.

`client_ip`: the peer's address (REMOTE_ADDR), or, when the peer is a proxy we trust
(FORWARDED_ALLOW_IPS, the variable gunicorn reads too: comma-separated addresses or
networks, `*` for any), the last X-Forwarded-For entry: the one the load balancer
itself appended (earlier entries are whatever the client claimed). Used by the API's
rate limit and by django-axes (AXES_CLIENT_IP_CALLABLE) for admin logins.

`ClientRateThrottle`: django-ninja's sliding-window throttle (`AnonRateThrottle`)
keyed by `client_ip`, at API_RATE_LIMIT (e.g. `120/m`; `off` turns it off), with its
counters in the `ratelimit` cache (Django's database cache, or CACHE_URL), so every
worker and process shares them. Over the limit ninja answers 429 with Retry-After.
"""

from __future__ import annotations

import ipaddress
import threading
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.throttling import AnonRateThrottle, BaseThrottle


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
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if is_trusted_proxy(remote):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1]
    return remote


class _IPThrottle(AnonRateThrottle):
    scope = "api"
    cache_format = "mp:api-rate:%(ident)s"

    def __init__(self, rate: str) -> None:
        self.cache = caches[settings.RATELIMIT_CACHE_ALIAS]
        super().__init__(rate)

    def get_ident(self, request: HttpRequest) -> str:
        return client_ip(request)


class ClientRateThrottle(BaseThrottle):
    """One ninja throttle object serves every request (and thread): the per-request state
    (history, wait) lives in a fresh `_IPThrottle` and a thread-local."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        rate = settings.API_RATE_LIMIT
        if not rate:
            return True
        throttle = _IPThrottle(rate)
        if throttle.allow_request(request):
            return True
        self._local.wait = max(1.0, throttle.wait() or throttle.duration)
        return False

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
