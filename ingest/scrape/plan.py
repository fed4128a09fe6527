"""What one scrape_reddit run is asked to do (`ScrapeOptions`), what it locks
(`scrape_targets`) and what it did (`ScrapeOutcome`): shared by the command, the
scraper (`ingest.scrape.scraper`) and its progress lines (`ingest.scrape.progress`). No praw here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REQUESTED_TARGET = "requested-threads"


@dataclass
class ScrapeOptions:
    mode: str = "incremental"
    subreddits: list[str] = field(default_factory=list)
    max_threads: int = 10
    max_comments: int | None = None
    dry_run: bool = False
    since: datetime | None = None
    until: datetime | None = None
    thread_ids: list[str] = field(default_factory=list)
    budget: int = 300
    tty: bool = False
    verbosity: int = 1
    say: Callable[[str], None] | None = None  # where verbosity >= 2 detail lines go


@dataclass
class ScrapeOutcome:
    counters: dict[str, Any]
    seconds: float
    stopped: bool = False
    budget_exhausted: bool = False
    failed_subreddits: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def scrape_targets(options: ScrapeOptions) -> list[str]:
    """What one run locks and scrapes: the subreddits, or the pseudo-target for --thread runs."""
    return [REQUESTED_TARGET] if options.thread_ids else [s.lower() for s in options.subreddits]
