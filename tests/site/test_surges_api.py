"""GET /api/v1/surges (issue 29, section 3): fields, newest first, since/until/symbol, pages, errors, limits."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from articles.models import Ticker
from marketpulse.ratelimit import rate_counters_clear

from .conftest import make_surge

FIELDS = (
    "symbol",
    "started_at",
    "ended_at",
    "peak_at",
    "mentions",
    "expected",
    "unique_authors",
    "score",
    "bullish_pct",
    "bearish_pct",
)
HOUR = datetime(2026, 11, 20, 12, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def tickers(db) -> dict[str, Ticker]:
    return {
        s: Ticker.objects.create(symbol=s, name=f"{s} Inc.", exchange="NASDAQ") for s in ("TSLA", "GME", "SPY", "NVDA")
    }


@pytest.fixture
def three(tickers):
    """TSLA open since HOUR, GME 2 days before, SPY 10 days before."""
    return {
        "TSLA": make_surge(tickers["TSLA"], started=HOUR, ongoing=True, authors=25, expected=4.0),
        "GME": make_surge(
            tickers["GME"], started=HOUR - timedelta(days=2), authors=12, expected=3.0, bullish=8, bearish=0, neutral=0
        ),
        "SPY": make_surge(
            tickers["SPY"], started=HOUR - timedelta(days=10), authors=6, expected=1.5, bullish=0, bearish=0, neutral=0
        ),
    }


def symbols(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["symbol"] for r in response.json()["results"]]


def test_fields_values_and_newest_first(client, three):
    response = client.get("/api/v1/surges")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= {"results", "next"} and body["next"] is None
    assert [r["symbol"] for r in body["results"]] == ["TSLA", "GME", "SPY"]
    tsla, gme, spy = body["results"]
    for row in body["results"]:
        assert set(FIELDS) <= set(row)
    assert tsla["started_at"] == iso(HOUR) and tsla["ended_at"] is None and tsla["ongoing"] is True
    assert tsla["peak_at"] == iso(HOUR + timedelta(hours=1))
    assert (tsla["unique_authors"], tsla["expected"], tsla["mentions"]) == (25, 4.0, 50)
    assert tsla["ratio"] == 6.25 and tsla["score"] == 8.5
    assert (tsla["bullish_pct"], tsla["bearish_pct"]) == (55.6, 16.7)  # 10 and 3 of 18 scored
    assert tsla["url"] == "http://testserver/t/TSLA/"
    assert gme["ended_at"] == iso(HOUR - timedelta(days=2) + timedelta(hours=3)) and gme["ongoing"] is False
    assert (gme["bullish_pct"], gme["bearish_pct"]) == (100.0, 0.0)
    assert (spy["bullish_pct"], spy["bearish_pct"]) == (None, None)  # nothing scored: no split, not 0 %


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"since": iso(HOUR - timedelta(days=3))}, ["TSLA", "GME"]),
        ({"since": iso(HOUR)}, ["TSLA"]),  # at or after
        ({"until": iso(HOUR)}, ["GME", "SPY"]),  # strictly before
        ({"since": iso(HOUR - timedelta(days=11)), "until": iso(HOUR - timedelta(days=1))}, ["GME", "SPY"]),
        ({"since": "2026-11-18", "until": "2026-11-19"}, ["GME"]),  # dates are midnight UTC
        ({"since": "2026-11-20T12:00:00"}, ["TSLA"]),  # naive is UTC
        ({"since": "2026-11-20T13:00:00+02:00"}, ["TSLA"]),  # 11:00 UTC
        ({"since": "2026-11-20T13:00:00-02:00"}, []),  # 15:00 UTC
        ({"symbol": "gme"}, ["GME"]),
        ({"symbol": "GME", "since": iso(HOUR)}, []),
        ({"symbol": "NVDA"}, []),  # known, never surged: an empty list
        ({"until": "2000-01-01"}, []),
    ],
)
def test_since_until_and_symbol_filter(client, three, query, expected):
    assert symbols(client.get("/api/v1/surges", query)) == expected


def test_an_unknown_symbol_is_a_404_like_every_unknown_ticker(client, three):
    response = client.get("/api/v1/surges", {"symbol": "NOPE"})
    assert response.status_code == 404
    assert response.json() == {"error": "unknown ticker", "parameter": "symbol"}
    assert client.get("/api/v1/tickers/NOPE").json() == response.json()
    # ... and it wins over a bad parameter, as on /api/v1/tickers/NOPE?range=bad.
    assert client.get("/api/v1/surges", {"symbol": "NOPE", "since": "bad"}).status_code == 404


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({"since": "yesterday"}, "since"),
        ({"since": ""}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-11-20T25:00:00Z"}, "since"),
        ({"until": "x" * 500}, "until"),
        ({"since": "2026-11-20T00:00:00 02:00"}, "since"),  # an unencoded + arrives as a space
        ({"since": "2026-11-20", "until": "2026-11-19"}, "until"),
        ({"since": "2026-11-20", "until": "2026-11-20"}, "until"),
        ({"symbol": "$$$"}, "symbol"),
        ({"symbol": ""}, "symbol"),
        ({"symbol": "A" * 11}, "symbol"),
        ({"symbol": "$$$", "since": "bad"}, "symbol"),  # the first parameter is reported
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "A" * 201}, "cursor"),
        ({"cursor": _cursor("surge|2026-11-20T00:00:00+05:00|1")}, "cursor"),  # not UTC
        ({"cursor": _cursor("surge|2026-11-20T00:00:00+00:00|0")}, "cursor"),
        ({"cursor": _cursor("surge|2026-11-20T00:00:00+00:00|99999999999999999999")}, "cursor"),
        ({"cursor": _cursor("new|2026-11-20T00:00:00+00:00|1")}, "cursor"),  # an article list's
        ({"cursor": _cursor("surge|never|1")}, "cursor"),
    ],
)
def test_bad_parameters_are_400(client, three, query, parameter):
    response = client.get("/api/v1/surges", query)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["parameter"] == parameter and body["error"].startswith(parameter), body


def test_pages_follow_next_newest_first_with_ties(client, tickers):
    # 3 tickers x 20 hours: 60 surges, every start hour shared by three (the id breaks ties).
    for hour in range(20):
        for symbol in ("TSLA", "GME", "SPY"):
            make_surge(tickers[symbol], started=HOUR - timedelta(hours=hour * 4), hours=2)
    first = client.get("/api/v1/surges").json()
    assert len(first["results"]) == 50
    parts = urlsplit(first["next"])
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", "/api/v1/surges")
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 10 and second["next"] is None
    rows = first["results"] + second["results"]
    keys = [(r["started_at"], r["symbol"]) for r in rows]
    assert len(set(keys)) == 60  # nothing twice, nothing lost
    starts = [r["started_at"] for r in rows]
    assert starts == sorted(starts, reverse=True)


def test_next_keeps_the_filters(client, tickers):
    for hour in range(60):
        make_surge(tickers["TSLA" if hour % 2 else "GME"], started=HOUR - timedelta(hours=hour * 3), hours=2)
    since = iso(HOUR - timedelta(days=30))
    first = client.get("/api/v1/surges", {"symbol": "tsla", "since": since}).json()
    assert len(first["results"]) == 30 and first["next"] is None
    everything = client.get("/api/v1/surges", {"since": since}).json()
    assert len(everything["results"]) == 50 and "since=" in everything["next"]
    rest = client.get(everything["next"]).json()
    assert len(rest["results"]) == 10 and rest["next"] is None


def test_a_fixed_number_of_queries_at_any_size(client, tickers, django_assert_max_num_queries, settings):
    settings.API_RATE_LIMIT = ""  # the limiter's own queries aside
    for hour in range(55):
        make_surge(tickers[("TSLA", "GME", "SPY")[hour % 3]], started=HOUR - timedelta(hours=hour * 3), hours=2)
    with django_assert_max_num_queries(1):
        assert len(client.get("/api/v1/surges").json()["results"]) == 50  # the tickers come in the same query
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/surges", {"symbol": "GME"}).status_code == 200


def test_read_only_and_head(client, three):
    assert client.post("/api/v1/surges").status_code == 405
    assert client.delete("/api/v1/surges").status_code == 405
    head = client.head("/api/v1/surges")
    assert head.status_code == 200 and head.content == b""


def test_rate_limited_like_every_endpoint(client, three, settings):
    settings.API_RATE_LIMIT = "2/m"
    rate_counters_clear()
    try:
        assert client.get("/api/v1/status").status_code == 200
        assert client.get("/api/v1/surges").status_code == 200
        limited = client.get("/api/v1/surges", {"since": "bad"})  # counted before parameters are checked
        assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
        assert limited.json() == {"error": "too many requests: at most 2/m per client address"}
        assert client.get("/api/v1/surges", REMOTE_ADDR="192.0.2.9").status_code == 200  # another address
    finally:
        rate_counters_clear()


def test_in_the_openapi_document(client, db, settings):
    settings.API_RATE_LIMIT = "120/m"
    doc = client.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/surges"]["get"]
    assert operation["operationId"] == "listSurges"
    assert set(operation["responses"]) == {"200", "400", "404", "405", "429"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"symbol", "since", "until", "cursor"}
    assert all(p["in"] == "query" and not p.get("required") for p in params.values())
    page = doc["components"]["schemas"]["SurgePage"]["properties"]
    assert {"results", "next"} <= set(page)
    surge = doc["components"]["schemas"]["Surge"]["properties"]
    assert set(FIELDS) <= set(surge)
    index = client.get("/api/v1/").json()
    assert ("GET", "/api/v1/surges") in {(e["method"], e["path"]) for e in index["endpoints"]}
