"""Reads for analyze_sentiment: which articles are waiting for a score."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from articles.models import Article
from articles.selectors import backlog_condition

SOURCES = ("reddit", "all")
# Only these columns are read to score an article.
CLAIM_FIELDS = ("id", "kind", "title", "body", "first_seen_at")


def claimable_condition(*, rescore_before: datetime | None = None) -> Q:
    """The backlog (`articles.selectors.backlog_condition`: unscored, not removed); with
    --rescore, also the not-removed articles scored before this run started (each rescored
    once per run)."""
    condition = backlog_condition()
    if rescore_before is not None:
        condition |= Q(scored_at__lt=rescore_before, is_removed=False)
    return condition


def articles_claimable(
    *,
    source: str = "all",
    hours_back: int | None = None,
    rescore_before: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Article]:
    """Articles this run may score, NEWEST first (`created_utc` descending; the
    `article_unscored_newest_idx` partial index order), so after a dump import of months
    of history the pages fill from today backwards instead of from the oldest month.

    `source="reddit"` keeps Reddit fullnames (t1_/t3_); "all" is every article
    (today every article comes from Reddit; the option keeps the door open).
    `hours_back` keeps articles first seen in the last N hours.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    qs = Article.objects.filter(claimable_condition(rescore_before=rescore_before))
    if source == "reddit":
        qs = qs.filter(Q(reddit_id__startswith="t1_") | Q(reddit_id__startswith="t3_"))
    if hours_back is not None:
        qs = qs.filter(first_seen_at__gte=(now or timezone.now()) - timedelta(hours=hours_back))
    return qs.order_by("-created_utc", "-id")
