"""Job-run bookkeeping: one JobRun row per management-command run."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    command = models.CharField(max_length=64)
    arguments = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    counters = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["-started_at"], name="jobrun_started_idx"),
            models.Index(fields=["command", "status", "-started_at"], name="jobrun_cmd_status_idx"),
            # The scraper's freshness: the newest finish of its succeeded runs (marketpulse.runs).
            models.Index(fields=["command", "status", "-finished_at"], name="jobrun_cmd_status_fin_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["running", "succeeded", "failed", "interrupted"]),
                name="jobrun_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True) | models.Q(finished_at__gte=models.F("started_at")),
                name="jobrun_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.command} #{self.pk} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RateLimitWindow(models.Model):
    """One client's fixed-window request count, for the API rate limit without Redis.

    One row per client key, rewritten in place when a new window starts (an atomic upsert:
    `marketpulse.ratelimit`), so no other client's traffic can push a live window out;
    expired rows are deleted now and then. docs/design/rate-limit.md.
    """

    key = models.CharField(max_length=200, primary_key=True)
    window_start = models.BigIntegerField(help_text="Unix time the window began.")
    expires_at = models.BigIntegerField(help_text="Unix time the window ends.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="ratelimit_expires_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} since {self.window_start}"
