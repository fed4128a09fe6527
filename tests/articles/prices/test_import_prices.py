"""manage.py import_prices (issue 25): good, bad and duplicate rows; a rerun changes nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import PriceBar, Ticker
from articles.prices.parse import PriceFileError, prices_parse_text

pytestmark = pytest.mark.django_db

HEADER = "symbol,date,open,high,low,close,volume\n"


@pytest.fixture
def tickers():
    return {s: Ticker.objects.create(symbol=s, name=s) for s in ("TSLA", "GME", "BRK.B")}


def run(tmp_path, text: str, *args: str, name: str = "prices.csv") -> tuple[str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_prices", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_daily_and_intraday_bars_are_imported(tmp_path, tickers):
    out, err = run(
        tmp_path,
        HEADER + "TSLA,2026-12-04,350.10,362.5,348,360.25,81234567\n"
        "$gme,2026-12-04T14:30:00Z,25,26,24.5,25.75,1200000\n"
        "BRK.B,2026-12-04T09:30:00-05:00,480,481,479.5,480.5,1000.0\n",
    )
    assert err == "" and "wrote 3 new and 0 changed bars for 3 tickers" in out
    daily = PriceBar.objects.get(ticker__symbol="TSLA")
    assert daily.interval == PriceBar.Interval.DAY and daily.start == datetime(2026, 12, 4, tzinfo=UTC)
    assert daily.close == Decimal("360.25") and daily.volume == 81234567 and daily.source == "prices.csv"
    gme = PriceBar.objects.get(ticker__symbol="GME")
    assert gme.interval == PriceBar.Interval.INTRADAY and gme.start == datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
    brk = PriceBar.objects.get(ticker__symbol="BRK.B")
    assert brk.start == datetime(2026, 12, 4, 14, 30, tzinfo=UTC)  # New York 09:30 is 14:30 UTC


def test_a_rerun_is_idempotent_and_a_changed_bar_is_updated_in_place(tmp_path, tickers):
    text = HEADER + "TSLA,2026-12-04,350,362,348,360,100\nTSLA,2026-12-05,360,365,355,361,200\n"
    run(tmp_path, text)
    out, _ = run(tmp_path, text)
    assert "wrote 0 new and 0 changed bars" in out and "2 unchanged" in out
    out, _ = run(tmp_path, text.replace("361,200", "363,250"))
    assert "wrote 0 new and 1 changed bars" in out
    assert PriceBar.objects.count() == 2
    assert PriceBar.objects.get(start__day=5).close == Decimal("363")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("TSLA,2026-13-01,1,2,1,2,3", "bad date"),
        ("TSLA,yesterday,1,2,1,2,3", "bad date"),
        ("TSLA,,1,2,1,2,3", "empty date"),
        ("TSLA,2026-12-04,abc,2,1,2,3", "open 'abc' is not a number"),
        ("TSLA,2026-12-04,-1,2,1,2,3", "not a price"),
        ("TSLA,2026-12-04,NaN,2,1,2,3", "not a price"),
        ("TSLA,2026-12-04,1,2,1,2,1e99", "not a whole number"),
        ("TSLA,2026-12-04,1,2,1,2,1.5", "not a whole number"),
        ("TSLA,2026-12-04,1,2,1,2,-3", "not a whole number"),
        ("TSLA,2026-12-04,5,4,3,4.5,1", "do not bound"),  # open above high
        ("TSLA,2026-12-04,1,2,1", "5 columns, expected 7"),
        ("<script>,2026-12-04,1,2,1,2,3", "bad symbol"),
        ("NOPE,2026-12-04,1,2,1,2,3", "unknown symbol 'NOPE'"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_the_good_rows_kept(tmp_path, tickers, row, reason):
    out, err = run(tmp_path, HEADER + "GME,2026-12-04,25,26,24,25.5,10\n" + row + "\n")
    (line,) = err.splitlines()
    assert "prices.csv:3: rejected: " in line and reason in line.split("rejected: ", 1)[1]
    assert "wrote 1 new" in out and "1 rejected" in out
    assert PriceBar.objects.filter(ticker__symbol="GME").count() == 1


def test_duplicates_in_the_file_are_skipped_and_a_conflicting_one_rejected(tmp_path, tickers):
    out, err = run(
        tmp_path,
        HEADER + "GME,2026-12-04,25,26,24,25.5,10\n" + "GME,2026-12-04,25,26,24,25.5,10\n"
        "gme,2026-12-04,25,26,24,25.9,10\n",
    )
    assert "prices.csv:4: rejected: the same bar as line 2 with other values" in err
    assert "1 duplicates in the file" in out and PriceBar.objects.get().close == Decimal("25.5")


def test_an_oversize_cell_is_one_rejected_row(tmp_path, tickers):
    out, err = run(tmp_path, HEADER + "GME," + "9" * 200_000 + ",1,2,1,2,3\nGME,2026-12-04,25,26,24,25.5,10\n")
    assert "prices.csv:2: rejected: bad date" in err and "wrote 1 new" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("date,symbol,open,high,low,close,volume\nTSLA,2026-12-04,1,2,1,2,3\n", "bad header"),
        ('symbol,date,open,high,low,close,volume\n"TSLA,2026-12-04,1,2,1,2,3\n', "not CSV"),
    ],
)
def test_a_file_that_is_not_a_price_csv_imports_nothing(tmp_path, tickers, content, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        run(tmp_path, content)
    assert excinfo.value.returncode == 2 and not PriceBar.objects.exists()


def test_binary_and_non_utf8_files_are_refused(tmp_path, tickers):
    for data, message in ((b"\x00\x01PK", "binary"), (HEADER.encode() + b"TSLA,\xff\n", "not UTF-8")):
        path = tmp_path / "bad.csv"
        path.write_bytes(data)
        with pytest.raises(CommandError, match=message):
            call_command("import_prices", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_prices", str(tmp_path / "missing.csv"), stdout=io.StringIO(), stderr=io.StringIO())


def test_every_row_rejected_exits_2_and_dry_run_writes_nothing(tmp_path, tickers):
    with pytest.raises(CommandError, match="every one of its 1 rows was rejected") as excinfo:
        run(tmp_path, HEADER + "NOPE,2026-12-04,1,2,1,2,3\n")
    assert excinfo.value.returncode == 2
    out, _ = run(tmp_path, HEADER + "GME,2026-12-04,25,26,24,25.5,10\n", "--dry-run")
    assert "would write 1 new" in out and not PriceBar.objects.exists()


def test_the_parser_alone_reads_a_bom_and_blank_lines():
    report = prices_parse_text("\ufeff" + HEADER + "\nTSLA,2026-12-04,1,2,1,2,3\n\n")
    assert report.records == 1 and [r.symbol for r in report.rows] == ["TSLA"]
    with pytest.raises(PriceFileError):
        prices_parse_text("symbol,date\n")
