"""Ticker linker throughput on 100,000 generated WSB-style comments (fixed seed), one core.

    .venv/bin/python benchmarks/bench_linker.py [--comments 100000] [--seed 42]

Tickers: the bundled list (articles/data/tickers.csv), as `load_tickers` loads it.
Side by side, in the same run: the naive way (one `\\bSYMBOL\\b` regex search per
ticker per comment, no stop list, no stripping), timed on the first --naive comments
(it is ~hundreds of times slower, so the full 100k would take minutes).
Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.fakereddit.datagen import EMOJI, HOSTILE, Generator  # noqa: E402
from ingest.linker import TickerSet, link  # noqa: E402

FILLER = (
    "honestly the market makes no sense anymore but here we are again buying the dip like always and "
    "my portfolio is down bad this week but I am not selling anything until earnings season is over"
).split()


def comments(n: int, seed: int, symbols: list[str]) -> list[str]:
    gen = Generator(seed=seed)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts = [gen.text()]
        for _ in range(rng.choice([0, 0, 1, 1, 2, 4])):  # short quips and the odd rant
            start = rng.randrange(len(FILLER) - 12)
            parts.append(" ".join(FILLER[start : start + rng.randrange(4, 12)]))
        if rng.random() < 0.25:
            parts.append(f"{rng.choice(symbols)} {rng.choice(['calls', 'puts', 'shares'])} {rng.choice(EMOJI)}")
        if rng.random() < 0.05:
            parts.append(HOSTILE[i % len(HOSTILE)])
        rng.shuffle(parts)
        out.append(" ".join(parts) if rng.random() < 0.7 else "\n\n".join(parts))
    return out


def naive(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    return [symbol for symbol, pattern in patterns if pattern.search(text)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000, help="comments to generate (default 100000)")
    parser.add_argument("--naive", type=int, default=2_000, help="comments the naive way is timed on (default 2000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args()
    with open(ROOT / "articles" / "data" / "tickers.csv", newline="") as fh:
        symbols = [row["symbol"].strip().upper() for row in csv.DictReader(fh) if row.get("symbol")]
    tickers = TickerSet(symbols)
    texts = comments(args.comments, args.seed, symbols)
    chars = sum(len(t) for t in texts)

    started, cpu_started = time.perf_counter(), time.process_time()
    found = sum(len(link(t, tickers)) for t in texts)
    ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu_started

    patterns = [(s, re.compile(rf"\b\$?{re.escape(s)}\b")) for s in symbols]
    sample = texts[: args.naive]
    started, cpu_started = time.perf_counter(), time.process_time()
    naive_found = sum(len(naive(t, patterns)) for t in sample)
    slow, slow_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    ours_sample = sum(len(link(t, tickers)) for t in sample)

    rate, naive_rate = len(texts) / ours_cpu, len(sample) / slow_cpu
    print(
        f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, pid {os.getpid()}, 1 core"
    )
    print(
        f"{len(texts):,} comments ({chars / len(texts):.0f} chars on average), {len(tickers)} tickers, seed {args.seed}"
    )
    print()
    print(
        f"load average when done: {os.getloadavg()[0]:.1f} (wall time suffers when other processes share the core; CPU time does not)"
    )
    print()
    print("| way | comments | wall s | CPU s | comments per CPU-second | comments per wall-second | mentions found |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| `ingest.linker.link` | {len(texts):,} | {ours:.2f} | {ours_cpu:.2f} | {rate:,.0f} | {len(texts) / ours:,.0f} | {found:,} |"
    )
    print(
        f"| naive: one regex per ticker | {len(sample):,} | {slow:.2f} | {slow_cpu:.2f} | {naive_rate:,.0f} | {len(sample) / slow:,.0f} "
        f"| {naive_found:,} (ours on the same: {ours_sample:,}) |"
    )
    print()
    print(
        f"speed-up: {rate / naive_rate:,.0f}x; goal >= 20,000 comments/s on one core (CPU time): {'met' if rate >= 20_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
