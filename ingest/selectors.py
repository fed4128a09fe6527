"""Reads of the scraper's state: `scrape_reddit --mode status`, and what a run skips or resumes from."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from articles.models import Article
from articles.selectors import backlog_summary
from ingest.models import ScrapeLock, SubredditCheckpoint, ThreadCheckpoint
from marketpulse.models import JobRun

logger = logging.getLogger(__name__)


@dataclass
class ScrapeStatus:
    threads: list[ThreadCheckpoint]
    subreddits: list[SubredditCheckpoint]
    runs: list[JobRun]
    backlog: int  # articles.selectors' backlog: unscored and not removed
    articles: int  # the articles that can be scored (not removed)
    removed: int  # removed on Reddit: never scored, never backlog
    locks: list[ScrapeLock]


def scrape_status_get(*, threads: int = 10, runs: int = 5) -> ScrapeStatus:
    backlog = backlog_summary()  # the one definition, as analyze_sentiment, daily_status and /api/v1/status
    return ScrapeStatus(
        threads=list(ThreadCheckpoint.objects.order_by("-created_utc")[:threads]),
        subreddits=list(SubredditCheckpoint.objects.order_by("subreddit")),
        runs=list(JobRun.objects.filter(command="scrape_reddit").order_by("-started_at")[:runs]),
        backlog=backlog.unscored,
        articles=backlog.total,
        removed=Article.objects.count() - backlog.total,
        locks=list(ScrapeLock.objects.all()),
    )


def status_lines(status: ScrapeStatus) -> list[str]:
    def when(value: Any) -> str:
        return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"

    lines = ["Tracked threads (comments stored / Reddit's count):"]
    if not status.threads:
        lines.append("  none yet")
    for t in status.threads:
        more = f", {t.unexpanded_more} 'more' stubs left" if t.unexpanded_more else ""
        lines.append(
            f"  {t.reddit_id:<12} {t.kind:<9} {t.comments_seen:>6} / {t.reddit_num_comments:<6} newest {when(t.newest_comment_utc)}, "
            f"scraped {when(t.last_scraped_at)}{more}  {t.title[:60]}"
        )
    lines.append("Subreddits (newest post stored):")
    if not status.subreddits:
        lines.append("  none yet")
    for s in status.subreddits:
        lines.append(f"  r/{s.subreddit}: {s.newest_post_id or '-'} at {when(s.newest_post_utc)}")
    lines.append("Last runs:")
    if not status.runs:
        lines.append("  none yet")
    for r in status.runs:
        c = r.counters or {}
        took = f"{r.duration_seconds:.0f} s" if r.duration_seconds is not None else "running"
        lines.append(
            f"  #{r.pk} {when(r.started_at)} {r.status:<11} {took:>8}: threads={c.get('threads', 0)} "
            f"posts+{c.get('posts_new', 0)} comments+{c.get('comments_new', 0)} mentions={c.get('mentions', 0)} "
            f"requests={c.get('requests', 0)}" + (f" error: {r.error[:80]}" if r.error else "")
        )
    for lock in status.locks:
        lines.append(
            f"Lock held: r/{lock.subreddit} by pid {lock.pid} on {lock.hostname}, heartbeat {when(lock.heartbeat_at)}"
        )
    removed = f" ({status.removed} removed on Reddit, never scored)" if status.removed else ""
    lines.append(f"Backlog: {status.backlog} of {status.articles} articles not scored yet{removed}")
    return lines


def threads_tracked(*, subreddit: str, live_since: datetime) -> list[tuple[str, str]]:
    """The daily and moves threads of `subreddit` posted since `live_since`: (fullname, kind)."""
    return list(
        ThreadCheckpoint.objects.filter(
            subreddit__iexact=subreddit,
            created_utc__gte=live_since,
            kind__in=[ThreadCheckpoint.Kind.DAILY, ThreadCheckpoint.Kind.MOVES],
        ).values_list("reddit_id", "kind")
    )


def threads_unchanged(*, ids: list[str], scraped_since: datetime) -> dict[str, int]:
    """The threads among `ids` with nothing new, with their comment count: Reddit's count,
    just refreshed from the listings or /api/info into the post's row, is the one the last
    full scrape saw, every `more` stub was expanded, and that scrape is since `scraped_since`."""
    counts = dict(Article.objects.filter(reddit_id__in=ids).values_list("reddit_id", "num_comments"))
    seen = ThreadCheckpoint.objects.filter(reddit_id__in=ids, unexpanded_more=0, last_scraped_at__gte=scraped_since)
    return {
        rid: n for rid, n in seen.values_list("reddit_id", "reddit_num_comments").iterator() if counts.get(rid) == n
    }


def subreddit_checkpoint_usable(*, subreddit: str, now: datetime) -> datetime | None:
    """Where /new may stop: the subreddit checkpoint, or, when it is in the future (written
    from an unvalidated item before issue 13), the newest stored post up to now."""
    ckpt = SubredditCheckpoint.objects.filter(subreddit=subreddit).first()
    newest = ckpt.newest_post_utc if ckpt else None
    if newest is not None and newest > now:
        newest = (
            Article.objects.filter(kind=Article.Kind.POST, subreddit__iexact=subreddit, created_utc__lte=now)
            .order_by("-created_utc")
            .values_list("created_utc", flat=True)
            .first()
        )
        logger.warning(
            "r/%s: the checkpoint %s is in the future; walking /new back to %s instead (repaired on write)",
            subreddit,
            ckpt.newest_post_utc,
            newest or "the listing's end",
        )
    return newest
