"""Ticker list files: detect the format, parse, validate.

The bundled CSV, the SEC's JSON files and NASDAQ Trader's symbol directory, told by
content; symbols our check constraint refuses are skipped and counted, share classes
normalised to `BRK.B`. The formats: docs/design/tickers.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from articles.models import SYMBOL_RE, Ticker

BUNDLED_CSV = Path(__file__).resolve().parent / "data" / "tickers.csv"

FORMATS = ("csv", "sec-json", "sec-exchange-json", "nasdaqlisted", "otherlisted")

MAX_FILE_BYTES = 64 * 1024 * 1024

NAME_MAX = Ticker._meta.get_field("name").max_length
EXCHANGE_MAX = Ticker._meta.get_field("exchange").max_length

# otherlisted.txt "Exchange" codes (NASDAQ Trader symbol directory definitions).
OTHERLISTED_EXCHANGES = {
    "A": "NYSE American",
    "N": "NYSE",
    "P": "NYSE ARCA",
    "Z": "CBOE",  # Cboe BZX (formerly BATS)
    "V": "IEX",  # Investors' Exchange
}
# company_tickers_exchange.json spells exchanges its own way.
SEC_EXCHANGES = {"nasdaq": "NASDAQ", "nyse": "NYSE", "cboe": "CBOE", "otc": "OTC"}

NASDAQLISTED_HEADER = [
    "Symbol",
    "Security Name",
    "Market Category",
    "Test Issue",
    "Financial Status",
    "Round Lot Size",
    "ETF",
    "NextShares",
]
OTHERLISTED_HEADER = [
    "ACT Symbol",
    "Security Name",
    "Exchange",
    "CQS Symbol",
    "ETF",
    "Round Lot Size",
    "Test Issue",
    "NASDAQ Symbol",
]
CSV_REQUIRED = ("symbol", "name", "exchange", "is_etf")
CSV_OPTIONAL = ("aliases",)

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}
_FOOTER_PREFIX = "File Creation Time:"
# "Apple Inc. - Common Stock" / "Agilent Technologies, Inc. Common Stock" -> the company's name.
_SECURITY_SUFFIX_RE = re.compile(
    r"[\s,]*(?:-\s+)?(?:Class [A-Z0-9]+\s+)?(?:New\s+)?(?:Common Stock|Common Shares|Ordinary Shares|Subordinate Voting Shares)"
    r"(?:,?\s+(?:par value|Series|Class)\b.*)?$",
    re.IGNORECASE,
)


class TickerFileError(ValueError):
    """A ticker file that cannot be read: one line, suitable for an operator."""


@dataclass(frozen=True)
class TickerRow:
    """One ticker from a source. None means "this source does not say": the field is left alone."""

    symbol: str
    name: str | None = None
    exchange: str | None = None
    is_etf: bool | None = None
    aliases: tuple[str, ...] | None = None


@dataclass
class TickerFile:
    """What a file held: the rows to load and what was skipped, by reason."""

    path: str
    format: str
    rows: list[TickerRow]
    skipped: Counter = field(default_factory=Counter)


# --------------------------------------------------------------------------- parsing


def symbol_normalise(raw: str, *, hyphen_class: bool = False) -> str:
    """Upper-case and strip a symbol; with `hyphen_class`, `BRK-B` becomes `BRK.B`."""
    symbol = raw.strip().upper()
    if hyphen_class:
        symbol = re.sub(r"^([A-Z0-9]+)-([A-Z])$", r"\1.\2", symbol)
    return symbol


def _clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    return name[:NAME_MAX]


def _clean_security_name(raw: str) -> str:
    """NASDAQ's "Security Name" without the share description ("- Common Stock")."""
    name = " ".join(raw.split())
    if " - " in name:
        head = name.split(" - ", 1)[0].strip()
        if head:
            name = head
    stripped = _SECURITY_SUFFIX_RE.sub("", name).strip().rstrip(",").strip()
    return (stripped or name)[:NAME_MAX]


