"""Training data and trained versions of the stance model (issue 12: "labelled data in, models out").

- `StanceExample`: a labelled text imported with `manage.py import_labels` (a CSV of
  label,text). Not an Article: it has no Reddit id, no ticker, no time, and must never
  show up on the pages or in the rollups. One row per text: `text_hash` is the SHA-256 of
  the normalised text (`text_hash`), unique, so a re-import adds nothing.
- `StanceModelVersion`: one trained version, as `manage.py train_stance` recorded it: its
  held-out metrics beside the scorer it was compared with, the data it was trained on, and
  whether it is the promoted one. The model store (STANCE_MODEL_STORE, a directory or
  s3://bucket/prefix; `sentiment.stance.store`) is the source of truth for what is
  promoted: the jobs read it there. This table is the admin's read-only copy, so the web
  process never needs boto3 or scikit-learn.

This module imports nothing heavy: the web process loads it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.db import models
from django.db.models import Q

_SPACE = re.compile(r"\s+")


class StanceLabel(models.TextChoices):
    BULLISH = "bullish", "Bullish"
    BEARISH = "bearish", "Bearish"
    NEUTRAL = "neutral", "Neutral"


STANCE_LABEL_VALUES = [value for value, _ in StanceLabel.choices]


def text_normalise(text: str) -> str:
    """The form two texts are compared in: NFKC, case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().casefold()


def text_hash(text: str) -> str:
    """SHA-256 (hex) of `text_normalise(text)`: "$TSLA  to the MOON" and "$tsla to the moon" are one example."""
    return hashlib.sha256(text_normalise(text).encode("utf-8")).hexdigest()


class StanceExample(models.Model):
    """A labelled text for training the stance model (imported, never scraped)."""

    text = models.TextField()
    text_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the normalised text.")
    label = models.CharField(max_length=8, choices=StanceLabel.choices)
    source = models.CharField(max_length=64, help_text="The --source name given to import_labels.")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [
            models.Index(fields=["-imported_at", "-id"], name="stanceexample_imported_idx"),
            models.Index(fields=["source", "label"], name="stanceexample_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(label__in=STANCE_LABEL_VALUES), name="stanceexample_label_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="stanceexample_text_not_empty"),
            models.CheckConstraint(condition=~Q(source=""), name="stanceexample_source_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:60]}"


class StanceModelVersion(models.Model):
    """A trained stance model version, as recorded by train_stance (the store holds the files)."""

    version = models.CharField(max_length=64, unique=True, help_text="UTC timestamp + short hash of the data.")
    kind = models.CharField(max_length=32, help_text="linear, or embedding-head (a transformer's embeddings + LR).")
    uri = models.CharField("location", max_length=500, help_text="Where the artefact is in the model store.")
    created_at = models.DateTimeField()
    git_sha = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, help_text="The held-out metrics (sentiment.stance.linear.evaluate).")
    baseline_name = models.CharField(max_length=200, blank=True, help_text="The scorer it was compared with.")
    baseline_metrics = models.JSONField(default=dict, help_text="That scorer on the same held-out examples.")
    data_counts = models.JSONField(default=dict, help_text="Examples per source and per label, train and held out.")
    promoted = models.BooleanField(default=False, help_text="The version analyze_sentiment uses (per the store).")
    promoted_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=300, blank=True, help_text="What train_stance decided about promotion.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="stancemodelversion_created_idx")]
        constraints = [
            # At most one promoted version.
            models.UniqueConstraint(
                fields=["promoted"], condition=Q(promoted=True), name="stancemodelversion_one_promoted"
            ),
        ]

    def __str__(self) -> str:
        return self.version

    @property
    def macro_recall(self) -> float | None:
        return self.metrics.get("macro_recall")

    @property
    def baseline_macro_recall(self) -> float | None:
        return self.baseline_metrics.get("macro_recall")
