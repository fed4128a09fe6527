"""One concept, one definition: every screen that shows a concept reads the same function.

Top tickers of the last 24 hours (home page, daily_status, review queue, admin filter),
scraper freshness (site banner, /api/v1/status, daily_status), the sentiment backlog
(analyze_sentiment's claim, /api/v1/status, daily_status), and the safe Reddit URL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import leaderboard, review
from articles.admin_filters import _top_symbols
from articles.models import Article, Ticker, TickerHourly, safe_reddit_url
from articles.selectors import articles_backlog_count, backlog_summary
from marketpulse.models import JobRun
from marketpulse.runs import Freshness, scraper_freshness
from ops.selectors import daily_status_get
from sentiment.selectors import articles_claimable

pytestmark = pytest.mark.django_db


def hourly(ticker: Ticker, hour, *, mentions: int, upvotes: int = 0) -> TickerHourly:
    return TickerHourly.objects.create(ticker=ticker, hour=hour, mentions=mentions, posts=mentions, upvotes=upvotes)


def test_top_tickers_one_window_one_ranking_one_scope_everywhere():
    now = timezone.now()
    start, end = leaderboard.last_24h(now)
    assert end - start == timedelta(hours=24) and start <= now < end
    this_hour = end - timedelta(hours=1)
    t = {s: Ticker.objects.create(symbol=s) for s in ("AAA", "BBB", "CCC", "DDD", "YOLO", "OLD")}
    hourly(t["CCC"], this_hour, mentions=5, upvotes=1)  # the current, partial hour counts
    hourly(t["BBB"], start, mentions=5, upvotes=9)  # the first bucket counts
    hourly(t["AAA"], this_hour, mentions=5, upvotes=1)  # ties CCC on both: symbol A-Z decides
    hourly(t["DDD"], this_hour, mentions=4, upvotes=100)
    hourly(t["OLD"], start - timedelta(hours=1), mentions=50)  # 25 hours back: outside
    hourly(t["YOLO"], this_hour, mentions=99)
    Ticker.objects.filter(symbol="YOLO").update(is_active=False)  # "never link": ranked nowhere

    expected = ["BBB", "AAA", "CCC", "DDD"]
    board = leaderboard.ticker_leaderboard(window="24h", now=now)
    assert [r.symbol for r in board.rows] == expected
    assert [r.symbol for r in leaderboard.top_tickers(limit=10, now=now)] == expected
    ids = review.top_ticker_ids(now=now, limit=10)
    assert [Ticker.objects.get(pk=i).symbol for i in ids] == expected
    assert _top_symbols()[:4] == expected
    assert [x.symbol for x in daily_status_get(days=1, top=10, now=now).top] == expected


def test_scraper_freshness_is_the_newest_successful_finish():
    now = timezone.now()
    # Overlapping runs: the one that started first finished last.
    JobRun.objects.create(
        command="scrape_reddit",
        status="succeeded",
        started_at=now - timedelta(minutes=30),
        finished_at=now - timedelta(minutes=5),
    )
    JobRun.objects.create(
        command="scrape_reddit",
        status="succeeded",
        started_at=now - timedelta(minutes=20),
        finished_at=now - timedelta(minutes=18),
    )
    JobRun.objects.create(command="scrape_reddit", status="failed", started_at=now, finished_at=now)
    fresh = scraper_freshness(now=now)
    assert fresh.last_success_at == now - timedelta(minutes=5)
    assert fresh.minutes_ago == 5 and not fresh.is_stale
    assert daily_status_get(days=1, top=1, now=now).freshness == fresh


def test_stale_means_more_than_the_setting_exactly():
    now = timezone.now()
    half_over = Freshness(last_success_at=now - timedelta(minutes=60, seconds=30), stale_after_minutes=60, now=now)
    assert half_over.minutes_ago == 60 and half_over.is_stale
    assert not Freshness(last_success_at=now - timedelta(minutes=60), stale_after_minutes=60, now=now).is_stale
    assert Freshness(last_success_at=None, stale_after_minutes=60, now=now).is_stale


def test_the_backlog_is_unscored_and_not_removed(client):
    now = timezone.now()
    for rid, removed in [("t1_a", False), ("t1_b", False), ("t1_gone", True)]:
        Article.objects.create(
            kind="comment",
            reddit_id=rid,
            subreddit="wsb",
            body="" if removed else "x",
            created_utc=now,
            is_removed=removed,
        )
    assert articles_backlog_count() == 2
    assert backlog_summary().unscored == 2 and backlog_summary().total == 2
    assert sorted(articles_claimable().values_list("reddit_id", flat=True)) == ["t1_a", "t1_b"]
    assert client.get("/api/v1/status").json()["backlog"] == 2


@pytest.mark.parametrize(
    ("permalink", "url"),
    [
        ("/r/wallstreetbets/comments/abc/x/", "https://www.reddit.com/r/wallstreetbets/comments/abc/x/"),
        ("", ""),
        ("javascript:alert(1)", ""),
        ("https://evil.example/r/x", ""),
        ("/r/x/ onmouseover=alert(1)", ""),
        ("/r/x/\n", ""),
    ],
)
def test_safe_reddit_url(permalink, url):
    assert safe_reddit_url(permalink) == url
    article = Article(kind="post", reddit_id="t3_abc", subreddit="wsb", permalink=permalink)
    assert article.reddit_url == url
