"""A price CSV -> checked bars: every bad row rejected with its line number and why.

The header is exactly `symbol,date,open,high,low,close,volume`. `date` is an ISO date (a
daily bar) or an ISO datetime (an intraday bar's start; without a zone it is UTC).
A file that is not such a CSV at all raises PriceFileError and nothing is read from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from marketpulse import csvfile

HEADER = ["symbol", "date", "open", "high", "low", "close", "volume"]
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PRICE = Decimal("1000000000")  # above any listed share price; a typo or a unit error
MAX_VOLUME = 10**15
SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{0,5}(?:[.\-][A-Z])?$")
DAY, INTRADAY = "1d", "intraday"


class PriceFileError(Exception):
    """The file is not a price CSV at all (unreadable, binary, not UTF-8, wrong header, broken quote)."""


@dataclass(frozen=True)
class BarRow:
    line: int
    symbol: str
    interval: str  # DAY or INTRADAY
    start: datetime  # UTC; a daily bar's date at 00:00
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int

    @property
    def key(self) -> tuple[str, str, datetime]:
        return self.symbol, self.interval, self.start

    @property
    def values(self) -> tuple:
        return self.open, self.high, self.low, self.close, self.volume


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class PriceReport:
    rows: list[BarRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, the line it repeats)
    records: int = 0  # data records read (blank lines not counted)


def prices_parse(path: str | Path) -> PriceReport:
    """Read and parse a price CSV file; PriceFileError when it is not one."""
    content = csvfile.file_text(path, what="a price", header=HEADER, max_bytes=MAX_FILE_BYTES, error=PriceFileError)
    return prices_parse_text(content, name=str(path))


def prices_parse_text(content: str, *, name: str = "the file") -> PriceReport:
    """Parse CSV text; an oversize cell is one rejected row, never a refused file."""
    report = PriceReport()
    first: dict[tuple, BarRow] = {}
    for line, row in csvfile.records(content, header=HEADER, name=name, error=PriceFileError):
        report.records += 1
        try:
            bar = bar_row(line, row)
        except ValueError as exc:
            report.rejected.append(Rejected(line, str(exc)))
            continue
        seen = first.get(bar.key)
        if seen is not None:
            if seen.values != bar.values:
                report.rejected.append(Rejected(line, f"the same bar as line {seen.line} with other values"))
            else:
                report.duplicates.append((line, seen.line))
            continue
        first[bar.key] = bar
        report.rows.append(bar)
    return report


def bar_row(line: int, row: list[str]) -> BarRow:
    """One CSV record as a bar; ValueError saying what is wrong with it."""
    if len(row) != len(HEADER):
        raise ValueError(f"{len(row)} columns, expected {len(HEADER)} ({','.join(HEADER)})")
    raw_symbol, raw_date, *raw_prices, raw_volume = (cell.strip() for cell in row)
    symbol = raw_symbol.upper().removeprefix("$")
    if not SYMBOL.match(symbol):
        raise ValueError(f"bad symbol {raw_symbol[:20]!r}")
    interval, start = _when(raw_date)
    prices = [_price(column, raw) for column, raw in zip(HEADER[2:6], raw_prices, strict=True)]
    open_, high, low, close = prices
    if low > min(open_, close, high) or high < max(open_, close, low):
        raise ValueError(f"high {high} and low {low} do not bound open {open_} and close {close}")
    return BarRow(line, symbol, interval, start, open_, high, low, close, _volume(raw_volume))


def _when(raw: str) -> tuple[str, datetime]:
    if not raw:
        raise ValueError("empty date")
    if len(raw) == 10:
        try:
            return DAY, datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
        except ValueError:
            raise ValueError(f"bad date {raw!r}: expected YYYY-MM-DD or an ISO datetime") from None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"bad date {raw[:40]!r}: expected YYYY-MM-DD or an ISO datetime") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return INTRADAY, moment


def _price(column: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{column} {raw[:20]!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value > MAX_PRICE:
        raise ValueError(f"{column} {raw[:20]!r} is not a price (more than 0, at most {MAX_PRICE})")
    return value.quantize(Decimal("0.000001"))


def _volume(raw: str) -> int:
    try:
        value = Decimal(raw or "0")
    except InvalidOperation:
        raise ValueError(f"volume {raw[:20]!r} is not a number") from None
    if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= MAX_VOLUME:
        raise ValueError(f"volume {raw[:20]!r} is not a whole number from 0 to {MAX_VOLUME}")
    return int(value)