def _parse_flag(raw: str, *, where: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TickerFileError(f"{where}: is_etf must be true or false, not {raw!r}")


def parse_csv(text: str, *, path: str = "<csv>") -> TickerFile:
    """The curated CSV. Strict: any bad line is an error naming the line."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise TickerFileError(f"{path}: empty file") from None
    columns = [column.strip().lower() for column in header]
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        raise TickerFileError(
            f"{path}: CSV header lacks column(s) {', '.join(missing)} (need {','.join(CSV_REQUIRED)}[,aliases])"
        )
    unknown = [name for name in columns if name not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise TickerFileError(f"{path}: unknown CSV column(s) {', '.join(unknown)}")
    index = {name: columns.index(name) for name in columns}
    has_aliases = "aliases" in index
    rows: list[TickerRow] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not values or all(not value.strip() for value in values):
            continue
        where = f"{path} line {line}"
        if len(values) != len(columns):
            raise TickerFileError(f"{where}: {len(values)} fields, expected {len(columns)}")
        raw_symbol = values[index["symbol"]].strip()
        symbol = raw_symbol.upper()
        if not SYMBOL_RE.match(symbol):
            raise TickerFileError(f"{where}: invalid symbol {raw_symbol!r} (1-10 of A-Z 0-9 . -)")
        if symbol in seen:
            raise TickerFileError(f"{where}: duplicate symbol {symbol} (first on line {seen[symbol]})")
        seen[symbol] = line
        aliases = None
        if has_aliases:
            aliases = tuple(dict.fromkeys(a.strip() for a in values[index["aliases"]].split("|") if a.strip()))
        rows.append(
            TickerRow(
                symbol=symbol,
                name=_clean_name(values[index["name"]]),
                exchange=values[index["exchange"]].strip()[:EXCHANGE_MAX],
                is_etf=_parse_flag(values[index["is_etf"]], where=where),
                aliases=aliases,
            )
        )
    return TickerFile(path=path, format="csv", rows=rows)


def _load_json(text: str, *, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TickerFileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def parse_sec_json(text: str, *, path: str = "<sec-json>") -> TickerFile:
    """SEC `company_tickers.json`: {"0": {"cik_str": ..., "ticker": ..., "title": ...}, ...}."""
    data = _load_json(text, path=path)
    if not isinstance(data, dict) or not data:
        raise TickerFileError(f"{path}: expected a JSON object of {{cik_str, ticker, title}} entries")
    result = TickerFile(path=path, format="sec-json", rows=[])
    for key, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("ticker"), str):
            raise TickerFileError(f"{path}: entry {key!r} is not an object with a string 'ticker'")
        symbol = symbol_normalise(entry["ticker"], hyphen_class=True)
        if not SYMBOL_RE.match(symbol):
            result.skipped["invalid symbol"] += 1
            continue
        title = entry.get("title")
        result.rows.append(
            TickerRow(symbol=symbol, name=_clean_name(title) if isinstance(title, str) and title.strip() else None)
        )
    return result


def parse_sec_exchange_json(text: str, *, path: str = "<sec-exchange-json>") -> TickerFile:
    """SEC `company_tickers_exchange.json`: {"fields": [...], "data": [[cik, name, ticker, exchange], ...]}."""
    data = _load_json(text, path=path)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list) or not isinstance(data.get("data"), list):
        raise TickerFileError(f"{path}: expected a JSON object with 'fields' and 'data' lists")
    fields = data["fields"]
    if "ticker" not in fields:
        raise TickerFileError(f"{path}: 'fields' has no 'ticker' column")
    at = {name: fields.index(name) for name in fields}
    result = TickerFile(path=path, format="sec-exchange-json", rows=[])
    for number, entry in enumerate(data["data"]):
        if not isinstance(entry, list) or len(entry) != len(fields):
            raise TickerFileError(f"{path}: data[{number}] does not have {len(fields)} values")
        raw_symbol = entry[at["ticker"]]
        if not isinstance(raw_symbol, str):
            raise TickerFileError(f"{path}: data[{number}] ticker is not a string")
        symbol = symbol_normalise(raw_symbol, hyphen_class=True)
        if not SYMBOL_RE.match(symbol):
            result.skipped["invalid symbol"] += 1
            continue
        name = entry[at["name"]] if "name" in at else None
        exchange = entry[at["exchange"]] if "exchange" in at else None
        if isinstance(exchange, str) and exchange.strip():
            exchange = SEC_EXCHANGES.get(exchange.strip().lower(), exchange.strip())[:EXCHANGE_MAX]
        else:
            exchange = None
        result.rows.append(
            TickerRow(
                symbol=symbol,
                name=_clean_name(name) if isinstance(name, str) and name.strip() else None,
                exchange=exchange,
            )
        )
    return result


def _pipe_table(text: str, *, path: str, header: list[str]) -> list[tuple[int, dict[str, str]]]:
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise TickerFileError(f"{path}: empty file")
    columns = [column.strip() for column in lines[0].split("|")]
    missing = [name for name in header if name not in columns]
    if missing:
        raise TickerFileError(f"{path}: header lacks column(s) {', '.join(missing)}")
    if not lines[-1].startswith(_FOOTER_PREFIX):
        raise TickerFileError(f"{path}: no '{_FOOTER_PREFIX}' footer line; the file looks truncated")
    records = []
    for number, line in enumerate(lines[1:-1], start=2):
        if not line.strip():
            continue
        values = line.split("|")
        if len(values) != len(columns):
            raise TickerFileError(f"{path} line {number}: {len(values)} fields, expected {len(columns)}")
        records.append((number, dict(zip(columns, (value.strip() for value in values), strict=False))))
    return records


def parse_nasdaqlisted(text: str, *, path: str = "<nasdaqlisted>") -> TickerFile:
    """NASDAQ Trader `nasdaqlisted.txt`: every row is listed on NASDAQ."""
    result = TickerFile(path=path, format="nasdaqlisted", rows=[])
    for _number, record in _pipe_table(text, path=path, header=NASDAQLISTED_HEADER):
        if record["Test Issue"].upper() == "Y":
            result.skipped["test issue"] += 1
            continue
        symbol = symbol_normalise(record["Symbol"])
        if not SYMBOL_RE.match(symbol):
            result.skipped["invalid symbol"] += 1
            continue
        result.rows.append(
            TickerRow(
                symbol=symbol,
                name=_clean_security_name(record["Security Name"]) or None,
                exchange="NASDAQ",
                is_etf=record["ETF"].upper() == "Y",
            )
        )
    return result


def parse_otherlisted(text: str, *, path: str = "<otherlisted>") -> TickerFile:
    """NASDAQ Trader `otherlisted.txt`: NYSE, NYSE American, NYSE Arca, Cboe, IEX listings.

    The ACT symbol is used (`BRK.B`); preferreds (`ABR$D`) and the like do not fit
    the symbol rule and are skipped. An exchange code we do not know is kept as is.
    """
    result = TickerFile(path=path, format="otherlisted", rows=[])
    for _number, record in _pipe_table(text, path=path, header=OTHERLISTED_HEADER):
        if record["Test Issue"].upper() == "Y":
            result.skipped["test issue"] += 1
            continue
        symbol = symbol_normalise(record["ACT Symbol"])
        if not SYMBOL_RE.match(symbol):
            result.skipped["invalid symbol"] += 1
            continue
        code = record["Exchange"].upper()
        result.rows.append(
            TickerRow(
                symbol=symbol,
                name=_clean_security_name(record["Security Name"]) or None,
                exchange=OTHERLISTED_EXCHANGES.get(code, code)[:EXCHANGE_MAX] or None,
                is_etf=record["ETF"].upper() == "Y",
            )
        )
    return result


_PARSERS = {
    "csv": parse_csv,
    "sec-json": parse_sec_json,
    "sec-exchange-json": parse_sec_exchange_json,
    "nasdaqlisted": parse_nasdaqlisted,
    "otherlisted": parse_otherlisted,
}


def tickers_detect_format(text: str, *, path: str = "<file>") -> str:
    """Name the format of a ticker file from its content, or raise TickerFileError."""
    stripped = text.lstrip()
    if not stripped:
        raise TickerFileError(f"{path}: empty file")
    first_line = stripped.splitlines()[0].strip()
    if stripped[0] in "{[":
        data = _load_json(text, path=path)
        if isinstance(data, dict) and isinstance(data.get("fields"), list) and "data" in data:
            return "sec-exchange-json"
        if isinstance(data, dict) and data and all(isinstance(v, dict) and "ticker" in v for v in data.values()):
            return "sec-json"
        raise TickerFileError(
            f"{path}: JSON, but neither SEC company_tickers.json nor company_tickers_exchange.json shape"
        )
    if first_line.startswith("Symbol|Security Name|"):
        return "nasdaqlisted"
    if first_line.startswith("ACT Symbol|Security Name|"):
        return "otherlisted"
    columns = [column.strip().lower() for column in first_line.split(",")]
    if "symbol" in columns and len(columns) > 1:
        return "csv"
    raise TickerFileError(
        f"{path}: unknown ticker file format (expected our CSV, SEC company_tickers.json, "
        f"or NASDAQ nasdaqlisted.txt/otherlisted.txt); name it with --format"
    )


def tickers_parse(text: str, *, fmt: str = "auto", path: str = "<file>") -> TickerFile:
    """Parse the text of a ticker file in `fmt` ("auto" detects it)."""
    if fmt == "auto":
        fmt = tickers_detect_format(text, path=path)
    if fmt not in _PARSERS:
        raise TickerFileError(f"unknown format {fmt!r}; choose one of auto, {', '.join(FORMATS)}")
    return _PARSERS[fmt](text, path=path)


def tickers_read(path: str | Path, *, fmt: str = "auto") -> TickerFile:
    """Read and parse a ticker file; any problem is a one-line TickerFileError."""
    path = Path(path)
    shown = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise TickerFileError(f"{shown}: is a directory, not a ticker file")
        if size > MAX_FILE_BYTES:
            raise TickerFileError(f"{shown}: {size} bytes, more than the {MAX_FILE_BYTES} a ticker list can be")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TickerFileError(f"{shown}: no such file") from None
    except PermissionError:
        raise TickerFileError(f"{shown}: permission denied") from None
    except OSError as exc:
        raise TickerFileError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in raw[:4096]:
        raise TickerFileError(f"{shown}: binary data, not a text ticker list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TickerFileError(f"{shown}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return tickers_parse(text, fmt=fmt, path=shown)
