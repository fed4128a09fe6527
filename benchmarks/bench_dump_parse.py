"""Dump import, parse + link on ONE core: comments per CPU-second and peak memory (issue 14).

    .venv/bin/python benchmarks/bench_dump_parse.py [--lines 100000] [--big 1000000] [--runs 3]

Files: RC-style comment dumps from `benchmarks/gen_dump.py` (seed 14, zstd with the
2 GiB window), made once under var/bench_dumps/ and reused.

Throughput (time.process_time, the process pinned to one CPU with sched_setaffinity), on
the --lines file, side by side in the same run:
* streaming: `ingest.dumps.reader` (dump_open -> DumpReader.records -> item_validate -> article_text) and
  `ingest.linker.link` for each comment: decompress + split + json + link;
* naive: the whole file read into memory, decompressed whole
  (`stream_reader(...).readall()`), split, `json.loads` per line, `link` per item with
  no shortcut (removed items too).
Tickers: a TickerSet built from articles/data/tickers.csv (no database).

Peak RSS (ru_maxrss of a fresh subprocess per case) at --lines and --big, for both ways,
on the zstd file and on the same lines as plain NDJSON.
Prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")  # no secret key needed: nothing here touches the database
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")
import django  # noqa: E402

django.setup()

from articles.models import article_text  # noqa: E402
from ingest.dumps.reader import JSON_LIBRARY, DumpReader, dump_open  # noqa: E402
from ingest.dumps.records import BadLine, records_filter  # noqa: E402
from ingest.linker import TickerSet, link  # noqa: E402
from ingest.validation import Accepted, item_validate  # noqa: E402


def record_text(record: dict, *, kind: str) -> str:
    """The text the linker reads: the row `item_validate` builds (the one builder), '' when removed."""
    result = item_validate(record, kind="comment" if kind == "comments" else "post")
    if type(result) is not Accepted or result.row["is_removed"]:
        return ""
    row = result.row
    return article_text(kind=row["kind"], title=row["title"], body=row["body"])


SEED = 14


def tickers_load() -> TickerSet:
    with open(ROOT / "articles" / "data" / "tickers.csv", newline="") as fh:
        return TickerSet(row["symbol"] for row in csv.DictReader(fh) if row.get("symbol"))


def dump_file(directory: Path, lines: int, *, plain: bool = False) -> Path:
    path = directory / f"RC_seed{SEED}_{lines}.{'ndjson' if plain else 'zst'}"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        # In a subprocess: the compressor's window would raise this process's peak RSS, which
        # the measuring children inherit through fork (Linux keeps ru_maxrss across exec).
        command = [sys.executable, str(ROOT / "benchmarks" / "gen_dump.py"), str(tmp), f"--lines={lines}"]
        subprocess.run([*command, f"--seed={SEED}", *(["--plain"] if plain else [])], check=True)
        tmp.rename(path)
        print(
            f"generated {path} ({path.stat().st_size:,} bytes) in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    return path


def streaming(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    """(comments, bad lines, mentions): the way import_dump reads a dump."""
    comments = bad = mentions = 0
    with dump_open(path) as stream:
        for entry in DumpReader(stream).records():
            if type(entry) is BadLine:
                bad += 1
                continue
            comments += 1
            text = record_text(entry[1], kind="comments")
            if text:
                mentions += len(link(text, tickers))
    return comments, bad, mentions


def stage_lines(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    """Decompress and split only."""
    with dump_open(path) as stream:
        return sum(1 for _ in DumpReader(stream).lines()), 0, 0


def stage_records(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    """Decompress, split and parse, no linking."""
    with dump_open(path) as stream:
        return sum(1 for _ in DumpReader(stream).records()), 0, 0


def stage_resume(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    """Resume a zstd dump at its last line: re-decompress and skip every line before it."""
    with dump_open(path) as stream:
        lines = sum(1 for _ in DumpReader(stream).lines())
    with dump_open(path) as stream:
        assert [line.line_no for line in DumpReader(stream, start_line=lines - 1).lines()] == [lines]
    return lines, 0, 0


def stage_prefilter(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    """Records of r/stocks only (8 % of the lines), the others skipped before parsing, then linked."""
    mentions = kept = 0
    with dump_open(path) as stream:
        for entry in records_filter(DumpReader(stream, subreddits=["stocks"]).records(), subreddits=["stocks"]):
            kept += 1
            mentions += len(link(record_text(entry[1], kind="comments"), tickers))
    return kept, 0, mentions


def naive(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    import zstandard

    comments = bad = mentions = 0
    data = path.read_bytes()
    if data[:4] == b"\x28\xb5\x2f\xfd":
        data = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(io.BytesIO(data)).readall()
    for line in data.decode().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        comments += 1
        mentions += len(link(record.get("body") or "", tickers))
    return comments, bad, mentions


def nothing(path: Path, tickers: TickerSet) -> tuple[int, int, int]:
    return 0, 0, 0


WAYS = {"streaming": streaming, "naive": naive}
CHILD_WAYS = {**WAYS, "baseline": nothing}


def pin_one_core() -> int:
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def child(way: str, path: Path) -> None:
    """One pass in a fresh process: print its figures and peak RSS as JSON."""
    pin_one_core()
    tickers = tickers_load()
    started = time.process_time()
    comments, bad, mentions = CHILD_WAYS[way](path, tickers)
    cpu = time.process_time() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(json.dumps({"comments": comments, "bad": bad, "mentions": mentions, "cpu": cpu, "rss": rss}))


def run_child(way: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", way, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the throughput file (default 100000)")
    parser.add_argument("--big", type=int, default=1_000_000, help="lines of the big file for RSS (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each way (default 3)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench_dumps", help="where the dumps are kept")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak RSS table")
    parser.add_argument("--child", nargs=2, metavar=("WAY", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    cpu = pin_one_core()
    sizes = [args.lines] + ([args.big] if args.big else [])
    files = {(lines, plain): dump_file(args.dir, lines, plain=plain) for plain in (False, True) for lines in sizes}
    small = files[(args.lines, False)]
    tickers = tickers_load()
    print(
        f"Python {platform.python_version()}, JSON parser: {JSON_LIBRARY}, pinned to CPU {cpu}, "
        f"{len(tickers)} tickers, file {small.name}: {small.stat().st_size:,} bytes compressed"
    )

    # Peak RSS first, while this process is still small (children inherit its peak).
    baseline = 0 if args.no_rss else run_child("baseline", small)["rss"] / 2**20
    if not args.no_rss:
        print(f"\nPeak RSS, a fresh process per cell (imports + ticker set alone: {baseline:,.0f} MiB):\n")
        print("| file | lines | streaming: peak RSS | naive: peak RSS |")
        print("| --- | ---: | ---: | ---: |")
    rss_cells = [] if args.no_rss else sorted(files.items(), key=lambda item: (item[0][1], item[0][0]))
    for (lines, plain), path in rss_cells:
        row = {way: run_child(way, path) for way in WAYS}
        assert row["streaming"]["comments"] == row["naive"]["comments"] == lines, row
        mib = {way: f"{row[way]['rss'] / 2**20:,.0f} MiB" for way in WAYS}
        kind = "NDJSON" if plain else "zstd (2 GiB window)"
        print(f"| {kind} | {lines:,} | {mib['streaming']} | {mib['naive']} |", flush=True)

    times: dict[str, list[float]] = {way: [] for way in WAYS}
    counts: dict[str, tuple[int, int, int]] = {}
    for _ in range(args.runs):
        for way, fn in WAYS.items():
            started = time.process_time()
            counts[way] = fn(small, tickers)
            times[way].append(time.process_time() - started)
    assert counts["streaming"] == counts["naive"], counts
    comments, bad, mentions = counts["streaming"]
    stages = {"decompress + split": stage_lines, "decompress + split + json": stage_records}
    for label, fn in stages.items():
        times[label] = []
        for _ in range(args.runs):
            started = time.process_time()
            fn(small, tickers)
            times[label].append(time.process_time() - started)
    print(f"\nThroughput on {small.name}: {comments:,} comments, {bad} bad lines, {mentions:,} mentions (both agree)\n")
    print("| way | CPU s per run | comments / CPU-second (median) | CPU us per comment |")
    print("| --- | ---: | ---: | ---: |")
    for way, runs in times.items():
        median = statistics.median(runs)
        label = f"{way}: decompress + split + json + link" if way in WAYS else f"streaming, stage: {way}"
        per_run = " / ".join(f"{t:.2f}" for t in runs)
        print(f"| {label} | {per_run} | {comments / median:,.0f} | {median / comments * 1e6:.1f} |")

    print("\n| extra (same file) | CPU s | lines / CPU-second |")
    print("| --- | ---: | ---: |")
    for label, fn in {
        "resume at the last line: count, then re-decompress and skip": stage_resume,
        "subreddit pre-filter (r/stocks) + exact filter + link": stage_prefilter,
    }.items():
        started = time.process_time()
        kept, _, _ = fn(small, tickers)
        cpu = time.process_time() - started
        lines = comments * (2 if fn is stage_resume else 1)
        print(f"| {label} ({kept:,} kept) | {cpu:.2f} | {lines / cpu:,.0f} |")


if __name__ == "__main__":
    main()
