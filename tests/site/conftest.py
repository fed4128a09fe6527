"""Fixtures for the site and API tests: a small, known data set, rolled up by the real service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Mention, Surge, Ticker
from articles.services import rollups_refresh
from marketpulse.models import JobRun
from tests.conftest import stance_from_article

# Payloads a hostile Reddit title could carry; if any runs, it sets window.__xss / logs "XSS".
XSS_TITLE = (
    '<script>window.__xss=1;console.log("XSS")</script><img src=x onerror="window.__xss=2;console.log(\'XSS\')">'
)
XSS_BODY = (
    '<svg onload="window.__xss=3"></svg><a href="javascript:window.__xss=4">click</a> **bold** [x](javascript:alert(1))'
)


@dataclass
class SiteData:
    now: datetime
    tickers: dict[str, Ticker]
    articles: list[Article] = field(default_factory=list)
    hostile: Article | None = None


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def make_article(
    n: int,
    *,
    created: datetime,
    tickers: list[Ticker],
    kind: str = "comment",
    score: int = 1,
    label: str = "",
    sentiment: float | None = None,
    reviewed: str = "",
    title: str = "",
    body: str = "",
    author: str | None = None,
) -> Article:
    prefix = "t3_" if kind == "post" else "t1_"
    article = Article.objects.create(
        kind=kind,
        reddit_id=f"{prefix}s{n}",
        subreddit="wallstreetbets",
        parent_post_id="" if kind == "post" else "t3_parent",
        title=title if kind == "post" else "",
        body=body or f"article {n}",
        author=author if author is not None else f"user{n % 7}",
        permalink=f"/r/wallstreetbets/comments/s{n}/",
        score=score,
        created_utc=created,
        sentiment_label=label,
        sentiment_score=sentiment if label else None,
        sentiment_confidence=0.9 if label else None,
        sentiment_model="test" if label else "",
        scored_at=created if label else None,
        reviewed_label=reviewed,
        reviewed_at=created if reviewed else None,
    )
    for t in tickers:
        Mention.objects.create(
            article=article, ticker=t, created_utc=created, matched_text=t.symbol, **stance_from_article(article)
        )
    return article


def build_site_data(*, fresh: bool = True) -> SiteData:
    """TSLA leads the last 24h (GME led the 24h before), SPY is an ETF, AAPL only appeared 3 days ago.

    Current 24h: TSLA 30 mentions (one hostile post), GME 4, SPY 6 (ETF). Previous 24h: GME 10, TSLA 5, SPY 2.
    """
    now = timezone.now()
    base = _floor_hour(now)
    tickers = {
        "TSLA": Ticker.objects.create(symbol="TSLA", name="Tesla, Inc.", exchange="NASDAQ"),
        "GME": Ticker.objects.create(symbol="GME", name="GameStop Corp.", exchange="NYSE"),
        "SPY": Ticker.objects.create(symbol="SPY", name="SPDR S&P 500 ETF Trust", exchange="NYSEARCA", is_etf=True),
        "AAPL": Ticker.objects.create(symbol="AAPL", name="Apple Inc.", exchange="NASDAQ"),
        "NVDA": Ticker.objects.create(symbol="NVDA", name="NVIDIA Corporation", exchange="NASDAQ"),
    }
    data = SiteData(now=now, tickers=tickers)
    n = 0

    def add(symbols, created, **kw):
        nonlocal n
        n += 1
        a = make_article(n, created=created, tickers=[tickers[s] for s in symbols], **kw)
        data.articles.append(a)
        return a

    labels = ["positive", "positive", "negative", "neutral"]
    for i in range(29):  # TSLA, current window, spread over the last 20 hours
        label = labels[i % 4] if i % 5 else ""  # every 5th unscored
        score = {"positive": 0.8, "negative": -0.7, "neutral": 0.0}.get(label)
        add(
            ["TSLA"],
            base - timedelta(hours=i % 20 + 1) + timedelta(minutes=i % 50),
            kind="post" if i % 3 == 0 else "comment",
            score=i * 3,
            label=label,
            sentiment=score,
            title=f"TSLA thread {i}",
        )
    data.hostile = add(
        ["TSLA"],
        now - timedelta(minutes=5),
        kind="post",
        score=7,
        label="negative",
        sentiment=-0.5,
        title=XSS_TITLE,
        body=XSS_BODY,
    )
    for i in range(4):
        add(["GME"], base - timedelta(hours=2 + i), label="positive", sentiment=0.6, score=2)
    for i in range(6):
        add(["SPY"], base - timedelta(hours=1 + i), label="neutral", sentiment=0.01, score=1)
    # Previous window (24-48h ago).
    for i in range(10):
        add(["GME"], base - timedelta(hours=26 + i), label="positive", sentiment=0.9, score=5)
    for i in range(5):
        add(["TSLA"], base - timedelta(hours=30 + i), label="negative", sentiment=-0.9, score=5)
    for i in range(2):
        add(["SPY"], base - timedelta(hours=28 + i), label="neutral", sentiment=0.0, score=1)
    # Older: AAPL three days ago; one reviewed article that overrides its model label.
    add(["AAPL"], base - timedelta(days=3), label="negative", sentiment=-0.8, reviewed="positive", score=9)
    add(["AAPL", "TSLA"], base - timedelta(days=3, hours=1), label="positive", sentiment=0.4, score=3)
    rollups_refresh()
    if fresh:
        JobRun.objects.create(
            command="scrape_reddit",
            status="succeeded",
            started_at=now - timedelta(minutes=3),
            finished_at=now - timedelta(minutes=2),
        )
    return data


def make_surge(
    ticker: Ticker,
    *,
    started: datetime,
    hours: int = 3,
    ongoing: bool = False,
    authors: int = 25,
    expected: float = 4.0,
    bullish: int = 10,
    bearish: int = 3,
    neutral: int = 5,
    **fields,
) -> Surge:
    """One recorded surge of `hours` hours from `started` (open when `ongoing`), as `detect_surges` writes it."""
    started = _floor_hour(started)
    last = started + timedelta(hours=hours - 1)
    values = {
        "ticker": ticker,
        "started_at": started,
        "ended_at": None if ongoing else last + timedelta(hours=1),
        "peak_at": started + timedelta(hours=hours // 2),
        "last_hour": last,
        "mentions": authors * 2,
        "expected_mentions": expected * 2,
        "unique_authors": authors,
        "expected": expected,
        "score": 8.5,
        "bullish": bullish,
        "bearish": bearish,
        "neutral": neutral,
        "usual_bullish_pct": 40.0,
        "usual_bearish_pct": 25.0,
        "detected_at": started + timedelta(hours=1, minutes=15),
    }
    values.update(fields)
    return Surge.objects.create(**values)


@pytest.fixture
def site_data(db) -> SiteData:
    return build_site_data()


@pytest.fixture
def seeded_live_server(transactional_db, live_server):
    # Data first, in this thread, before Playwright starts its event loop (Django refuses
    # synchronous DB calls from a thread with a running loop); the server thread serves it.
    data = build_site_data()
    return live_server.url, data
