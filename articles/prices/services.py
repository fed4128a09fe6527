"""Checked price rows in: an upsert per (ticker, interval, start), so a rerun changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from articles.models import PriceBar, Ticker
from articles.prices.parse import BarRow, Rejected

BATCH = 1000


@dataclass
class PricesOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown: list[Rejected] = field(default_factory=list)  # rows whose symbol is no ticker here
    symbols: set[str] = field(default_factory=set)


def prices_import(*, rows: list[BarRow], source: str = "file", dry_run: bool = False) -> PricesOutcome:
    """Upsert `rows` as PriceBar rows in one transaction; a row of an unknown symbol is rejected."""
    outcome = PricesOutcome()
    wanted = {row.symbol for row in rows}
    ids = dict(Ticker.objects.filter(symbol__in=wanted).values_list("symbol", "pk"))
    known = []
    for row in rows:
        if row.symbol in ids:
            known.append(row)
        else:
            outcome.unknown.append(Rejected(row.line, f"unknown symbol {row.symbol!r} (load_tickers first)"))
    with transaction.atomic():
        for lo in range(0, len(known), BATCH):
            _batch_upsert(known[lo : lo + BATCH], ids, source, dry_run, outcome)
    outcome.symbols = {row.symbol for row in known}
    return outcome


def _batch_upsert(batch: list[BarRow], ids: dict[str, int], source: str, dry_run: bool, outcome) -> None:
    starts = {row.start for row in batch}
    existing = {
        (bar.ticker_id, bar.interval, bar.start): (bar.open, bar.high, bar.low, bar.close, bar.volume)
        for bar in PriceBar.objects.filter(ticker_id__in={ids[r.symbol] for r in batch}, start__in=starts)
    }
    changed = []
    for row in batch:
        before = existing.get((ids[row.symbol], row.interval, row.start))
        if before is None:
            outcome.created += 1
        elif before == row.values:
            outcome.unchanged += 1
            continue
        else:
            outcome.updated += 1
        changed.append(row)
    if dry_run or not changed:
        return
    PriceBar.objects.bulk_create(
        [
            PriceBar(
                ticker_id=ids[r.symbol],
                interval=r.interval,
                start=r.start,
                open=r.open,
                high=r.high,
                low=r.low,
                close=r.close,
                volume=r.volume,
                source=source[:40],
            )
            for r in changed
        ],
        update_conflicts=True,
        unique_fields=["ticker", "interval", "start"],
        update_fields=["open", "high", "low", "close", "volume", "source", "updated_at"],
    )
