"""Response headers for the public site and API: CSP, Cache-Control, ETag/304, NUL and database-down answers.

One middleware per concern: `SecurityHeadersMiddleware`, `PublicCacheMiddleware`,
`RejectNulMiddleware`, `DatabaseUnavailableMiddleware` (503 with Retry-After). What each
sets and why: docs/design/site.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_to_bytes

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    set_response_etag,
)
from django.utils.html import escape

logger = logging.getLogger(__name__)

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


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | Market Pulse</title></head>
<body><h1>{title}</h1><p>{message}</p><p><a href="/">Market Pulse</a></p></body></html>
"""


def _short_response(
    request: HttpRequest, *, status: int, title: str, message: str, parameter: str | None = None
) -> HttpResponse:
    """A plain page (no template, no database) or, under /api/, the API's JSON error shape."""
    if _is_api(request):
        payload = {"error": message, **({"parameter": parameter} if parameter else {})}
        return JsonResponse(payload, status=status)
    return HttpResponse(
        _PAGE.format(title=title, message=escape(message[:1].upper() + message[1:]) + "."), status=status
    )


def _nul_parameter(query: str) -> str | None:
    """The first parameter whose value holds a NUL (None when it is in a name, or unparseable)."""
    for key, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if "\x00" in value and "\x00" not in key:
            return key
    return None


class RejectNulMiddleware:
    """400 for a NUL byte anywhere in the query string, before any view or admin filter sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or b"\x00" in unquote_to_bytes(query):
            parameter = _nul_parameter(query)
            where = parameter[:40] if parameter else "the query string"
            return _short_response(
                request,
                status=400,
                title="Bad request",
                message=f"{where} must not contain NUL characters",
                parameter=parameter,
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """503 (HTML, or JSON under /api/) when a view finds the database unreachable."""

    RETRY_AFTER_SECONDS = 30

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s %s: %s", request.method, request.path, str(exception).strip())
        response = _short_response(
            request, status=503, title="Service unavailable", message="the database is temporarily unavailable"
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


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
