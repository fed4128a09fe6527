"""Ticker load: our upsert vs bulk_update vs the naive one-save-per-row way, in one run.

    .venv/bin/python benchmarks/tickers_load.py                       # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_tickers_bench .venv/bin/python benchmarks/tickers_load.py

The database is migrated; the script only touches tickers whose symbol starts with
"ZQ" and deletes them at the end. For N rows (--rows, default 2000): create all, then
change every name (the costly case: e.g. the first SEC import after the curated CSV),
then load again unchanged; wall time and SQL queries for each way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/tickers_bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from articles.models import Ticker  # noqa: E402
from articles.tickers import TickerRow, tickers_load  # noqa: E402

PREFIX = "ZQ"


def rows(n: int, name: str) -> list[TickerRow]:
    return [TickerRow(f"{PREFIX}{i:05d}", f"{name} {i}", "NYSE", i % 5 == 0, (f"alias {i}",)) for i in range(n)]


def naive(batch: list[TickerRow]) -> None:
    """What a simple command does: update_or_create per row (a SELECT and a write each)."""
    with transaction.atomic():
        for row in batch:
            Ticker.objects.update_or_create(
                symbol=row.symbol,
                defaults={
                    "name": row.name,
                    "exchange": row.exchange,
                    "is_etf": row.is_etf,
                    "aliases": list(row.aliases),
                },
            )


def bulk_update_way(batch: list[TickerRow]) -> None:
    """bulk_create for new rows, bulk_update (CASE WHEN per field) for existing ones."""
    with transaction.atomic():
        existing = {t.symbol: t for t in Ticker.objects.filter(symbol__startswith=PREFIX)}
        new, changed = [], []
        for row in batch:
            ticker = existing.get(row.symbol)
            if ticker is None:
                new.append(
                    Ticker(
                        symbol=row.symbol,
                        name=row.name,
                        exchange=row.exchange,
                        is_etf=row.is_etf,
                        aliases=list(row.aliases),
                    )
                )
            elif (ticker.name, ticker.exchange, ticker.is_etf, ticker.aliases) != (
                row.name,
                row.exchange,
                row.is_etf,
                list(row.aliases),
            ):
                ticker.name, ticker.exchange, ticker.is_etf, ticker.aliases = (
                    row.name,
                    row.exchange,
                    row.is_etf,
                    list(row.aliases),
                )
                changed.append(ticker)
        Ticker.objects.bulk_create(new, batch_size=500)
        Ticker.objects.bulk_update(changed, ["name", "exchange", "is_etf", "aliases"], batch_size=500)


def ours(batch: list[TickerRow]) -> None:
    tickers_load(rows=batch)


def measure(func, batch) -> tuple[float, int]:
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        func(batch)
        elapsed = time.perf_counter() - started
    return elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="Tickers per load (default 2000).")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, rows: {args.rows}")
    print(f"{'way':<28}{'step':<11}{'seconds':>9}{'queries':>9}")
    for label, func in (
        ("naive update_or_create", naive),
        ("bulk_create + bulk_update", bulk_update_way),
        ("ours (upsert)", ours),
    ):
        Ticker.objects.filter(symbol__startswith=PREFIX).delete()
        for step, name in (("create", "Company"), ("update", "Renamed"), ("unchanged", "Renamed")):
            seconds, queries = measure(func, rows(args.rows, name))
            print(f"{label:<28}{step:<11}{seconds:>9.3f}{queries:>9}")
        assert Ticker.objects.filter(symbol__startswith=PREFIX, name__startswith="Renamed").count() == args.rows
    Ticker.objects.filter(symbol__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
