"""praw, configured for this project: endpoint from settings, request budget, retries.

Every request goes through `GuardedSession` (stop flag, budget, Reddit's rate-limit
headers), and `RedditClient.call` retries one logical fetch on 429, 5xx and bad JSON
with capped backoff. How it plugs into praw: docs/design/reddit-client-and-replay.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import praw
import praw.objector
import prawcore
import requests
from django.conf import settings

from ingest.validation import Accepted, Rejected, item_validate

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5
BACKOFF_START_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 60.0
RATE_RESERVE = 2  # keep this many requests of Reddit's window unused


class StopFetching(Exception):
    """A stop was requested (SIGTERM/SIGINT): no more requests."""


class BudgetExhausted(Exception):
    """The run's request budget is spent."""


class GuardedSession(requests.Session):
    def __init__(self, *, budget: int, should_stop: Callable[[], bool], sleep: Callable[[float], None]) -> None:
        super().__init__()
        self.budget = budget
        self.should_stop = should_stop
        self._sleep = sleep
        self.requests_made = 0
        self.limit_budget: int | None = None  # a lower cap for the current unit of work
        self.ratelimit_remaining: float | None = None
        self.ratelimit_reset_at: float | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.should_stop():
            raise StopFetching("stop requested")
        if self.requests_made >= self.budget:
            raise BudgetExhausted(f"request budget of {self.budget} spent")
        if self.limit_budget is not None and self.requests_made >= self.limit_budget:
            raise BudgetExhausted("per-thread request cap reached")
        if (
            self.ratelimit_remaining is not None
            and self.ratelimit_remaining <= RATE_RESERVE
            and self.ratelimit_reset_at
        ):
            wait = min(self.ratelimit_reset_at - time.monotonic(), RETRY_AFTER_CAP_SECONDS)
            if wait > 0:
                logger.info(
                    "Reddit rate limit nearly used (%s left): waiting %.0f s for the window to reset",
                    self.ratelimit_remaining,
                    wait,
                )
                self._sleep(wait)
                if self.should_stop():
                    raise StopFetching("stop requested")
        response = super().request(method, url, *args, **kwargs)
        self.requests_made += 1
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and reset is not None:
            try:
                self.ratelimit_remaining = float(remaining)
                self.ratelimit_reset_at = time.monotonic() + float(reset)
            except ValueError:
                pass
        return response


class TolerantObjector(praw.objector.Objector):
    """praw's Objector, except that a listing child whose `data` is not an object
    (`{"kind": "t3", "data": "junk"}`; praw would crash on it, losing its whole page) is
    left out of its listing and handed to `on_malformed`, which counts it as a reject."""

    def __init__(self, reddit: praw.Reddit, parsers: dict[str, Any], on_malformed: Callable[[Any], None]) -> None:
        super().__init__(reddit, parsers)
        self.on_malformed = on_malformed
        self.thing_kinds = frozenset({*reddit.config.kinds.values(), "more"})

    def _malformed(self, data: Any) -> bool:
        return (
            isinstance(data, dict)
            and data.get("kind") in self.thing_kinds
            and "data" in data
            and not isinstance(data["data"], dict)
        )

    def objectify(self, *, data: Any) -> Any:
        if isinstance(data, list) and any(self._malformed(item) for item in data):
            kept = []
            for item in data:
                if self._malformed(item):
                    self.on_malformed(item)
                else:
                    kept.append(item)
            data = kept
        elif self._malformed(data):
            self.on_malformed(data)
            return None
        return super().objectify(data=data)


def _unwrap(exc: BaseException) -> BaseException:
    original = getattr(exc, "original_exception", None)
    if isinstance(original, (StopFetching, BudgetExhausted)):
        return original
    return exc


