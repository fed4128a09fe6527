"""Query-parameter parsing shared by the pages and the API.

Every parser raises `BadParameter` with a message a person can act on; the API
turns it into `400 {"error": ..., "parameter": ...}`, the pages into a 400 page.
Nothing here may let a bad value reach the database as a 500. An empty value is a
bad value (`?window=` is not a window); only an empty `q` or `cursor` means "none".
"""

from __future__ import annotations

from django.http import QueryDict

from articles import leaderboard, selectors

MAX_PAGE = 10_000
MAX_QUERY = 100
MAX_CURSOR = 200


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _choice(params: QueryDict, name: str, choices, default: str | None) -> str | None:
    raw = params.get(name)
    if raw is None or (default is None and raw == "all"):
        return default
    if raw not in choices:
        allowed = ", ".join(choices)
        raise BadParameter(name, f"{name} must be one of {allowed}")
    return raw


def window(params: QueryDict) -> str:
    return _choice(params, "window", tuple(leaderboard.WINDOWS), "24h")


def range_(params: QueryDict) -> str:
    return _choice(params, "range", tuple(selectors.RANGES), "7d")


def sort(params: QueryDict) -> str:
    return _choice(params, "sort", selectors.SORTS, "new")


def label(params: QueryDict) -> str | None:
    return _choice(params, "label", selectors.LABELS, None)


def kind(params: QueryDict) -> str | None:
    return _choice(params, "kind", selectors.KINDS, None)


def page(params: QueryDict) -> int:
    raw = params.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise BadParameter("page", f"page must be a whole number from 1 to {MAX_PAGE}")
    value = int(raw)
    if not 1 <= value <= MAX_PAGE:
        raise BadParameter("page", f"page must be a whole number from 1 to {MAX_PAGE}")
    return value


def flag(params: QueryDict, name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise BadParameter(name, f"{name} must be true or false")


def cursor(params: QueryDict) -> str | None:
    raw = params.get("cursor")
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_CURSOR:
        raise BadParameter("cursor", "cursor is not valid")
    return raw


def query(params: QueryDict) -> str:
    raw = (params.get("q") or "").strip()
    if len(raw) > MAX_QUERY:
        raise BadParameter("q", f"q must be at most {MAX_QUERY} characters")
    if "\x00" in raw:
        raise BadParameter("q", "q must not contain NUL characters")
    return raw
