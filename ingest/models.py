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


class DumpCheckpoint(models.Model):
    """How far `import_dump` got in one dump file, and (on SQLite) who is importing it now.

    One row per file identity (`ingest.dumps.reader.dump_identity`: source, size, version = mtime
    or ETag) and filters (`ingest.dumps.services.checkpoint_filters`), so a changed file starts
    over instead of resuming at a line that now means something else, and a run with other
    filters reads the file from its first line instead of skipping lines another run filtered. `line_no`/`byte_offset` are `DumpReader.position` after the last
    merged batch, written in that batch's transaction. `scope_*` accumulate what the
    committed batches inserted (hour range and tickers), so the rollups refresh after a
    kill covers the batches of the killed run too. `finished_at` is set once the whole
    file is merged and its rollups rebuilt.

    `owner`/`hostname`/`pid`/`heartbeat_at` are the SQLite lock (PostgreSQL uses an
    advisory lock instead; see `ingest.locks.dump_lock`).
    """

    source = models.CharField(max_length=1024)
    size = models.BigIntegerField()
    version = models.CharField(max_length=128, blank=True, help_text="mtime in ns (local file) or the S3 ETag.")
    filters = models.CharField(
        max_length=2048, blank=True, default="", help_text="The run's --subreddit/--since/--until/--kind, as JSON."
    )
    kind = models.CharField(max_length=16, blank=True, help_text="comments or submissions, told by the content.")
    line_no = models.BigIntegerField(default=0, help_text="Lines done (the last line of the last merged batch).")
    byte_offset = models.BigIntegerField(
        default=0, help_text="Plain files: the byte just past line_no. zstd: compressed bytes read (progress only)."
    )
    counters = models.JSONField(default=dict, blank=True, help_text="Totals over every run on this file.")
    scope_since = models.DateTimeField(null=True, blank=True)
    scope_until = models.DateTimeField(null=True, blank=True)
    scope_ticker_ids = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=64, blank=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["-updated_at"], name="dumpckpt_updated_idx")]
        constraints = [
            models.UniqueConstraint(fields=["source", "size", "version", "filters"], name="dumpckpt_identity_unique"),
            models.CheckConstraint(condition=Q(line_no__gte=0, byte_offset__gte=0), name="dumpckpt_position_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ line {self.line_no}"
