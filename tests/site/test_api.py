"""The JSON API: fields and figures on known data, pagination, errors as JSON, query bounds."""

from __future__ import annotations

import pytest

from marketpulse.models import JobRun

MAX_QUERIES = 10


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tickers",
        "/api/v1/tickers?window=30d&etfs=false",
        "/api/v1/tickers/TSLA?range=90d",
        "/api/v1/tickers/TSLA/articles?sort=top&label=negative&kind=post",
        "/api/v1/status",
        "/api/v1/tickers/NOPE",
    ],
)
def test_api_query_budget(client, site_data, django_assert_max_num_queries, url):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code in (200, 404)
    assert response["Content-Type"] == "application/json"


def test_tickers_fields_ranks_and_sentiment(client, site_data):
    data = client.get("/api/v1/tickers").json()
    assert data["window"] == "24h" and data["page"] == 1 and data["total"] == 3 and data["next"] is None
    tsla, spy, gme = data["results"]
    assert [r["symbol"] for r in data["results"]] == ["TSLA", "SPY", "GME"]
    assert tsla["rank"] == 1 and tsla["rank_prev"] == 2 and tsla["rank_change"] == 1
    assert tsla["mentions"] == 30 and tsla["mentions_prev"] == 5 and tsla["mentions_change_pct"] == 500.0
    # 24 scored in the window: 6 of i%4 in {0,1} minus unscored... computed from the fixture:
    # 29 TSLA threads, every 5th unscored (6), labels cycle positive, positive, negative, neutral,
    # plus the hostile post (negative).
    labels = [["positive", "positive", "negative", "neutral"][i % 4] for i in range(29) if i % 5]
    labels.append("negative")
    pos, neg = labels.count("positive"), labels.count("negative")
    assert tsla["scored"] == len(labels)
    assert tsla["bullish_pct"] == round(100 * pos / len(labels), 1)
    assert tsla["bearish_pct"] == round(100 * neg / len(labels), 1)
    expected_net = (pos - neg) / len(labels)  # the net stance of the counts, as the split
    assert tsla["sentiment"] == pytest.approx(round(expected_net, 3))
    assert tsla["upvotes"] == sum(i * 3 for i in range(29)) + 7
    assert len(tsla["sparkline"]) == 24 and sum(tsla["sparkline"]) == 30
    assert spy["is_etf"] is True and spy["rank_change"] == 1
    assert gme["rank_prev"] == 1 and gme["rank_change"] == -2 and gme["bullish_pct"] == 100.0
    assert data["mood"]["mentions"] == 40


def test_tickers_without_etfs_and_pagination(client, site_data):
    data = client.get("/api/v1/tickers?etfs=false").json()
    assert [r["symbol"] for r in data["results"]] == ["TSLA", "GME"]
    assert data["results"][1]["rank_prev"] == 1  # ranks among the same (non-ETF) set
    page2 = client.get("/api/v1/tickers?page=2").json()
    assert page2["results"] == [] and page2["page"] == 2


def test_ticker_detail_summary_and_timeline(client, site_data):
    data = client.get("/api/v1/tickers/tsla?range=24h").json()
    assert data["symbol"] == "TSLA" and data["granularity"] == "hour" and len(data["timeline"]) == 24
    assert data["summary"]["mentions"] == 30 == sum(p["mentions"] for p in data["timeline"])
    daily = client.get("/api/v1/tickers/TSLA?range=90d").json()
    assert daily["granularity"] == "day" and len(daily["timeline"]) == 90
    assert daily["summary"]["mentions"] == 36
    aapl = client.get("/api/v1/tickers/AAPL?range=7d").json()
    # The reviewed article counts as positive although the model said negative.
    assert aapl["summary"]["positive"] == 2 and aapl["summary"]["negative"] == 0


def test_articles_cursor_pagination_covers_everything_once(client, site_data):
    seen = []
    url = "/api/v1/tickers/TSLA/articles"
    pages = 0
    while url:
        data = client.get(url).json()
        seen += [a["reddit_id"] for a in data["results"]]
        url = data["next"]
        pages += 1
    assert pages == 2 and len(seen) == len(set(seen)) == 36
    times = [a["created_utc"] for a in client.get("/api/v1/tickers/TSLA/articles").json()["results"]]
    assert times == sorted(times, reverse=True)


def test_articles_filters_and_hostile_text_is_plain_json(client, site_data):
    data = client.get("/api/v1/tickers/TSLA/articles?label=negative&kind=post").json()
    assert data["results"] and {(a["label"], a["kind"]) for a in data["results"]} == {("negative", "post")}
    hostile = next(a for a in data["results"] if a["reddit_id"] == site_data.hostile.reddit_id)
    assert hostile["title"] == site_data.hostile.title  # data, not markup: JSON carries it verbatim
    assert hostile["url"].startswith("https://www.reddit.com/r/wallstreetbets/")
    top = client.get("/api/v1/tickers/TSLA/articles?sort=top&range=24h").json()["results"]
    ups = [a["upvotes"] for a in top]
    assert ups == sorted(ups, reverse=True)


