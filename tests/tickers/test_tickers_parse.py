"""Reading ticker files: format detection, the four external shapes, and every way a file can be bad."""

from __future__ import annotations

import json

import pytest

from articles.ticker_files import (
    TickerFileError,
    _clean_security_name,
    parse_csv,
    symbol_normalise,
    tickers_detect_format,
    tickers_parse,
    tickers_read,
)

CSV_HEADER = "symbol,name,exchange,is_etf,aliases\n"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("company_tickers.json", "sec-json"),
        ("company_tickers_exchange.json", "sec-exchange-json"),
        ("nasdaqlisted.txt", "nasdaqlisted"),
        ("otherlisted.txt", "otherlisted"),
    ],
)
def test_detects_each_format(fixture_path, name, expected):
    path = fixture_path(name)
    assert tickers_detect_format(path.read_text(), path=str(path)) == expected
    assert tickers_read(path).format == expected


def test_detects_our_csv():
    assert tickers_detect_format(CSV_HEADER + "TSLA,Tesla Inc.,NASDAQ,false,Tesla\n") == "csv"


def test_sec_json(fixture_path):
    result = tickers_read(fixture_path("company_tickers.json"))
    by_symbol = {row.symbol: row for row in result.rows}
    # Share classes: BRK-B -> BRK.B, BF-B -> BF.B; a two-letter suffix (a preferred) keeps its hyphen.
    assert {"BRK.B", "BRK.A", "BF.B", "BAC-PL"} <= set(by_symbol)
    assert "BRK-B" not in by_symbol
    assert by_symbol["AAPL"].name == "Apple Inc."
    # The SEC file says nothing about exchange, ETF or aliases: None = leave alone.
    assert by_symbol["AAPL"].exchange is None and by_symbol["AAPL"].is_etf is None and by_symbol["AAPL"].aliases is None
    assert result.skipped == {"invalid symbol": 1}  # ABCDEFGHIJKL is longer than 10
    # The parser keeps both TSLA entries; the loader keeps the first (tested in test_tickers_load).
    assert next(row.name for row in result.rows if row.symbol == "TSLA") == "Tesla, Inc."


def test_sec_exchange_json(fixture_path):
    result = tickers_read(fixture_path("company_tickers_exchange.json"))
    by_symbol = {row.symbol: row for row in result.rows}
    assert by_symbol["NVDA"].exchange == "NASDAQ"
    assert by_symbol["GME"].exchange == "NYSE"
    assert by_symbol["CBOE"].exchange == "CBOE"
    assert by_symbol["NSRGY"].exchange == "OTC"
    assert by_symbol["NOEX"].exchange is None
    assert by_symbol["BRK.B"].name == "BERKSHIRE HATHAWAY INC"


def test_nasdaqlisted(fixture_path):
    result = tickers_read(fixture_path("nasdaqlisted.txt"))
    by_symbol = {row.symbol: row for row in result.rows}
    assert "ZVZZT" not in by_symbol and "ZXZZT" not in by_symbol
    assert result.skipped == {"test issue": 2}
    assert set(by_symbol) == {"AAPL", "AMD", "GOOGL", "HOOD", "QQQ", "TQQQ", "SOFI", "ACHR"}
    assert all(row.exchange == "NASDAQ" for row in result.rows)
    assert by_symbol["QQQ"].is_etf is True and by_symbol["AAPL"].is_etf is False
    assert by_symbol["AAPL"].name == "Apple Inc."
    assert by_symbol["GOOGL"].name == "Alphabet Inc."
    assert by_symbol["QQQ"].name == "Invesco QQQ Trust, Series 1"


def test_otherlisted(fixture_path):
    result = tickers_read(fixture_path("otherlisted.txt"))
    by_symbol = {row.symbol: row for row in result.rows}
    assert result.skipped == {"test issue": 1, "invalid symbol": 1}  # NTEST; ABR$D (a preferred)
    assert {symbol: row.exchange for symbol, row in by_symbol.items()} == {
        "A": "NYSE",
        "BRK.B": "NYSE",
        "GME": "NYSE",
        "SPY": "NYSE ARCA",
        "UVXY": "CBOE",
        "UEC": "NYSE American",
        "IEXQ": "IEX",
    }
    assert by_symbol["SPY"].is_etf is True and by_symbol["GME"].is_etf is False
    assert by_symbol["A"].name == "Agilent Technologies, Inc."
    assert by_symbol["BRK.B"].name == "Berkshire Hathaway Inc."


def test_otherlisted_unknown_exchange_code_is_kept(fixture_path):
    text = fixture_path("otherlisted.txt").read_text().replace("|V|IEXQ|", "|Q|IEXQ|")
    rows = {row.symbol: row for row in tickers_parse(text).rows}
    assert rows["IEXQ"].exchange == "Q"


def test_crlf_line_endings(fixture_path):
    text = fixture_path("nasdaqlisted.txt").read_text().replace("\n", "\r\n")
    assert len(tickers_parse(text).rows) == 8


