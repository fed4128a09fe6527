"""The curated list shipped in articles/data/tickers.csv."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from articles.tickers import BUNDLED_CSV, tickers_read

MEME_NAMES = [
    "GME",
    "AMC",
    "BB",
    "NOK",
    "BBBY",
    "PLTR",
    "SOFI",
    "HOOD",
    "RIVN",
    "LCID",
    "NIO",
    "MARA",
    "RIOT",
    "COIN",
    "MSTR",
    "SMCI",
    "ARM",
    "RDDT",
    "CVNA",
    "UPST",
    "AFRM",
    "DJT",
    "TSLA",
    "NVDA",
    "AMD",
    "AAPL",
    "INTC",
]
BIG_ETFS = [
    "SPY",
    "QQQ",
    "IWM",
    "DIA",
    "TQQQ",
    "SQQQ",
    "SPXL",
    "SPXS",
    "UVXY",
    "VXX",
    "SOXL",
    "SOXS",
    "TLT",
    "GLD",
    "SLV",
    "USO",
    "XLE",
    "XLF",
    "ARKK",
    "VOO",
    "VTI",
    "SCHD",
    "TNA",
    "TZA",
    "LABU",
]
KNOWN_EXCHANGES = {"NYSE", "NASDAQ", "NYSE ARCA", "CBOE", "NYSE American"}


@pytest.fixture(scope="module")
def bundled():
    return tickers_read(BUNDLED_CSV)


@pytest.fixture(scope="module")
def by_symbol(bundled):
    return {row.symbol: row for row in bundled.rows}


def test_is_large_enough_for_wallstreetbets(bundled):
    assert bundled.format == "csv"
    assert len(bundled.rows) >= 600


def test_no_duplicate_symbols_in_the_raw_file():
    # Read the file directly (not through our parser, which would refuse duplicates anyway).
    with BUNDLED_CSV.open(newline="", encoding="utf-8") as handle:
        symbols = [row["symbol"].strip().upper() for row in csv.DictReader(handle)]
    duplicates = {symbol: n for symbol, n in Counter(symbols).items() if n > 1}
    assert duplicates == {}
    assert len(symbols) >= 600


def test_every_symbol_fits_the_database_rule(bundled):
    bad = [row.symbol for row in bundled.rows if not re.fullmatch(r"[A-Z0-9.\-]{1,10}", row.symbol)]
    assert bad == []


@pytest.mark.parametrize("symbol", MEME_NAMES)
def test_meme_names_are_listed_as_stocks(by_symbol, symbol):
    assert symbol in by_symbol
    assert by_symbol[symbol].is_etf is False


@pytest.mark.parametrize("symbol", BIG_ETFS)
def test_big_etfs_are_listed_as_etfs(by_symbol, symbol):
    assert symbol in by_symbol
    assert by_symbol[symbol].is_etf is True


def test_share_classes_use_the_dotted_form(by_symbol):
    assert {"BRK.B", "BF.B"} <= set(by_symbol)
    assert not any("-" in symbol for symbol in by_symbol)


def test_rows_are_complete(bundled):
    for row in bundled.rows:
        assert row.name and row.name == row.name.strip(), row
        assert row.exchange in KNOWN_EXCHANGES, row


def test_aliases_are_useful_and_unambiguous(bundled):
    with_aliases = [row for row in bundled.rows if row.aliases]
    assert len(with_aliases) >= 30
    owners: dict[str, str] = {}
    for row in with_aliases:
        for alias in row.aliases:
            assert alias == alias.strip() and alias
            assert alias.upper() != row.symbol, f"{row.symbol}: alias repeats the symbol"
            assert alias.lower() not in owners, f"alias {alias!r} on {row.symbol} and {owners.get(alias.lower())}"
            owners[alias.lower()] = row.symbol
    assert owners["tesla"] == "TSLA"
    assert owners["gamestop"] == "GME"


def test_roughly_the_sp500_is_there(bundled):
    # A sample of S&P 500 members across sectors (not the meme names above).
    sample = {"JNJ", "XOM", "JPM", "PG", "KO", "LLY", "UNH", "HD", "CAT", "NEE", "LIN", "PLD", "V", "MA", "WMT"}
    assert sample <= {row.symbol for row in bundled.rows}
    stocks = [row for row in bundled.rows if not row.is_etf]
    assert len(stocks) >= 550
