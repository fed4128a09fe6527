"""The scraper's own state: checkpoints and the SQLite lock row.

Checkpoints are written in the same transaction as the batch of articles that
reached them, so they can never run ahead of what is stored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SubredditCheckpoint(models.Model):
    """Per subreddit: the newest post stored so far."""

    subreddit = models.CharField(max_length=64, unique=True)
    newest_post_utc = models.DateTimeField(null=True, blank=True)
    newest_post_id = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"r/{self.subreddit} @ {self.newest_post_utc}"


class ThreadCheckpoint(models.Model):
    """Per tracked thread (a daily/moves thread, or one asked for with --thread)."""

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily/weekend discussion"
        MOVES = "moves", "What are your moves tomorrow"
        REQUESTED = "requested", "Asked for with --thread"

    reddit_id = models.CharField("post fullname", max_length=20, unique=True)
    subreddit = models.CharField(max_length=64)
    title = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_utc = models.DateTimeField()
    newest_comment_utc = models.DateTimeField(null=True, blank=True)
    comments_seen = models.PositiveIntegerField(default=0, help_text="Comments of this thread stored so far.")
    # Reddit's own number: a hostile or corrupt answer can pass 2**31 (the validated value fits a bigint).
    reddit_num_comments = models.PositiveBigIntegerField(default=0, help_text="Reddit's own count at the last scrape.")
    unexpanded_more = models.PositiveIntegerField(
        default=0, help_text="'More comments' stubs left unexpanded at the last scrape (request budget)."
    )
    last_scraped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_utc"]
        indexes = [models.Index(fields=["subreddit", "-created_utc"], name="threadckpt_sub_created_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["daily", "moves", "requested"]), name="threadckpt_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.reddit_id} {self.title[:40]}"


class ScrapeLock(models.Model):
    """One row per subreddit being scraped, on SQLite (PostgreSQL uses advisory locks).

    A row whose heartbeat is older than the staleness timeout, or whose owner
    process is gone from this host, is taken over: a SIGKILLed run cannot block
    the scraper forever.
    """

    subreddit = models.CharField(max_length=64, unique=True)
    owner = models.CharField(max_length=64)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    acquired_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"r/{self.subreddit} held by {self.hostname}:{self.pid}"