class RedditClient:
    def __init__(
        self,
        *,
        budget: int,
        should_stop: Callable[[], bool] = lambda: False,
        on_malformed: Callable[[Any], None] | None = None,
    ) -> None:
        self.should_stop = should_stop
        self.on_malformed = on_malformed or _log_malformed
        self.session = GuardedSession(budget=budget, should_stop=should_stop, sleep=self.sleep)
        self.reddit = praw.Reddit(
            client_id=settings.REDDIT_CLIENT_ID,
            client_secret=settings.REDDIT_CLIENT_SECRET,
            user_agent=settings.REDDIT_USER_AGENT,
            oauth_url=settings.REDDIT_OAUTH_URL.rstrip("/"),
            reddit_url=settings.REDDIT_URL.rstrip("/"),
            check_for_updates=False,
            requestor_kwargs={"session": self.session},
        )
        self.reddit.read_only = True
        # praw has no public hook for its objector: replace the one it built, with its parsers.
        self.reddit._objector = TolerantObjector(
            self.reddit, self.reddit._objector.parsers, lambda child: self.on_malformed(child)
        )

    @property
    def requests_made(self) -> int:
        return self.session.requests_made

    @property
    def budget_left(self) -> int:
        return max(0, self.session.budget - self.session.requests_made)

    def sleep(self, seconds: float) -> None:
        """Sleep in short steps so a stop request cuts the wait short."""
        end = time.monotonic() + max(0.0, seconds)
        while not self.should_stop():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.25))

    def call(self, fn: Callable[[], T], *, what: str) -> T:
        """Run one fetch, retrying 429/5xx/bad JSON/connection errors with capped backoff."""
        delay = BACKOFF_START_SECONDS
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return fn()
            except prawcore.TooManyRequests as exc:
                retry_after = _retry_after(exc.response)
                if attempt == MAX_ATTEMPTS:
                    raise
                logger.warning(
                    "%s: 429 Too Many Requests, retrying in %.0f s (attempt %d/%d)",
                    what,
                    retry_after,
                    attempt,
                    MAX_ATTEMPTS,
                )
                self.sleep(retry_after)
            except (prawcore.ServerError, prawcore.BadJSON, prawcore.RequestException) as exc:
                real = _unwrap(exc)
                if real is not exc:
                    raise real from None
                if attempt == MAX_ATTEMPTS:
                    raise
                logger.warning(
                    "%s: %s, retrying in %.0f s (attempt %d/%d)", what, _describe(exc), delay, attempt, MAX_ATTEMPTS
                )
                self.sleep(delay)
                delay = min(delay * 2, BACKOFF_CAP_SECONDS)
            if self.should_stop():
                raise StopFetching("stop requested")
        raise AssertionError("unreachable")


def _log_malformed(child: Any) -> None:
    logger.warning("a %r listing child without an object as its data, skipped", child.get("kind"))


def _retry_after(response: requests.Response | None) -> float:
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        value = float(raw) if raw is not None else 5.0
    except ValueError:
        value = 5.0
    return max(0.0, min(value, RETRY_AFTER_CAP_SECONDS))


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        return f"{type(exc).__name__} (HTTP {response.status_code})"
    original = getattr(exc, "original_exception", None)
    return f"{type(exc).__name__} ({type(original).__name__ if original else exc})"


# ------------------------------------------------------------------ parsing
#
# One builder: `ingest.validation.item_validate`. These two are thin wrappers for
# callers that want a row or an exception (benchmarks, tests); the scraper calls
# `item_validate` itself so that it can count and skip a rejected item.


class ItemRejected(ValueError):
    """`item_validate` refused the item: `.rejected` says which one and why."""

    def __init__(self, rejected: Rejected) -> None:
        super().__init__(f"{rejected.fullname or '(no id)'}: {rejected.reason}")
        self.rejected = rejected


def _row(result: Accepted | Rejected) -> dict[str, Any]:
    if isinstance(result, Rejected):
        raise ItemRejected(result)
    return result.row


def submission_item(post: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """A praw Submission (or a t3 dict) -> the fields of an Article row; `ItemRejected` if it cannot be stored."""
    return _row(item_validate(post, kind="post", now=now))


def comment_item(comment: Any, *, subreddit: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A praw Comment (or a t1 dict) -> the fields of an Article row; `ItemRejected` if it cannot be stored."""
    return _row(item_validate(comment, kind="comment", now=now, subreddit=subreddit))
