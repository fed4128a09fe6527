"""tickers_load: the upsert by symbol — idempotent, bulk, keeps reviewers' flags."""

from __future__ import annotations

import math

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from articles.models import Ticker
from articles.tickers import (
    BATCH_SIZE,
    BUNDLED_CSV,
    TickerRow,
    tickers_load,
    tickers_read,
)

pytestmark = pytest.mark.django_db


def _rows(n: int, *, start: int = 0, name: str = "Company") -> list[TickerRow]:
    return [
        TickerRow(symbol=f"T{i:05d}", name=f"{name} {i}", exchange="NYSE", is_etf=i % 7 == 0, aliases=(f"Alias {i}",))
        for i in range(start, start + n)
    ]


def _snapshot() -> dict[str, tuple]:
    return {
        t.symbol: (t.name, t.exchange, t.is_etf, t.aliases, t.is_active, t.updated_at) for t in Ticker.objects.all()
    }


def test_creates_then_second_load_changes_nothing():
    rows = tickers_read(BUNDLED_CSV).rows
    first = tickers_load(rows=rows)
    assert (first.created, first.updated, first.unchanged) == (len(rows), 0, 0)
    assert Ticker.objects.count() == len(rows)
    before = _snapshot()

    second = tickers_load(rows=rows)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(rows))
    assert second.changes == []
    assert _snapshot() == before  # not even updated_at moved


def test_stored_values_match_the_source():
    tickers_load(rows=tickers_read(BUNDLED_CSV).rows)
    tsla = Ticker.objects.get(symbol="TSLA")
    assert (tsla.name, tsla.exchange, tsla.is_etf, tsla.aliases, tsla.is_active) == (
        "Tesla Inc.",
        "NASDAQ",
        False,
        ["Tesla"],
        True,
    )
    spy = Ticker.objects.get(symbol="SPY")
    assert spy.is_etf is True and spy.exchange == "NYSE ARCA"
    assert Ticker.objects.filter(symbol="BRK.B").exists()


