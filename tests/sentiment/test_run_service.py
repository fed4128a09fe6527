"""analyze_sentiment's run in sentiment.services (issue 28): the empty-backlog short-circuit,
the run counters and the dry-run tally, without the command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketpulse.jobs import job_run
from marketpulse.models import JobRun
from sentiment.analyzers import VaderAnalyzer
from sentiment.services import (
    NOT_LOADED,
    ScoringOutcome,
    articles_score,
    dry_run_tally,
    scoring_run_finish,
    scoring_run_start,
    scoring_skip_if_idle,
)

from .conftest import make_articles

pytestmark = pytest.mark.django_db


def test_idle_run_is_recorded_without_a_model():
    make_articles(4, is_removed=True, body="[removed]")  # not backlog
    with job_run("analyze_sentiment", arguments={}) as run:
        assert scoring_skip_if_idle(run=run) == 0
    row = JobRun.objects.get()
    assert row.counters == {"scored": 0, "positive": 0, "negative": 0, "neutral": 0, "model": NOT_LOADED, "backlog": 0}


def test_work_waiting_is_not_skipped_and_the_counters_close_the_run():
    make_articles(5, first_seen_at=timezone.now() - timedelta(days=2))
    vader = VaderAnalyzer()
    with job_run("analyze_sentiment", arguments={}) as run:
        assert scoring_skip_if_idle(run=run) is None
        assert scoring_skip_if_idle(run=run, hours_back=1) is not None  # the filter counts: none seen that recently
        scoring_run_start(run=run, analyzer=vader)
        outcome = articles_score(analyzer=vader, vader=vader, run=run, limit=3)
        assert scoring_run_finish(run=run, outcome=outcome) == 2
    counters = JobRun.objects.get().counters
    assert counters["model"] == vader.name and counters["scored"] == 3 and counters["backlog"] == 2
    assert {"items_per_s", "peak_rss_mb"} <= counters.keys()


def test_dry_run_tally_counts_the_samples():
    outcome = ScoringOutcome(
        samples=[
            (1, "a", ("positive", 0.5, 0.9), ("positive", 0.4, 1.0)),
            (2, "b", ("neutral", 0.0, 0.9), ("negative", -0.4, 1.0)),
            (3, "c", ("positive", 0.7, 0.9), ("neutral", 0.0, 1.0)),
        ]
    )
    assert dry_run_tally(outcome) == {"positive": 2, "negative": 0, "neutral": 1}
