"""Rollup refresh: one INSERT ... SELECT ... ON CONFLICT against the rows built in Python.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_dump \\
        .venv/bin/python benchmarks/bench_rollups.py [--runs 3]

(SQLite works too: leave DATABASE_URL unset.) The database is the one of
benchmarks/bench_dump_import.py; when it holds no mentions, the 100,000-comment dump of
that script is imported first (17,404 rollup rows: 872 tickers, a month of hours).

Two ways to write every rollup row of the database (`rollups_refresh()` over all tickers),
both on the same aggregate (`articles.services.rollup_rows`) and after the same delete of
the hours that lost their mentions:

* naive (the way before): the aggregate fetched into Python, a `TickerHourly` per row,
  `bulk_create(update_conflicts=True)` in batches of 1,000;
* ours: `rollups_refresh`, the aggregate written by the database itself in one
  statement (`articles.services._rollups_upsert`).

Each from an empty rollup table and again over existing rows (the update path), the ways
in turn, --runs rounds, best wall and client CPU kept; the rollup tables the two ways
leave must be equal. Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")  # as the jobs run: no query log
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-rollups-" + os.urandom(24).hex())
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from articles.models import Mention, Ticker, TickerHourly  # noqa: E402
from articles.services import (  # noqa: E402
    _ROLLUP_FIELDS,
    _TICKER_CHUNK,
    _rollups_delete_emptied,
    rollup_rows,
    rollups_refresh,
)

FIELDS = ["ticker_id", "hour", *_ROLLUP_FIELDS]


def naive() -> int:
    """The way before: the rows in Python, then a bulk upsert (per chunk of tickers, as rollups_refresh)."""
    ids = sorted(Ticker.objects.values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), _TICKER_CHUNK):
        chunk = ids[start : start + _TICKER_CHUNK]
        rows = rollup_rows(chunk, None, None).order_by("ticker_id", "hour")
        objs = [
            TickerHourly(ticker_id=r["ticker_id"], hour=r["hour"], **{f: r[f] for f in _ROLLUP_FIELDS}) for r in rows
        ]
        with transaction.atomic():
            _rollups_delete_emptied(chunk, None, None)
            TickerHourly.objects.bulk_create(
                objs,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["ticker", "hour"],
                update_fields=[*_ROLLUP_FIELDS, "updated_at"],
            )
        written += len(objs)
    return written


def ours() -> int:
    return rollups_refresh()


def table() -> list[tuple]:
    return sorted(TickerHourly.objects.values_list(*FIELDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds, the ways in turn (default 3)")
    args = parser.parse_args()
    if not Mention.objects.exists():
        from bench_dump_import import db_reset, dump_file

        db_reset()
        path = dump_file(ROOT / "var" / "bench_dumps", 100_000)
        print(f"no mentions in the database: importing {path.name} first")
        call_command("import_dump", str(path), "--all-subreddits", stdout=open(os.devnull, "w"))
    mentions = Mention.objects.count()
    print(f"{connection.vendor}, {mentions:,} mentions, load average {os.getloadavg()[0]:.2f}, best of {args.runs}\n")
    best: dict[tuple[str, str], tuple[float, float, int]] = {}
    tables = {}
    for _ in range(args.runs):
        for name, way in (("naive", naive), ("ours", ours)):
            for start in ("empty", "existing"):
                if start == "empty":
                    TickerHourly.objects.all().delete()
                wall, cpu = time.perf_counter(), time.process_time()
                rows = way()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                old = best.get((name, start), (wall, cpu, rows))
                best[(name, start)] = (min(wall, old[0]), min(cpu, old[1]), rows)
            tables[name] = table()
    assert tables["naive"] == tables["ours"], "the two ways left different rollup tables"
    print(f"Both ways leave the same {len(tables['ours']):,} rollup rows.\n")
    print("| way | rollup table | rows written | wall s | client CPU s | client CPU us per row |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (name, start), (wall, cpu, rows) in best.items():
        label = "naive: rows to Python, `bulk_create` upsert" if name == "naive" else "ours: one `INSERT ... SELECT`"
        print(f"| {label} | {start} | {rows:,} | {wall:.2f} | {cpu:.2f} | {cpu / max(rows, 1) * 1e6:.0f} |")


if __name__ == "__main__":
    main()
