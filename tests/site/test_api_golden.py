"""Golden test: the JSON API answers byte for byte as recorded in `fixtures/api_golden.json`.

The fixture was recorded from the hand-written API (before django-ninja) on a fixed
data set at a fixed time: every endpoint with and without parameters, bad
parameters, unknown tickers and paths, bad cursors, other methods, a conditional GET.
For each request it holds the status, the headers clients read (Content-Type,
Cache-Control, ETag, Allow, Retry-After) and the body. Every body here has a defined order (ranks, then
symbol; newest or most upvoted first, then id; jobs in a fixed order), so bodies
compare as bytes.

Re-recorded once on purpose, when issues 11 and 13 landed beside the move: the status
backlog no longer counts removed articles (the one backlog definition), and a NUL in a
query string is refused by the middleware with its own message. Those three answers
changed; the other 97 are byte for byte the hand-written API's.

Re-recorded again for per-mention stance (issue 12): the 15 article-list answers gained
each article's `stance` on the ticker (and so a new ETag); with every mention's stance
set from its article's label (as migration 0005 fills them) all other bytes, the
leaderboard's and timelines' counts included, are unchanged.

Re-recorded for net sentiment from the stance counts (issue 30, item 4): `sentiment`
is now (bullish - bearish) / scored, the counts the split shows, not the mean model
score; the 23 answers that carry a net sentiment (and their ETags) changed, SPY's
all-neutral day went from "bullish" (+0.062) to "neutral" (0.0); nothing else moved.

Re-recorded for the API index (issue 30, item 9): `/api/v1/` answers a JSON index and
`/api/v1` redirects to it, where both were JSON 404s; the two requests moved to the end of
the plan (`INDEX`); no other answer changed.

Re-recorded for surges (issue 29, section 3): `/api/v1/surges` joined the API, so the
index lists it (that one answer changed); its requests (`SURGES`, on surges of
`build_golden_surges`) were added at the end of the plan; no other answer changed.

Re-recorded for prices (issue 25, prices in): the 10 ticker-detail answers gained
`"price": null` (the golden data has no price bars) and the index lists
`/api/v1/tickers/{symbol}/prices`; those 11 answers changed, no other.

Re-record (only when a change to the API is intended, and say so in the commit):

    RECORD_API_GOLDEN=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/site/test_api_golden.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from articles.models import Article, Mention, Surge, Ticker
from articles.services import rollups_refresh
from marketpulse.models import JobRun
from tests.conftest import stance_from_article

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "api_golden.json"
NOW = datetime(2026, 11, 20, 14, 37, 12, 345678, tzinfo=UTC)
HEADERS = ("Content-Type", "Cache-Control", "ETag", "Allow", "Retry-After")


@pytest.fixture
def frozen_now(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def build_golden_data() -> None:
    """A fixed data set: explicit primary keys (cursors carry them) and times relative to NOW."""
    base = NOW.replace(minute=0, second=0, microsecond=0)
    symbols = [("TSLA", "Tesla, Inc.", "NASDAQ", False), ("GME", "GameStop Corp.", "NYSE", False)]
    symbols += [("SPY", "SPDR S&P 500 ETF Trust", "NYSEARCA", True), ("AAPL", "Apple Inc.", "NASDAQ", False)]
    symbols += [("NVDA", "NVIDIA Corporation", "NASDAQ", False), ("BRK.B", "Berkshire Hathaway Inc.", "NYSE", False)]
    # 52 small tickers so the 24h leaderboard has a second page.
    symbols += [(f"X{chr(65 + i // 26)}{chr(65 + i % 26)}", f"Filler {i} Corp.", "NYSE", i % 9 == 0) for i in range(52)]
    tickers = {
        s: Ticker.objects.create(id=i + 1, symbol=s, name=n, exchange=e, is_etf=etf)
        for i, (s, n, e, etf) in enumerate(symbols)
    }
    articles: list[Article] = []
    mentions: list[Mention] = []
    scores = {"positive": 0.8125, "negative": -0.6875, "neutral": 0.0625}

    def add(symbols_, created, *, kind="comment", score=1, label="", reviewed="", title="", body="", removed=False):
        n = len(articles) + 1
        prefix = "t3_" if kind == "post" else "t1_"
        article = Article(
            id=n,
            kind=kind,
            reddit_id=f"{prefix}g{n}",
            subreddit="wallstreetbets",
            parent_post_id="" if kind == "post" else "t3_g1",
            title=title if kind == "post" else "",
            body=body or f"golden article {n}",
            author="" if removed else f"user{n % 7}",
            permalink=f"/r/wallstreetbets/comments/g{n}/",
            score=score,
            num_comments=n % 11 if kind == "post" else 0,
            is_removed=removed,
            created_utc=created,
            sentiment_label=label,
            sentiment_score=scores.get(label),
            sentiment_confidence=0.9 if label else None,
            sentiment_model="test" if label else "",
            scored_at=created if label else None,
            reviewed_label=reviewed,
            reviewed_at=created if reviewed else None,
        )
        articles.append(article)
        for s in symbols_:
            mentions.append(
                Mention(
                    id=len(mentions) + 1,
                    article=article,
                    ticker=tickers[s],
                    created_utc=created,
                    matched_text=s,
                    **stance_from_article(article),
                )
            )

    labels = ["positive", "positive", "negative", "neutral", ""]
    for i in range(31):  # TSLA, current 24h window; two pages of articles
        add(
            ["TSLA"],
            base - timedelta(hours=i % 22 + 1) + timedelta(minutes=i % 50, seconds=i),
            kind="post" if i % 3 == 0 else "comment",
            score=(i * 37) % 101 - 5,
            label=labels[i % 5],
            title=f"TSLA thread {i} \u2014 to the moon \U0001f680",
        )
    add(
        ["TSLA", "GME"],
        NOW - timedelta(minutes=5),
        kind="post",
        score=7,
        label="negative",
        title='<script>alert("x")</script> & "quotes"',
        body="long " * 300,
    )
    add(["TSLA"], NOW - timedelta(minutes=9), kind="comment", score=3, removed=True, body="")
    for i in range(4):
        add(["GME"], base - timedelta(hours=2 + i), label="positive", score=2)
    for i in range(6):
        add(["SPY"], base - timedelta(hours=1 + i), label="neutral", score=1)
    for i, s in enumerate(symbols[6:]):
        add([s[0]], base - timedelta(hours=3, minutes=i), label=labels[i % 5], score=i)
    for i in range(10):  # previous 24h window
        add(["GME"], base - timedelta(hours=26 + i), label="positive", score=5)
    for i in range(5):
        add(["TSLA"], base - timedelta(hours=30 + i), label="negative", score=5)
    for i in range(2):
        add(["SPY"], base - timedelta(hours=28 + i), label="neutral", score=1)
    # Older: 3 days (7d range), 20 days (30d range), 60 days (90d range only).
    add(["AAPL"], base - timedelta(days=3), label="negative", reviewed="positive", score=9)
    add(["AAPL", "TSLA"], base - timedelta(days=3, hours=1), label="positive", score=3)
    add(["TSLA"], base - timedelta(days=20), kind="post", label="neutral", score=40, title="old thread")
    add(["TSLA", "NVDA"], base - timedelta(days=60), kind="post", label="positive", score=90, title="older")
    Article.objects.bulk_create(articles)
    Mention.objects.bulk_create(mentions)
    rollups_refresh()
    JobRun.objects.create(
        command="scrape_reddit",
        status="succeeded",
        started_at=NOW - timedelta(minutes=3, microseconds=250),
        finished_at=NOW - timedelta(minutes=2),
        counters={"articles": 12, "requests": 40},
    )
    JobRun.objects.create(
        command="analyze_sentiment",
        status="failed",
        started_at=NOW - timedelta(minutes=30),
        finished_at=NOW - timedelta(minutes=29, seconds=30),
        error="RuntimeError: boom " + "x" * 600,
        counters={"scored": 3},
    )
    JobRun.objects.create(command="refresh_rollups", status="running", started_at=NOW - timedelta(seconds=20))


def build_golden_surges() -> None:
    """Surges with explicit keys: TSLA open since 3 hours ago, GME ended, 55 old small ones (a second page)."""
    base = NOW.replace(minute=0, second=0, microsecond=0)
    tickers = {t.symbol: t for t in Ticker.objects.filter(symbol__in=["TSLA", "GME", "SPY"])}
    rows = [
        Surge(
            id=1,
            ticker=tickers["TSLA"],
            started_at=base - timedelta(hours=3),
            peak_at=base - timedelta(hours=2),
            last_hour=base - timedelta(hours=1),
            mentions=40,
            expected_mentions=6.4375,
            unique_authors=25,
            expected=4.0625,
            score=8.25,
            bullish=10,
            bearish=3,
            neutral=5,
            usual_bullish_pct=41.5,
            usual_bearish_pct=22.25,
            detected_at=base - timedelta(hours=2, minutes=45),
        ),
        Surge(
            id=2,
            ticker=tickers["GME"],
            started_at=base - timedelta(hours=30),
            ended_at=base - timedelta(hours=26),
            peak_at=base - timedelta(hours=28),
            last_hour=base - timedelta(hours=27),
            mentions=12,
            expected_mentions=2.5,
            unique_authors=9,
            expected=1.25,
            score=5.5,
            bullish=8,
            bearish=0,
            neutral=1,
            detected_at=base - timedelta(hours=29, minutes=45),
        ),
    ]
    for i in range(55):
        start = base - timedelta(days=10, hours=i)
        rows.append(
            Surge(
                id=10 + i,
                ticker=tickers["SPY"],
                started_at=start,
                ended_at=start + timedelta(hours=1),
                peak_at=start,
                last_hour=start,
                mentions=6 + i,
                expected_mentions=1.5,
                unique_authors=5 + i % 3,
                expected=0.75,
                score=4.5,
                detected_at=start + timedelta(hours=1, minutes=15),
            )
        )
    Surge.objects.bulk_create(rows)
    Surge.objects.update(updated_at=NOW)


BAD_PARAMETERS = [
    "/api/v1/tickers?window=1y",
    "/api/v1/tickers?window=",
    "/api/v1/tickers?window=24H",
    "/api/v1/tickers?page=0",
    "/api/v1/tickers?page=-1",
    "/api/v1/tickers?page=1e3",
    "/api/v1/tickers?page=%EF%BC%91",
    "/api/v1/tickers?page=10001",
    "/api/v1/tickers?page=1000000",
    "/api/v1/tickers?page=+5",
    "/api/v1/tickers?page=%205",
    "/api/v1/tickers?page=",
    "/api/v1/tickers?page=1.0",
    "/api/v1/tickers?etfs=maybe",
    "/api/v1/tickers?etfs=",
    "/api/v1/tickers?etfs=t",
    "/api/v1/tickers?window=bad&page=0&etfs=x",
    "/api/v1/tickers?page=0&etfs=x",
    "/api/v1/tickers/TSLA?range=1d",
    "/api/v1/tickers/TSLA?range=",
    "/api/v1/tickers/TSLA/articles?sort=hot",
    "/api/v1/tickers/TSLA/articles?sort=",
    "/api/v1/tickers/TSLA/articles?label=bullish",
    "/api/v1/tickers/TSLA/articles?label=",
    "/api/v1/tickers/TSLA/articles?kind=link",
    "/api/v1/tickers/TSLA/articles?range=1y&sort=top",
    "/api/v1/tickers/TSLA/articles?sort=hot&label=bad&kind=bad&range=bad",
    "/api/v1/tickers/TSLA/articles?cursor=%00%01",
    "/api/v1/tickers/TSLA/articles?cursor=bmV3fG5vdC1hLWRhdGV8MQ",
    "/api/v1/tickers/TSLA/articles?cursor=" + "A" * 201,
    "/api/v1/tickers/TSLA/articles?cursor=" + "A" * 200,
    "/api/v1/tickers/TSLA/articles?cursor=!!!",
]

GOOD = [
    "/api/v1/tickers",
    "/api/v1/tickers?window=7d",
    "/api/v1/tickers?window=30d&etfs=false",
    "/api/v1/tickers?etfs=0",
    "/api/v1/tickers?etfs=TRUE&page=1",
    "/api/v1/tickers?etfs=Off",
    "/api/v1/tickers?page=2",
    "/api/v1/tickers?page=3",
    "/api/v1/tickers?page=000002",
    "/api/v1/tickers?page=10000",
    "/api/v1/tickers?window=7d&window=24h",
    "/api/v1/tickers?unknown=1&window=24h",
    "/api/v1/tickers/TSLA",
    "/api/v1/tickers/tsla",
    "/api/v1/tickers/TSLA?range=24h",
    "/api/v1/tickers/TSLA?range=7d",
    "/api/v1/tickers/TSLA?range=30d",
    "/api/v1/tickers/TSLA?range=90d",
    "/api/v1/tickers/SPY?range=24h",
    "/api/v1/tickers/AAPL?range=7d",
    "/api/v1/tickers/NVDA",
    "/api/v1/tickers/BRK.B",
    "/api/v1/tickers/TSLA/articles",
    "/api/v1/tickers/tsla/articles?sort=new",
    "/api/v1/tickers/TSLA/articles?sort=top",
    "/api/v1/tickers/TSLA/articles?sort=top&range=24h",
    "/api/v1/tickers/TSLA/articles?sort=top&range=90d",
    "/api/v1/tickers/TSLA/articles?label=negative&kind=post",
    "/api/v1/tickers/TSLA/articles?label=all&kind=all",
    "/api/v1/tickers/TSLA/articles?label=positive",
    "/api/v1/tickers/TSLA/articles?kind=comment",
    "/api/v1/tickers/TSLA/articles?range=1d",  # range is ignored by sort=new, but still checked
    "/api/v1/tickers/TSLA/articles?cursor=",
    "/api/v1/tickers/GME/articles?sort=top&range=7d",
    "/api/v1/tickers/NVDA/articles",
    "/api/v1/status",
]

NOT_FOUND = [
    "/api/v1/tickers/NOPE",
    "/api/v1/tickers/NOPE?range=bad",
    "/api/v1/tickers/NOPE/articles",
    "/api/v1/tickers/NOPE/articles?sort=bad&cursor=x",
    "/api/v1/tickers/%00bad",
    "/api/v1/tickers/" + "A" * 300,
    "/api/v1/tickers/",
    "/api/v1/tickers/TSLA/",
    "/api/v1/tickers/TSLA/articles/",
    "/api/v1/nothing/here",
    "/api/",
    "/api/v2/tickers",
    "/api/v1/status/",
]

# /api/v1/surges (issue 29): filters, pages, bad values, unknown symbols.
SURGES = [
    "/api/v1/surges",
    "/api/v1/surges?symbol=tsla",
    "/api/v1/surges?symbol=SPY&since=2026-11-01T00:00:00Z",
    "/api/v1/surges?since=2026-11-19&until=2026-11-20T14:00:00%2B02:00",
    "/api/v1/surges?since=2026-11-20T00:00:00",
    "/api/v1/surges?until=2026-11-01",
    "/api/v1/surges?symbol=NVDA",
    "/api/v1/surges?symbol=NOPE",
    "/api/v1/surges?symbol=NOPE&since=bad",
    "/api/v1/surges?symbol=$$$",
    "/api/v1/surges?symbol=",
    "/api/v1/surges?since=yesterday",
    "/api/v1/surges?since=",
    "/api/v1/surges?since=2026-11-20T00:00:00+02:00",
    "/api/v1/surges?since=2026-11-20&until=2026-11-19",
    "/api/v1/surges?cursor=!!!",
]

# The API's root: a JSON index since issue 30 (a JSON 404 before); without the slash, a 301 to it.
INDEX = ["/api/v1/", "/api/v1"]


def request_plan() -> list[dict]:
    """The requests, in order. {"follow": i} takes the `next` URL of response i (cursors, pages)."""
    plan = [{"method": "GET", "url": u} for u in GOOD]
    index = {u: i for i, u in enumerate(GOOD)}
    plan += [
        {"method": "GET", "follow": index["/api/v1/tickers"]},
        {"method": "GET", "follow": index["/api/v1/tickers/TSLA/articles"]},
        {"method": "GET", "follow": index["/api/v1/tickers/TSLA/articles?sort=top&range=90d"]},
        {"method": "GET", "follow": index["/api/v1/tickers/TSLA/articles?kind=comment"]},
    ]
    plan += [{"method": "GET", "url": u} for u in BAD_PARAMETERS + NOT_FOUND + INDEX]
    plan += [
        # A cursor of the other sort is refused.
        {"method": "GET", "follow": index["/api/v1/tickers/TSLA/articles?sort=top&range=90d"], "set": {"sort": "new"}},
        {"method": "GET", "follow": index["/api/v1/tickers/TSLA/articles"], "set": {"sort": "top"}},
        {"method": "POST", "url": "/api/v1/tickers"},
        {"method": "POST", "url": "/api/v1/tickers/TSLA/articles"},
        {"method": "PUT", "url": "/api/v1/tickers/TSLA"},
        {"method": "DELETE", "url": "/api/v1/status"},
        {"method": "PATCH", "url": "/api/v1/tickers/NOPE"},
        {"method": "POST", "url": "/api/v1/nothing"},
        {"method": "OPTIONS", "url": "/api/v1/tickers"},
        {"method": "HEAD", "url": "/api/v1/tickers"},
        {"method": "HEAD", "url": "/api/v1/tickers?window=bad"},
        {"method": "GET", "url": "/api/v1/tickers", "etag_of": index["/api/v1/tickers"]},
        {"method": "GET", "url": "/api/v1/status", "headers": {"If-None-Match": '"stale"'}},
    ]
    surges = len(plan)
    plan += [{"method": "GET", "url": u} for u in SURGES]
    plan += [
        {"method": "GET", "follow": surges},
        {"method": "GET", "follow": surges + 2},
        {"method": "POST", "url": "/api/v1/surges"},
        {"method": "HEAD", "url": "/api/v1/surges"},
    ]
    return plan


def _url(entry: dict, responses: list[dict]) -> str:
    if "url" in entry:
        return entry["url"]
    url = json.loads(responses[entry["follow"]]["body"])["next"]
    assert url, f"request {entry['follow']} has no next page"
    for key, value in entry.get("set", {}).items():
        url = f"{url}&{key}={value}"
    return url


def run_plan(plan: list[dict]) -> list[dict]:
    client = Client()
    responses: list[dict] = []
    for entry in plan:
        url = _url(entry, responses)
        headers = dict(entry.get("headers", {}))
        if "etag_of" in entry:
            headers["If-None-Match"] = responses[entry["etag_of"]]["headers"]["ETag"]
        response = client.generic(entry["method"], url, headers=headers)
        responses.append(
            {
                "method": entry["method"],
                "url": url,
                "request_headers": headers,
                "status": response.status_code,
                "headers": {h: response[h] for h in HEADERS if response.has_header(h)},
                "body": response.content.decode(),
            }
        )
    return responses


def test_api_answers_as_recorded(db, frozen_now, settings):
    settings.API_RATE_LIMIT = "100000/m"  # limited, as in production, but not reached by these 100 requests
    cache.clear()
    build_golden_data()
    build_golden_surges()
    responses = run_plan(request_plan())
    if os.environ.get("RECORD_API_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        document = {
            "about": "Recorded by tests/site/test_api_golden.py (see its docstring); do not edit by hand.",
            "now": NOW.isoformat(),
            "responses": responses,
        }
        GOLDEN.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        pytest.skip(f"recorded {len(responses)} responses into {GOLDEN}")
    expected = json.loads(GOLDEN.read_text())["responses"]
    assert [(r["method"], r["url"]) for r in responses] == [(r["method"], r["url"]) for r in expected]
    mismatches = [
        (got, want)
        for got, want in zip(responses, expected, strict=True)
        if (got["status"], got["headers"], got["body"]) != (want["status"], want["headers"], want["body"])
    ]
    summary = [f"{got['method']} {got['url']}: {want['status']} -> {got['status']}" for got, want in mismatches]
    assert not mismatches, f"{len(mismatches)} responses differ: {summary}; the first: {mismatches[0]}"
