"""System checks `manage.py check --deploy` runs for production (docs/design/rate-limit.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from marketpulse.assets import static_problem


@register(Tags.caches, deploy=True)
def ratelimit_store_check(app_configs, **kwargs) -> list:
    """W001: the API rate limit counts in the database unless CACHE_URL names a Redis."""
    if not settings.API_RATE_LIMIT:
        return []
    backend = settings.CACHES.get(settings.RATELIMIT_CACHE_ALIAS, {}).get("BACKEND", "")
    if backend == "django.core.cache.backends.redis.RedisCache":
        return []
    return [
        Warning(
            "The API rate limit counts requests in the database (one upsert per API request).",
            hint="Production needs CACHE_URL=redis://HOST:6379/N: atomic counters off the database.",
            id="marketpulse.W001",
        )
    ]


@register(Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs, **kwargs) -> list:
    """E001: a page asset has no manifest entry, so every page would answer 500."""
    problem = static_problem()
    if problem is None:
        return []
    return [
        Error(f"Pages cannot be served: {problem}.", hint="Run collectstatic before serving.", id="marketpulse.E001")
    ]
