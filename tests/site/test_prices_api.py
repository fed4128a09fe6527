"""Prices in the API (issue 25, prices in): the ticker's `price` and /tickers/{symbol}/prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from articles.models import PriceBar, Ticker

pytestmark = pytest.mark.django_db


def bar(ticker, start, close, interval=PriceBar.Interval.DAY, **extra):
    close = Decimal(str(close))
    return PriceBar.objects.create(
        ticker=ticker, interval=interval, start=start, open=close, high=close + 1, low=close - 1, close=close, **extra
    )


@pytest.fixture
def tsla():
    return Ticker.objects.create(symbol="TSLA", name="Tesla")


def test_no_bars_no_price(client, tsla):
    assert client.get("/api/v1/tickers/TSLA").json()["price"] is None


def test_the_price_is_the_latest_close_against_the_previous_days_close(client, tsla):
    bar(tsla, datetime(2026, 12, 3, tzinfo=UTC), 300)
    bar(tsla, datetime(2026, 12, 4, tzinfo=UTC), 330)
    price = client.get("/api/v1/tickers/TSLA").json()["price"]
    assert price == {
        "last": 330.0,
        "change_pct": pytest.approx(10.0),
        "as_of": "2026-12-04T00:00:00Z",
        "interval": "1d",
    }
    # an intraday bar of the next day is later: compared with that day's previous close (the 4th)
    bar(tsla, datetime(2026, 12, 5, 15, 30, tzinfo=UTC), 297, interval=PriceBar.Interval.INTRADAY)
    price = client.get("/api/v1/tickers/TSLA").json()["price"]
    assert price["last"] == 297.0 and price["change_pct"] == pytest.approx(-10.0)
    assert price["as_of"] == "2026-12-05T15:30:00Z" and price["interval"] == "intraday"


def test_a_first_bar_has_no_change(client, tsla):
    bar(tsla, datetime(2026, 12, 4, tzinfo=UTC), 330)
    assert client.get("/api/v1/tickers/TSLA").json()["price"]["change_pct"] is None


def test_the_bars_oldest_first_from_since_by_interval(client, tsla):
    for day in (1, 2, 3):
        bar(tsla, datetime(2026, 12, day, tzinfo=UTC), 300 + day, volume=day * 10)
    bar(tsla, datetime(2026, 12, 3, 15, tzinfo=UTC), 299, interval=PriceBar.Interval.INTRADAY)
    body = client.get("/api/v1/tickers/tsla/prices?since=2026-12-02").json()
    assert body["symbol"] == "TSLA" and body["interval"] == "1d"
    assert [(r["start"], r["close"], r["volume"]) for r in body["results"]] == [
        ("2026-12-02T00:00:00Z", 302.0, 20),
        ("2026-12-03T00:00:00Z", 303.0, 30),
    ]
    intraday = client.get("/api/v1/tickers/TSLA/prices?interval=intraday").json()["results"]
    assert [r["start"] for r in intraday] == ["2026-12-03T15:00:00Z"]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/v1/tickers/NOPE/prices", 404, "symbol"),
        ("/api/v1/tickers/TSLA/prices?since=yesterday", 400, "since"),
        ("/api/v1/tickers/TSLA/prices?interval=1m", 400, "interval"),
    ],
)
def test_bad_requests_say_which_parameter(client, tsla, url, status, parameter):
    response = client.get(url)
    assert response.status_code == status and response.json()["parameter"] == parameter