def test_utf8_bom_is_accepted(write_file):
    path = write_file("bom.csv", "\ufeff" + CSV_HEADER + "TSLA,Tesla Inc.,NASDAQ,false,\n")
    assert [row.symbol for row in tickers_read(path).rows] == ["TSLA"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Apple Inc. - Common Stock", "Apple Inc."),
        ("Alphabet Inc. - Class A Common Stock", "Alphabet Inc."),
        ("Agilent Technologies, Inc. Common Stock", "Agilent Technologies, Inc."),
        ("Berkshire Hathaway Inc. New Common Stock", "Berkshire Hathaway Inc."),
        ("Arm Holdings plc - American Depositary Shares", "Arm Holdings plc"),
        ("Cameco Corporation Common Stock", "Cameco Corporation"),
        ("Invesco QQQ Trust, Series 1", "Invesco QQQ Trust, Series 1"),
        ("SPDR S&P 500 ETF Trust", "SPDR S&P 500 ETF Trust"),
        ("Common Stock", "Common Stock"),  # nothing left: keep what was given
    ],
)
def test_security_names_are_cleaned(raw, expected):
    assert _clean_security_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "hyphen_class", "expected"),
    [(" tsla ", False, "TSLA"), ("BRK-B", True, "BRK.B"), ("BRK-B", False, "BRK-B"), ("BAC-PL", True, "BAC-PL")],
)
def test_symbol_normalise(raw, hyphen_class, expected):
    assert symbol_normalise(raw, hyphen_class=hyphen_class) == expected


def test_csv_aliases_and_flags():
    result = parse_csv(
        CSV_HEADER
        + "tsla,Tesla Inc.,NASDAQ,true,Tesla| Tesla Motors |Tesla\n"
        + "SPY,SPDR S&P 500 ETF Trust,NYSE ARCA,Y,\n"
        + "\n"
        + '"BRK.B","Berkshire Hathaway, Class B",NYSE,0,Berkshire\n'
    )
    rows = {row.symbol: row for row in result.rows}
    assert rows["TSLA"].aliases == ("Tesla", "Tesla Motors")
    assert rows["TSLA"].is_etf is True and rows["SPY"].is_etf is True and rows["BRK.B"].is_etf is False
    assert rows["SPY"].aliases == ()
    assert rows["BRK.B"].name == "Berkshire Hathaway, Class B"


def test_csv_without_aliases_column_leaves_aliases_alone():
    rows = parse_csv("symbol,name,exchange,is_etf\nTSLA,Tesla Inc.,NASDAQ,false\n").rows
    assert rows[0].aliases is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("symbol,name\nTSLA,Tesla\n", "lacks column(s) exchange, is_etf"),
        (CSV_HEADER.replace("aliases", "alias"), "unknown CSV column(s) alias"),
        (CSV_HEADER + "TSLA,Tesla,NASDAQ,false,\nTS$A,Bad,NASDAQ,false,\n", "line 3: invalid symbol 'TS$A'"),
        (CSV_HEADER + "TOOLONGSYMBOL,Bad,NASDAQ,false,\n", "line 2: invalid symbol"),
        (CSV_HEADER + "TSLA,Tesla,NASDAQ,maybe,\n", "line 2: is_etf must be true or false, not 'maybe'"),
        (
            CSV_HEADER + "TSLA,Tesla,NASDAQ,false,\nAAPL,Apple,NASDAQ,false,\ntsla,Tesla,NASDAQ,false,\n",
            "line 4: duplicate symbol TSLA (first on line 2)",
        ),
        (CSV_HEADER + "TSLA,Tesla,NASDAQ\n", "line 2: 3 fields, expected 5"),
    ],
)
def test_csv_errors_name_the_line(text, message):
    with pytest.raises(TickerFileError) as info:
        parse_csv(text, path="t.csv")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_nasdaq_file_without_footer_is_truncated(fixture_path):
    text = "\n".join(fixture_path("nasdaqlisted.txt").read_text().splitlines()[:-1])
    with pytest.raises(TickerFileError, match="footer line; the file looks truncated"):
        tickers_parse(text, path="nasdaqlisted.txt")


def test_nasdaq_file_with_a_short_row(fixture_path):
    lines = fixture_path("otherlisted.txt").read_text().splitlines()
    lines[3] = "BRK.B|Berkshire Hathaway Inc. New Common Stock|N"
    with pytest.raises(TickerFileError, match=r"line 4: 3 fields, expected 8"):
        tickers_parse("\n".join(lines), fmt="otherlisted", path="otherlisted.txt")


def test_nasdaq_file_with_a_wrong_header():
    text = "Symbol|Security Name|Market Category\nAAPL|Apple|Q\nFile Creation Time: x||\n"
    with pytest.raises(TickerFileError, match="header lacks column"):
        tickers_parse(text, fmt="nasdaqlisted")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("   \n\n", "empty file"),
        ("hello world\nthis is not a ticker list\n", "unknown ticker file format"),
        ('{"data": [1, 2]}', "neither SEC company_tickers.json nor company_tickers_exchange.json shape"),
        ('{"0": {"cik_str": 1, "ticker": "AAPL"', "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"symbol,name,exchange,is_etf\nCAF\xe9,Bad,NYSE,false\n", "not UTF-8 text (bad byte at offset"),
    ],
)
def test_bad_files(write_file, content, message):
    path = write_file("input.dat", content)
    with pytest.raises(TickerFileError) as info:
        tickers_read(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(TickerFileError, match="no such file"):
        tickers_read(tmp_path / "nope.csv")
    with pytest.raises(TickerFileError, match="is a directory"):
        tickers_read(tmp_path)


def test_named_format_that_does_not_fit(fixture_path):
    with pytest.raises(TickerFileError):
        tickers_read(fixture_path("nasdaqlisted.txt"), fmt="sec-json")
    with pytest.raises(TickerFileError, match="lacks column"):
        tickers_read(fixture_path("company_tickers.json"), fmt="csv")


def test_sec_json_entries_must_have_a_ticker():
    with pytest.raises(TickerFileError, match="entry '1' is not an object with a string 'ticker'"):
        tickers_parse(json.dumps({"0": {"ticker": "AAPL", "title": "Apple"}, "1": {"title": "x"}}), fmt="sec-json")
