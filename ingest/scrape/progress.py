"""How a scrape shows itself: a progress bar or periodic log lines while it runs, one summary line at the end."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from marketpulse.jobs import counter_breakdown, counter_total

if TYPE_CHECKING:
    from ingest.scrape.plan import ScrapeOutcome

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 15.0


class Progress:
    """A tqdm bar on a terminal; a log line every LOG_EVERY_SECONDS otherwise."""

    def __init__(self, *, tty: bool, label: str) -> None:
        self.label = label
        self._bar = None
        self._last_log = time.monotonic()
        if tty:
            from tqdm import tqdm

            self._bar = tqdm(desc=label, unit=" items", file=sys.stderr, dynamic_ncols=True)

    def update(self, n: int, counters: dict[str, Any], note: str = "") -> None:
        if self._bar is not None:
            self._bar.update(n)
            self._bar.set_postfix_str(f"{note} requests={counters.get('requests', 0)}", refresh=False)
            return
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_SECONDS:
            self._last_log = now
            logger.info("%s: %s", self.label, _counters_line(counters) + (f" ({note})" if note else ""))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _counters_line(c: dict[str, Any]) -> str:
    return (
        f"threads={c.get('threads', 0)} posts new={c.get('posts_new', 0)} updated={c.get('posts_updated', 0)} "
        f"comments new={c.get('comments_new', 0)} updated={c.get('comments_updated', 0)} "
        f"mentions={c.get('mentions', 0)} rejected={counter_total(c, 'rejected')} requests={c.get('requests', 0)}"
    )


def rejected_text(counters: dict[str, Any]) -> str:
    """'3 rejected (created_in_future 2, created_utc_invalid 1)', or '' when nothing was rejected."""
    reasons = counter_breakdown(counters, "rejected")
    if not reasons:
        return ""
    detail = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
    return f"{sum(reasons.values())} rejected ({detail})"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_line(outcome: ScrapeOutcome) -> str:
    c = outcome.counters
    rejected = rejected_text(c)
    return (
        f"scrape_reddit: {c.get('threads', 0)} threads, posts {c.get('posts_new', 0)} new/{c.get('posts_updated', 0)} updated, "
        f"comments {c.get('comments_new', 0)} new/{c.get('comments_updated', 0)} updated, {c.get('mentions', 0)} mentions, "
        f"{c.get('requests', 0)} requests, {outcome.seconds:.1f} s"
        + (f", {rejected}" if rejected else "")
        + (f", {c['threads_skipped']} threads skipped" if c.get("threads_skipped") else "")
        + (f", {_plural(c['steps_failed'], 'step')} failed" if c.get("steps_failed") else "")
        + (f", {c['errors']} errors" if c.get("errors") else "")
    )
