"""Issue 30, item 11: one huge score never wedges import_dump, refresh_rollups or analyze_sentiment.

A `score` of 10**30 was clamped to the bigint maximum; two of them in one ticker-hour made
the rollup's SUM overflow (`bigint out of range` on PostgreSQL, `integer overflow` on
SQLite), and every later job touching that hour failed. Counts are clamped at the edge
to +-COUNT_MAX (Reddit's are far below 2**31), and the rollup sums clamp what they add
(rows stored before the fix) and what they write.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import COUNT_MAX, Article, Mention, TickerHourly
from articles.services import UPVOTES_MAX, rollups_refresh, rollups_refresh_for_articles
from ingest.validation import NUM_COMMENTS_MAX, SCORE_MAX, SCORE_MIN, Accepted, item_validate
from marketpulse.models import JobRun

BIGINT_MAX = 2**63 - 1
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def test_counts_are_clamped_to_count_max_at_the_edge():
    assert COUNT_MAX == 2**31 - 1
    assert (SCORE_MIN, SCORE_MAX, NUM_COMMENTS_MAX) == (-COUNT_MAX, COUNT_MAX, COUNT_MAX)
    base = {"id": "abc", "subreddit": "stocks", "title": "t", "created_utc": NOW.timestamp() - 60}
    for score, stored in [(10**30, COUNT_MAX), (-(10**30), -COUNT_MAX), ("1e40", COUNT_MAX), (2**31, COUNT_MAX)]:
        result = item_validate({**base, "score": score, "num_comments": 5e9}, kind="post", now=NOW)
        assert isinstance(result, Accepted)
        assert (result.row["score"], result.row["num_comments"]) == (stored, COUNT_MAX), score
    result = item_validate({**base, "score": 123_456, "num_comments": 789}, kind="post", now=NOW)
    assert (result.row["score"], result.row["num_comments"]) == (123_456, 789)  # real counts untouched


def _comment(n: int, created: float, score: object) -> dict:
    return {
        "id": f"huge{n}",
        "link_id": "t3_hugepost",
        "subreddit": "wallstreetbets",
        "author": f"ape{n}",
        "body": f"$TSLA to the moon {n}",
        "created_utc": created,
        "score": score,
    }


@pytest.mark.django_db(transaction=True)
def test_a_huge_score_imports_and_every_job_after_it_runs(tickers, tmp_path, settings):
    """import_dump, then refresh_rollups and analyze_sentiment over the same ticker-hour (real database)."""
    created = (timezone.now() - timedelta(hours=2)).replace(minute=5).timestamp()
    lines = [_comment(n, created + n, 10**30) for n in range(3)] + [_comment(9, created + 9, 7)]
    dump = tmp_path / "RC_huge.ndjson"
    dump.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    settings.REDDIT_SUBREDDITS = ["wallstreetbets"]
    call_command("import_dump", str(dump), stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
    assert sorted(Article.objects.values_list("score", flat=True)) == [7, COUNT_MAX, COUNT_MAX, COUNT_MAX]
    hour = TickerHourly.objects.get(ticker__symbol="TSLA")
    assert (hour.mentions, hour.upvotes) == (4, 3 * COUNT_MAX + 7)

    call_command("refresh_rollups", stdout=io.StringIO(), verbosity=0)
    settings.SENTIMENT_BACKEND = "vader"
    settings.STANCE_MODEL_STORE = str(tmp_path / "stance-models")
    call_command("analyze_sentiment", stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
    runs = JobRun.objects.filter(command__in=["import_dump", "analyze_sentiment"])
    assert {(r.command, r.status) for r in runs} == {
        ("import_dump", JobRun.Status.SUCCEEDED),
        ("analyze_sentiment", JobRun.Status.SUCCEEDED),
    }
    assert not Article.objects.filter(scored_at__isnull=True).exists()
    assert TickerHourly.objects.get(ticker__symbol="TSLA").upvotes == 3 * COUNT_MAX + 7


@pytest.mark.django_db
def test_rows_stored_before_the_clamp_still_roll_up(tickers):
    """Scores at the bigint maximum (stored before the edge clamped to COUNT_MAX) no longer overflow the SUM."""
    moment = timezone.now().replace(minute=10, second=0, microsecond=0) - timedelta(hours=1)
    tsla = tickers["TSLA"]
    articles = []
    for n, score in enumerate([BIGINT_MAX, BIGINT_MAX, BIGINT_MAX, -(2**63), 5]):
        article = Article.objects.create(
            reddit_id=f"t1_old{n}",
            kind="comment",
            subreddit="wallstreetbets",
            parent_post_id="t3_old",
            body="$TSLA",
            author=f"ape{n}",
            score=score,
            created_utc=moment + timedelta(minutes=n),
        )
        Mention.objects.create(article=article, ticker=tsla, created_utc=article.created_utc, matched_text="TSLA")
        articles.append(article)
    rollups_refresh()
    assert TickerHourly.objects.get(ticker=tsla).upvotes == 3 * COUNT_MAX - COUNT_MAX + 5
    # What analyze_sentiment and an admin review call after their commit.
    rollups_refresh_for_articles(article_ids=[a.pk for a in articles])
    assert TickerHourly.objects.get(ticker=tsla).mentions == 5


@pytest.mark.django_db
def test_a_rollup_total_is_clamped_too(tickers, monkeypatch):
    """However many summands, a total stays within +-UPVOTES_MAX, so sums of rollup rows (the leaderboard's) fit."""
    assert UPVOTES_MAX * 2**16 <= BIGINT_MAX
    monkeypatch.setattr("articles.services.UPVOTES_MAX", 3 * COUNT_MAX)  # reached with 4 summands
    moment = timezone.now().replace(minute=10, second=0, microsecond=0) - timedelta(hours=1)
    for n in range(4):
        article = Article.objects.create(
            reddit_id=f"t1_big{n}",
            kind="comment",
            subreddit="wallstreetbets",
            parent_post_id="t3_big",
            body="$TSLA",
            score=COUNT_MAX,
            created_utc=moment,
        )
        Mention.objects.create(article=article, ticker=tickers["TSLA"], created_utc=moment, matched_text="TSLA")
    rollups_refresh()
    assert TickerHourly.objects.get(ticker=tickers["TSLA"]).upvotes == 3 * COUNT_MAX
