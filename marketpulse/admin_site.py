"""Admin login throttling, with no extra service: a counter in Django's cache.

After ADMIN_LOGIN_MAX_FAILURES failed logins for one username, or from one client
address, within ADMIN_LOGIN_LOCKOUT_SECONDS, further attempts are refused (even
with the right password) until the window passes. A successful login clears the
username's counter.

The counters live in the default cache. With the default per-process memory
cache each web worker counts on its own (an attacker gets at most workers x the
limit); configure a shared cache (e.g. Django's database cache) to make the limit
exact across workers.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache


def _limits() -> tuple[int, int]:
    return settings.ADMIN_LOGIN_MAX_FAILURES, settings.ADMIN_LOGIN_LOCKOUT_SECONDS


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"admin-login-fail:{kind}:{digest}"


def _client_ip(request) -> str:
    """The client's address. Behind the TLS-terminating load balancer (the setting
    SECURE_PROXY_SSL_HEADER is on) REMOTE_ADDR is the balancer's, so take the last
    X-Forwarded-For entry, the one the balancer itself appended (earlier entries
    are whatever the client claimed)."""
    if request is None:
        return ""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "") or ""


def login_failures(*, username: str = "", ip: str = "") -> int:
    keys = [k for k in (_key("user", username) if username else "", _key("ip", ip) if ip else "") if k]
    return max((cache.get(k, 0) for k in keys), default=0)


def record_failure(*, username: str, ip: str) -> None:
    _, window = _limits()
    for key in (_key("user", username) if username else "", _key("ip", ip) if ip else ""):
        if not key:
            continue
        if cache.add(key, 1, window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def clear_failures(*, username: str) -> None:
    cache.delete(_key("user", username))


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many failed logins. Try again in %(minutes)d minutes.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = _client_ip(self.request)
        limit, window = _limits()
        if login_failures(username=username, ip=ip) >= limit:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": max(1, window // 60)}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if any(e.code == "invalid_login" for e in exc.error_list):
                record_failure(username=username, ip=ip)
            raise
        clear_failures(username=username)
        return cleaned