def test_changed_source_updates_only_what_changed():
    tickers_load(
        rows=[TickerRow("GME", "GameStop", "NYSE", False, ("GameStop",)), TickerRow("AMC", "AMC", "NYSE", False, ())]
    )
    result = tickers_load(
        rows=[
            TickerRow("GME", "GameStop Corp.", "NYSE", False, ("GameStop", "Gamestonk")),
            TickerRow("AMC", "AMC", "NYSE", False, ()),
        ]
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    (change,) = result.changes
    assert change.symbol == "GME" and change.action == "update"
    assert change.fields == {
        "name": ("GameStop", "GameStop Corp."),
        "aliases": (["GameStop"], ["GameStop", "Gamestonk"]),
    }
    assert "name: 'GameStop' -> 'GameStop Corp.'" in change.describe()
    gme = Ticker.objects.get(symbol="GME")
    assert gme.name == "GameStop Corp." and gme.aliases == ["GameStop", "Gamestonk"]


def test_reviewer_never_link_flag_survives_every_reload():
    tickers_load(rows=[TickerRow("YOLO", "AdvisorShares Pure Cannabis ETF", "NYSE ARCA", True, ())])
    Ticker.objects.filter(symbol="YOLO").update(is_active=False)
    # Same data, then changed data: neither run may flip the flag back.
    tickers_load(rows=[TickerRow("YOLO", "AdvisorShares Pure Cannabis ETF", "NYSE ARCA", True, ())])
    result = tickers_load(rows=[TickerRow("YOLO", "AdvisorShares Pure Cannabis ETF (renamed)", "NYSE ARCA", True, ())])
    assert result.updated == 1
    yolo = Ticker.objects.get(symbol="YOLO")
    assert yolo.is_active is False
    assert yolo.name == "AdvisorShares Pure Cannabis ETF (renamed)"


def test_fields_a_source_does_not_carry_are_left_alone():
    tickers_load(rows=[TickerRow("AAPL", "Apple Inc.", "NASDAQ", False, ("Apple",))])
    # What the SEC file gives: a name only (exchange/ETF/aliases None); an empty name says nothing either.
    result = tickers_load(rows=[TickerRow("AAPL", "Apple Inc."), TickerRow("MSFT", None)])
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    aapl = Ticker.objects.get(symbol="AAPL")
    assert (aapl.exchange, aapl.is_etf, aapl.aliases) == ("NASDAQ", False, ["Apple"])
    msft = Ticker.objects.get(symbol="MSFT")
    assert (msft.name, msft.exchange, msft.is_etf, msft.aliases, msft.is_active) == ("", "", False, [], True)


def test_only_new_leaves_existing_rows_exactly_as_they_are():
    tickers_load(rows=[TickerRow("AAPL", "Apple", "NASDAQ", False, ("Apple",))])
    before = _snapshot()
    result = tickers_load(
        rows=[
            TickerRow("AAPL", "Apple Inc. - Common Stock", "NASDAQ", False),
            TickerRow("AMD", "AMD Inc.", "NASDAQ", False),
        ],
        only_new=True,
    )
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert _snapshot()["AAPL"] == before["AAPL"]
    assert Ticker.objects.filter(symbol="AMD").exists()


def test_dry_run_reports_and_writes_nothing():
    rows = _rows(20)
    result = tickers_load(rows=rows, dry_run=True)
    assert result.dry_run and result.created == 20
    assert [change.symbol for change in result.changes] == [row.symbol for row in rows]
    assert result.changes[0].describe().startswith("+ T00000 name='Company 0'")
    assert Ticker.objects.count() == 0

    tickers_load(rows=rows)
    before = _snapshot()
    renamed = _rows(20, name="Renamed")
    result = tickers_load(rows=renamed, dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (0, 20, 0)
    assert _snapshot() == before


def test_duplicate_symbols_first_wins(fixture_path):
    sec = tickers_read(fixture_path("company_tickers.json"))
    result = tickers_load(rows=sec.rows)
    assert result.duplicates == 1
    assert Ticker.objects.get(symbol="TSLA").name == "Tesla, Inc."


def test_a_failed_load_writes_nothing():
    """One transaction: a row the database refuses undoes the batches already written."""
    tickers_load(rows=[TickerRow("GME", "GameStop", "NYSE", False, ())])
    before = _snapshot()
    rows = [*_rows(3), TickerRow("bad$", "Refused by the symbol check constraint")]
    with pytest.raises(IntegrityError):
        tickers_load(rows=rows, batch_size=1)
    assert _snapshot() == before


def _queries_for(rows: list[TickerRow]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        tickers_load(rows=rows)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_rows_within_a_batch():
    # Fresh symbols each time: a create-only load, and an update-only load, of 5 vs 100 rows.
    assert _queries_for(_rows(5)) == _queries_for(_rows(100, start=1000))
    assert _queries_for(_rows(5, name="New")) == _queries_for(_rows(100, start=1000, name="New"))
    assert _queries_for(_rows(5, name="New")) == _queries_for(
        _rows(100, start=1000, name="New")
    )  # unchanged: read only


def test_query_count_grows_with_batches_not_rows(django_assert_max_num_queries):
    n = 2000
    # One upsert statement per BATCH_SIZE rows, fewer rows per statement where the backend caps
    # parameters per query (SQLite: 999): the bound is per statement, not per row.
    probe = [Ticker(symbol="X", name="", exchange="", is_etf=False, aliases=[])] * n
    insert_fields = [f for f in Ticker._meta.concrete_fields if not f.primary_key]
    per_statement = min(BATCH_SIZE, connection.ops.bulk_batch_size(insert_fields, probe) or BATCH_SIZE)
    bound = 3 + math.ceil(n / per_statement)  # read + savepoint pair + the upserts
    assert bound < n / 50

    with django_assert_max_num_queries(bound):
        created = tickers_load(rows=_rows(n))
    assert created.created == n

    with django_assert_max_num_queries(bound):
        updated = tickers_load(rows=_rows(n, name="Renamed"))
    assert updated.updated == n
    assert Ticker.objects.filter(name__startswith="Renamed").count() == n
    assert Ticker.objects.count() == n

    with django_assert_max_num_queries(3):  # nothing to write: the read (+ savepoint pair)
        unchanged = tickers_load(rows=_rows(n, name="Renamed"))
    assert unchanged.unchanged == n


def test_empty_input_is_a_no_op(django_assert_num_queries):
    with django_assert_num_queries(2):  # the savepoint pair of the transaction, nothing else
        result = tickers_load(rows=[])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
