"""One webhook POST over the standard library: http(s) only, no redirects, short timeouts.

A URL's path is a secret on Slack and Discord: only `url_label` (scheme and host) is ever
logged or stored."""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "market-pulse-alerts/1"


class RefusedUrl(ValueError):
    """Not an http(s) URL with a host: never sent to."""


def url_check(url: str) -> str:
    """The URL, checked: http or https with a host; RefusedUrl otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise RefusedUrl("not a URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise RefusedUrl(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if not host:
        raise RefusedUrl("no host")
    return url.strip()


def url_hash(url: str) -> str:
    return hashlib.sha256(url.strip().encode()).hexdigest()


def url_label(url: str) -> str:
    """scheme://host[:port], for the log and the operator (never the secret path)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    return f"{parts.scheme}://{host}{port}"[:200] if parts.scheme else f"(no scheme) {host}"[:200]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is an answer, not an instruction to post elsewhere


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None  # the HTTP status, None when no answer came
    error: str  # empty when ok


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST the body; a 2xx is ok, anything else (status, timeout, refused connection) is not."""
    request = urllib.request.Request(
        url_check(url),
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return Outcome(False, exc.code, f"HTTP {exc.code}")
    except TimeoutError:
        return Outcome(False, None, f"timed out after {timeout:g}s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Outcome(False, None, f"timed out after {timeout:g}s")
        return Outcome(False, None, f"connection failed: {reason}"[:300])
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return Outcome(True, status, "")
    return Outcome(False, status, f"HTTP {status}")
