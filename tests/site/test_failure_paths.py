"""Hostile input and failure paths on the public site and API (issue 13, D5, D7, D10).

A request the site cannot answer is a 4xx that says why, and an unreachable
database is a 503: never a 500 with a traceback.
"""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote

import pytest
from django.db import InterfaceError, OperationalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HYPOTHESIS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAGES = ["/", "/t/TSLA/", "/tickers/", "/feeds/surges.atom", "/t/TSLA/surges.atom"]
API = [
    "/api/v1/tickers",
    "/api/v1/tickers/TSLA",
    "/api/v1/tickers/TSLA/articles",
    "/api/v1/tickers/TSLA/prices",
    "/api/v1/surges",
    "/api/v1/status",
]
ARTICLE_LISTS = ["/t/TSLA/", "/api/v1/tickers/TSLA/articles"]
PARAMS = [
    "cursor",
    "sort",
    "range",
    "window",
    "label",
    "kind",
    "page",
    "etfs",
    "q",
    "since",
    "until",
    "symbol",
    "limit",
]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- D5: crafted cursors ------------------------------------------------------------------------

CRAFTED = [
    "new|2026-01-01T00:00:00+20:00|1",  # an offset PostgreSQL cannot store
    "new|0001-01-01T00:00:00+20:00|1",  # before datetime.min in UTC
    "new|9999-12-31T23:00:00-20:00|1",  # after datetime.max in UTC
    "new|2026-01-01T00:00:00+00:00|99999999999999999999999",  # beyond bigint
    "new|2026-01-01T00:00:00+00:00|0",
    "new|2026-01-01T00:00:00|1",  # naive
    "top|99999999999999999999999|1",  # beyond the upvotes column
    "top|-99999999999999999999999|1",
    "top|5|-1",
    "top|5",
    "top|5|1|1",
    "new|yesterday|1",
]


@pytest.mark.parametrize("path", ARTICLE_LISTS)
@pytest.mark.parametrize("raw", CRAFTED)
def test_a_crafted_cursor_is_a_400(client, site_data, path, raw):
    sort = raw.split("|", 1)[0]
    response = client.get(path, {"cursor": _cursor(raw), "sort": sort})
    assert response.status_code == 400, (raw, response.status_code)
    if path.startswith("/api/"):
        assert response.json()["parameter"] == "cursor"


def test_a_real_cursor_still_pages(client, site_data):
    first = client.get("/api/v1/tickers/TSLA/articles").json()
    assert first["next_cursor"]
    second = client.get("/api/v1/tickers/TSLA/articles", {"cursor": first["next_cursor"]})
    assert second.status_code == 200
    assert {a["reddit_id"] for a in second.json()["results"]}.isdisjoint({a["reddit_id"] for a in first["results"]})
    assert client.get("/t/TSLA/", {"cursor": first["next_cursor"]}).status_code == 200


_structured_cursor = st.builds(
    lambda sort, key, pk: _cursor(f"{sort}|{key}|{pk}"),
    st.sampled_from(["new", "top", "", "NEW"]),
    st.one_of(
        st.datetimes(timezones=st.just(None)).map(lambda d: d.isoformat())
        | st.tuples(st.datetimes(), st.integers(-23, 23), st.integers(0, 59)).map(
            lambda t: f"{t[0].isoformat()}{'+' if t[1] >= 0 else '-'}{abs(t[1]):02d}:{t[2]:02d}"
        ),
        st.integers(-(2**80), 2**80).map(str),
        st.text(max_size=40),
    ),
    st.one_of(st.integers(-(2**80), 2**80), st.text(max_size=10)),
)


@HYPOTHESIS
@given(cursor=st.one_of(st.text(max_size=200), _structured_cursor), path=st.sampled_from(ARTICLE_LISTS))
def test_arbitrary_cursors_never_give_a_5xx(client, site_data, cursor, path):
    for sort in ("new", "top"):
        response = client.get(path + "?" + f"sort={sort}&cursor={quote(cursor, safe='')}")
        assert response.status_code in (200, 400), (cursor, response.status_code)


# --- Arbitrary query strings --------------------------------------------------------------------

_value = st.one_of(st.text(max_size=30), st.sampled_from(["", "0", "-1", "99", "1e9", "24h", "new", "top", "%00"]))
_query = st.one_of(
    st.lists(st.tuples(st.sampled_from(PARAMS) | st.text(max_size=8), _value), max_size=5).map(
        lambda pairs: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    ),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
        lambda s: s.replace("#", "").replace(" ", "+")
    ),
)


@HYPOTHESIS
@given(query=_query, path=st.sampled_from(PAGES + API))
def test_arbitrary_query_strings_never_give_a_5xx(client, site_data, query, path):
    response = client.get(f"{path}?{query}")
    assert response.status_code < 500, (path, query, response.status_code)


# --- D10: NUL bytes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/?window=%00",
        "/?%00=1",
        "/t/TSLA/?cursor=%00",
        "/t/TSLA/?label=positive%00",
        "/tickers/?q=%00",
        "/tickers/?q=a\x00b",
        "/health?x=%00",
    ],
)
def test_a_nul_anywhere_in_the_query_string_is_a_400_page(client, site_data, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"NUL" in response.content


@pytest.mark.parametrize("url", ["/api/v1/tickers?window=%00", "/api/v1/tickers/TSLA/articles?%00", "/api/nope?a=%00"])
def test_a_nul_in_an_api_query_string_is_a_json_400(client, site_data, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["error"]


def test_a_nul_in_a_symbol_is_not_a_500(client, site_data):
    assert client.get("/t/%00/").status_code == 404
    assert client.get("/api/v1/tickers/%00").status_code == 404


# --- D7: an unreachable database ----------------------------------------------------------------


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails the way it does when PostgreSQL is unreachable (raised inside the view)."""

    def fail(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 1 failed: Connection refused')

    from django.db.models.sql import compiler

    monkeypatch.setattr(compiler.SQLCompiler, "execute_sql", fail)


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_503_with_a_short_page_when_the_database_is_down(client, db, database_down, path, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.get(path)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"]
    body = response.content.decode()
    assert "temporarily unavailable" in body and "Traceback" not in body
    assert len(body) < 2000
    assert "Not refreshed yet" not in body
    records = [r for r in caplog.records if r.name.startswith(("marketpulse", "django.request"))]
    assert all(r.exc_info is None for r in records), "a 503 logs one line, not a traceback"


@pytest.mark.parametrize("path", API)
def test_the_api_answers_503_json_when_the_database_is_down(client, db, database_down, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"error": "the database is temporarily unavailable"}


def test_an_interface_error_is_a_503_too(client, db, monkeypatch):
    from articles import leaderboard

    def fail(**kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(leaderboard, "ticker_leaderboard", fail)
    assert client.get("/").status_code == 503


def test_other_errors_are_still_500(client, db, monkeypatch):
    from articles import leaderboard

    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(leaderboard, "ticker_leaderboard", fail)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500
