"""The ticker list: load parsed ticker files into `Ticker`.

The file formats and their parsers live in `articles.ticker_files`.

Loading (`tickers_load`) is an upsert keyed by symbol with a fixed number of
queries per batch: one read of the existing rows (to count and report changes),
then one `bulk_create(update_conflicts=True)` upsert per batch of new-or-changed
rows, all in one transaction (a killed load writes nothing).
It never deletes a ticker and never touches `is_active`, so a reviewer's
"never link" flag survives every reload. Fields a source does not carry (aliases
outside the curated CSV, exchange and ETF flag in the SEC file, an empty name)
are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from articles.models import Ticker
from articles.ticker_files import (
    BUNDLED_CSV,
    FORMATS,
    TickerFile,
    TickerFileError,
    TickerRow,
    tickers_read,
)

__all__ = [
    "BUNDLED_CSV",
    "FORMATS",
    "TickerFileError",
    "TickerRow",
    "tickers_load",
    "tickers_load_files",
    "tickers_read",
]

BATCH_SIZE = 500
UPSERT_FIELDS = ["name", "exchange", "is_etf", "aliases", "updated_at"]


@dataclass(frozen=True)
class TickerChange:
    symbol: str
    action: str  # "create" or "update"
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new); old is None on create

    def describe(self) -> str:
        if self.action == "create":
            parts = [f"{name}={new!r}" for name, (_old, new) in self.fields.items() if new not in (None, "", [], False)]
            return f"+ {self.symbol} " + " ".join(parts)
        parts = [f"{name}: {old!r} -> {new!r}" for name, (old, new) in self.fields.items()]
        return f"~ {self.symbol} " + "; ".join(parts)


@dataclass
class TickerLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    changes: list[TickerChange] = field(default_factory=list)
    dry_run: bool = False

    def as_counters(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
        }


# --------------------------------------------------------------------------- loading


def _merge(rows: list[TickerRow]) -> tuple[dict[str, TickerRow], int]:
    """First occurrence of a symbol wins (the SEC file lists the main class first)."""
    merged: dict[str, TickerRow] = {}
    duplicates = 0
    for row in rows:
        if row.symbol in merged:
            duplicates += 1
            continue
        merged[row.symbol] = row
    return merged, duplicates


def _wanted(row: TickerRow) -> dict[str, Any]:
    """The fields this row sets (None = the source does not say)."""
    wanted: dict[str, Any] = {}
    if row.name:
        wanted["name"] = row.name
    if row.exchange is not None:
        wanted["exchange"] = row.exchange
    if row.is_etf is not None:
        wanted["is_etf"] = row.is_etf
    if row.aliases is not None:
        wanted["aliases"] = list(row.aliases)
    return wanted


@transaction.atomic
def tickers_load(
    *, rows: list[TickerRow], dry_run: bool = False, only_new: bool = False, batch_size: int = BATCH_SIZE
) -> TickerLoadResult:
    """Upsert `rows` into `Ticker` by symbol; return what was (or, with `dry_run`, would be) done.

    Idempotent: a second load of the same rows changes nothing (all unchanged).
    `is_active` is never written, so a reviewer's "never link" flag stays. With
    `only_new`, existing tickers are left exactly as they are. Queries: one read,
    then one upsert per batch of `batch_size` new-or-changed rows (smaller batches on
    backends that cap parameters per query, e.g. SQLite), all in one transaction.
    """
    merged, duplicates = _merge(rows)
    result = TickerLoadResult(duplicates=duplicates, dry_run=dry_run)
    if not merged:
        return result
    symbols = list(merged)
    existing_qs = Ticker.objects.only("id", "symbol", "name", "exchange", "is_etf", "aliases")
    if (
        len(symbols) <= 500
    ):  # a short IN list; beyond that, read the (small) table once rather than bind thousands of parameters
        existing_qs = existing_qs.filter(symbol__in=symbols)
    existing = {ticker.symbol: ticker for ticker in existing_qs}

    to_create: list[Ticker] = []
    to_update: list[Ticker] = []
    for symbol, row in merged.items():
        wanted = _wanted(row)
        ticker = existing.get(symbol)
        if ticker is None:
            values = {"name": "", "exchange": "", "is_etf": False, "aliases": [], **wanted}
            to_create.append(Ticker(symbol=symbol, **values))
            result.changes.append(
                TickerChange(symbol, "create", {name: (None, value) for name, value in values.items()})
            )
            continue
        if only_new:
            result.unchanged += 1
            continue
        diff = {
            name: (getattr(ticker, name), value) for name, value in wanted.items() if getattr(ticker, name) != value
        }
        if not diff:
            result.unchanged += 1
            continue
        for name, (_old, value) in diff.items():
            setattr(ticker, name, value)
        to_update.append(ticker)
        result.changes.append(TickerChange(symbol, "update", diff))

    result.created = len(to_create)
    result.updated = len(to_update)
    if dry_run:
        return result
    # One INSERT ... ON CONFLICT (symbol) DO UPDATE per batch for both new and changed rows:
    # measured 5-7x faster than bulk_update's CASE WHEN for 2,000 changed rows, and a
    # concurrent load that created the same symbol meanwhile is updated, not an error.
    # `is_active` and `created_at` are not in update_fields, so existing values stay.
    changed = [
        Ticker(symbol=t.symbol, name=t.name, exchange=t.exchange, is_etf=t.is_etf, aliases=t.aliases) for t in to_update
    ]
    if to_create or changed:
        Ticker.objects.bulk_create(
            to_create + changed,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["symbol"],
            update_fields=UPSERT_FIELDS,
        )
    return result


def tickers_load_files(
    *,
    paths: list[str | Path] | None = None,
    fmt: str = "auto",
    dry_run: bool = False,
    only_new: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[list[TickerFile], TickerLoadResult | None]:
    """Read `paths` (the bundled CSV when None) and load them in one transaction.

    Rows from several files are merged, the first file winning for a symbol in two.
    `should_stop` is asked once the files are read (the slow part for big lists):
    when it says yes (SIGTERM arrived), nothing is written and the result is None.
    """
    files = [tickers_read(path, fmt=fmt) for path in (paths or [BUNDLED_CSV])]
    rows = [row for ticker_file in files for row in ticker_file.rows]
    if not rows:
        raise TickerFileError(f"no tickers found in {', '.join(f.path for f in files)}")
    if should_stop is not None and should_stop():
        return files, None
    return files, tickers_load(rows=rows, dry_run=dry_run, only_new=only_new)
