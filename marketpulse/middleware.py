"""Response headers for the public site and API: Content-Security-Policy, Cache-Control, ETag/304.

`SecurityHeadersMiddleware` sets a strict CSP on every response: scripts and styles
only from our own origin (no `unsafe-inline` scripts anywhere; the public pages use
no inline styles either). The admin (other templates, some inline `style`
attributes) gets `style-src 'self' 'unsafe-inline'`, still no inline scripts.

`PublicCacheMiddleware` gives successful GET/HEAD responses that did not choose
their own caching a public `Cache-Control` (API: `max-age=60`; HTML pages:
`max-age=0, must-revalidate`, so browsers revalidate every load) and a
content-hash `ETag`, and answers a matching `If-None-Match` with 304 (Django's
conditional-GET rules).
Responses that set cookies, the admin and /health (never_cache) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    set_response_etag,
)

PUBLIC_MAX_AGE = 60  # seconds; the data changes every 15 minutes, and a page should never look frozen

_BASE_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CSP = "; ".join((*_BASE_CSP, "style-src 'self'"))
CSP_ADMIN = "; ".join((*_BASE_CSP, "style-src 'self' 'unsafe-inline'"))


def _is_admin(request: HttpRequest) -> bool:
    return request.path.startswith("/" + settings.ADMIN_URL)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP_ADMIN if _is_admin(request) else CSP
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        return response


class PublicCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != 200
            or response.streaming
            or response.has_header("Cache-Control")
            or response.cookies
            or _is_admin(request)
        ):
            return response
        if response.get("Content-Type", "").startswith("text/html"):
            # Pages: always revalidate (a 304 when unchanged), so a reviewer's correction
            # shows on the next load instead of after a browser's max-age.
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        if not response.has_header("ETag"):
            set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)