@pytest.mark.parametrize(
    "url,parameter",
    [
        ("/api/v1/tickers?window=1y", "window"),
        ("/api/v1/tickers?window=", "window"),
        ("/api/v1/tickers?page=0", "page"),
        ("/api/v1/tickers?page=-1", "page"),
        ("/api/v1/tickers?page=1e3", "page"),
        ("/api/v1/tickers?page=%EF%BC%91", "page"),  # a full-width digit
        ("/api/v1/tickers?etfs=maybe", "etfs"),
        ("/api/v1/tickers/TSLA?range=1d", "range"),
        ("/api/v1/tickers/TSLA/articles?sort=hot", "sort"),
        ("/api/v1/tickers/TSLA/articles?label=bullish", "label"),
        ("/api/v1/tickers/TSLA/articles?kind=link", "kind"),
        ("/api/v1/tickers/TSLA/articles?cursor=%00%01", "cursor"),
        ("/api/v1/tickers/TSLA/articles?cursor=bmV3fG5vdC1hLWRhdGV8MQ", "cursor"),  # "new|not-a-date|1"
        ("/api/v1/tickers/TSLA/articles?cursor=" + "A" * 201, "cursor"),
    ],
)
def test_bad_parameters_are_400_json(client, site_data, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"]


def test_bad_cursor_is_400(client, site_data):
    top_cursor = client.get("/api/v1/tickers/TSLA/articles?sort=top&range=90d").json()["next_cursor"]
    assert top_cursor
    # A "top" cursor used with the "new" sort is refused, not misread.
    response = client.get(f"/api/v1/tickers/TSLA/articles?cursor={top_cursor}")
    assert response.status_code == 400 and response.json()["parameter"] == "cursor"


def test_unknown_ticker_path_and_method_are_json(client, site_data):
    response = client.get("/api/v1/tickers/NOPE")
    assert response.status_code == 404 and response.json()["error"] == "unknown ticker"
    assert client.get("/api/v1/tickers/NOPE/articles").status_code == 404
    assert client.get("/api/v1/tickers/%00bad").status_code == 404
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    response = client.post("/api/v1/tickers")
    assert response.status_code == 405 and response.json()["error"].startswith("method POST")


def test_status_reports_last_runs_backlog_and_freshness(client, site_data):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    JobRun.objects.create(
        command="analyze_sentiment",
        status="failed",
        started_at=now - timedelta(minutes=1),
        finished_at=now,
        error="RuntimeError: boom",
        counters={"scored": 3},
    )
    JobRun.objects.create(
        command="analyze_sentiment",
        status="succeeded",
        started_at=now - timedelta(hours=1),
        finished_at=now - timedelta(minutes=50),
    )
    data = client.get("/api/v1/status").json()
    unscored = sum(1 for a in site_data.articles if not a.sentiment_label)
    assert data["backlog"] == unscored > 0
    assert data["scraper"]["stale"] is False and data["scraper"]["minutes_ago"] == 2
    jobs = {j["command"]: j for j in data["jobs"]}
    assert jobs["analyze_sentiment"]["status"] == "failed"  # the latest run, not the latest success
    assert jobs["analyze_sentiment"]["error"] == "RuntimeError: boom"
    assert jobs["analyze_sentiment"]["counters"] == {"scored": 3}
    assert jobs["scrape_reddit"]["duration_seconds"] == 60.0


def test_status_on_an_empty_database(client, db):
    data = client.get("/api/v1/status").json()
    assert data == {
        "scraper": {
            "last_success": None,
            "minutes_ago": None,
            "stale": True,
            "stale_after_minutes": data["scraper"]["stale_after_minutes"],
        },
        "backlog": 0,
        "jobs": [],
    }


def test_top_sort_ranks_only_the_newest_candidates(client, site_data, monkeypatch):
    from articles import selectors

    newest = client.get("/api/v1/tickers/TSLA/articles").json()["results"][:3]
    monkeypatch.setattr(selectors, "TOP_CANDIDATES", 3)
    top = client.get("/api/v1/tickers/TSLA/articles?sort=top&range=90d").json()
    assert {a["reddit_id"] for a in top["results"]} == {a["reddit_id"] for a in newest}
    assert [a["upvotes"] for a in top["results"]] == sorted((a["upvotes"] for a in newest), reverse=True)
    assert top["next_cursor"] is None
