"""Dump import, the per-item work on ONE core: CPU us per comment, the reference way and dump_rows (issue 14).

    .venv/bin/python benchmarks/bench_dump_rows.py [--lines 100000] [--runs 3]

The per-item path of `manage.py import_dump`: decompress + split + parse a line, make
its row, link the row's text. Timed with time.process_time, the process pinned to one
CPU (sched_setaffinity), best of --runs (the measures take turns), both ways side by
side in the same run, on the RC-style file of benchmarks/gen_dump.py (seed 14,
window_log 27, made once under var/bench_dumps/ as benchmarks/bench_dump_import.py does):

* reference: `DumpReader.records()` + `records_filter` + `item_validate` + `item_mentions`
  for each accepted row (`ingest.dumps.rows._dump_rows_reference`: what the importer did);
* dump_rows: `ingest.dumps.rows.dump_rows` + `item_mentions` for each accepted row.

Stages (each a pass of its own, so a difference of two passes): decode = records()
alone; rows = the way without item_mentions, minus decode; link = the whole way minus
the way without item_mentions. Both ways must give the same numbers of rows, rejected
items, bad lines and mentions.

Two totals, as the issue's goal (100,000 comments per CPU-second) can be read two ways:
"parse + link" is decode + link, the two stages the goal names (what the first round's
bench_dump_parse.py measured: decompress, split, JSON, link); "CPU us per comment" is
the importer's whole per-item path, with the validation of each record into a row
(the `rows` stage) as well. The tickers are articles/data/tickers.csv (no database).
Prints Markdown table rows for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")  # no secret key needed: nothing here touches the database
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")
import django  # noqa: E402

django.setup()

from bench_dump_import import dump_file  # noqa: E402

from ingest.dumps.reader import DumpReader, dump_open  # noqa: E402
from ingest.dumps.records import COMMENTS, BadLine  # noqa: E402
from ingest.dumps.rows import _dump_rows_reference, dump_rows  # noqa: E402
from ingest.linker import TickerSet  # noqa: E402
from ingest.upsert import TickerIndex, item_mentions  # noqa: E402
from ingest.validation import Rejected  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WAYS: dict[str, Callable] = {"reference": _dump_rows_reference, "dump_rows": dump_rows}


def ticker_index() -> TickerIndex:
    with open(ROOT / "articles" / "data" / "tickers.csv", newline="") as fh:
        symbols = [row["symbol"] for row in csv.DictReader(fh) if row.get("symbol")]
    tickers = TickerSet(symbols)
    return TickerIndex(tickers=tickers, ids={symbol: number for number, symbol in enumerate(sorted(tickers.all))})


def decode(path: Path, index: TickerIndex) -> tuple[int, ...]:
    with dump_open(path) as stream:
        return (sum(1 for _ in DumpReader(stream).records()),)


def rows_only(way: Callable) -> Callable[[Path, TickerIndex], tuple[int, ...]]:
    def run(path: Path, index: TickerIndex) -> tuple[int, ...]:
        rows = rejected = bad = 0
        with dump_open(path) as stream:
            for item in way(DumpReader(stream), kind=COMMENTS, now=NOW):
                if type(item) is dict:
                    rows += 1
                elif type(item) is Rejected:
                    rejected += 1
                else:
                    bad += type(item) is BadLine
        return rows, rejected, bad

    return run


def rows_and_links(way: Callable) -> Callable[[Path, TickerIndex], tuple[int, ...]]:
    def run(path: Path, index: TickerIndex) -> tuple[int, ...]:
        rows = rejected = bad = mentions = 0
        with dump_open(path) as stream:
            for item in way(DumpReader(stream), kind=COMMENTS, now=NOW):
                if type(item) is dict:
                    rows += 1
                    mentions += len(item_mentions(item, index))
                elif type(item) is Rejected:
                    rejected += 1
                else:
                    bad += type(item) is BadLine
        return rows, rejected, bad, mentions

    return run


def best(measures: dict[str, Callable], path: Path, index: TickerIndex, runs: int) -> dict[str, tuple]:
    """{name: (best CPU seconds, counts)}: the measures take turns, so a busy spell on the
    machine (other work shares it) falls on all of them alike."""
    out: dict[str, tuple] = {}
    for _ in range(runs):
        for name, fn in measures.items():
            started = time.process_time()
            counts = fn(path, index)
            cpu = time.process_time() - started
            out[name] = (min(cpu, out.get(name, (cpu,))[0]), counts)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the file (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes of each measure, best kept (default 3)")
    args = parser.parse_args()
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    path = dump_file(ROOT / "var" / "bench_dumps", args.lines)  # bench_dump_import's file, made once
    index = ticker_index()
    print(
        f"Python {platform.python_version()}, pinned to CPU {cpu}, {len(index.tickers)} tickers, "
        f"{path.name}: {path.stat().st_size:,} bytes, best of {args.runs}, load average {os.getloadavg()[0]:.2f}"
    )
    measures: dict[str, Callable] = {"decode": decode}
    for name, way in WAYS.items():
        measures |= {f"{name} rows": rows_only(way), f"{name} full": rows_and_links(way)}
    timed = best(measures, path, index, args.runs)
    decoded, (lines,) = timed["decode"]
    results = {}
    for name in WAYS:
        (rows_cpu, counts), (full_cpu, full_counts) = timed[f"{name} rows"], timed[f"{name} full"]
        assert full_counts[:3] == counts, (name, counts, full_counts)
        results[name] = (rows_cpu, full_cpu, full_counts)
    assert results["reference"][2] == results["dump_rows"][2], results
    rows, rejected, bad, mentions = results["dump_rows"][2]
    print(
        f"\n{lines:,} records: {rows:,} rows, {rejected:,} rejected, {bad:,} bad lines, "
        f"{mentions:,} mentions (both ways agree)\n"
    )
    print(
        "| way | decode | rows | link | parse + link us | parse + link per CPU-second "
        "| CPU us per comment | comments per CPU-second |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    per = 1e6 / lines
    for name, (rows_cpu, full_cpu, _) in results.items():
        parse_link = decoded + full_cpu - rows_cpu
        cells = [decoded * per, (rows_cpu - decoded) * per, (full_cpu - rows_cpu) * per, parse_link * per]
        print(
            f"| {name} | "
            + " | ".join(f"{cell:.2f}" for cell in cells)
            + f" | {lines / parse_link:,.0f} | {full_cpu * per:.2f} | {lines / full_cpu:,.0f} |"
        )


if __name__ == "__main__":
    main()
