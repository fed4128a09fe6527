"""VADER on long text (issue 13): the bounded prefix vs the whole text, side by side, one core.

    .venv/bin/python benchmarks/bench_vader_long.py [--sizes 2000,21000,42000,100000] [--naive-max 100000] [--seed 13]

Each text is a WSB-style comment of the given size (generated sentences with tickers,
emoji and opinion words, fixed seed), cleaned as analyze_sentiment cleans it
(`sentiment.text.scoring_text`). "bounded" is what the job runs now:
`VaderAnalyzer.score_one`, which reads `vader_text(text)` (the first
`VADER_MAX_CHARS` characters, cut at a word). "naive" is VADER's
`polarity_scores` on the whole text, as before; it is quadratic, so it is skipped
above --naive-max characters. Prints a Markdown table for BENCHMARKS.md, and the
compound score of each, to show what the bound changes.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.analyzers import VADER_MAX_CHARS, VaderAnalyzer, vader_text  # noqa: E402
from sentiment.text import scoring_text  # noqa: E402

SENTENCES = [
    "TSLA calls printing, this is great 🚀🚀",
    "I hate this market, everything is terrible and my puts expired worthless.",
    "GME to the moon, diamond hands, not selling.",
    "Honestly no idea what NVDA does next, could go either way.",
    "Lost everything on AMD earnings, what a disaster lol",
    "Bought more SPY at the open, feeling good about it.",
    "This DD is actually solid, thanks for sharing!",
    "Worst trade of my life, never again.",
]


def comment(size: int, seed: int) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < size:
        sentence = rng.choice(SENTENCES)
        parts.append(sentence)
        length += len(sentence) + 1
    return " ".join(parts)[:size]


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,21000,42000,100000", help="comment sizes in characters")
    parser.add_argument("--naive-max", type=int, default=100_000, help="skip the whole-text run above this size")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the job's VADER
    except (AttributeError, OSError):
        pass
    vader = VaderAnalyzer()
    sia = vader._sia
    vader.score_one("warm up")
    print(f"VADER_MAX_CHARS={VADER_MAX_CHARS}; Python {platform.python_version()}, {platform.machine()}")
    print()
    print("| comment | cleaned | bounded (the job) | naive (whole text) | compound bounded / naive |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        raw = comment(size, args.seed)
        clean_s, text = timed(lambda raw=raw: scoring_text(kind="comment", title="", body=raw))
        bounded_s, bounded = timed(vader.score_one, text)
        if len(text) <= args.naive_max:
            naive_s, naive = timed(sia.polarity_scores, text)
            naive_cell, naive_compound = f"{naive_s:.3f} s", f"{naive['compound']:+.3f}"
        else:
            naive_cell, naive_compound = "skipped", "-"
        print(
            f"| {size / 1000:.0f} KB | {clean_s * 1000:.1f} ms | {bounded_s + clean_s:.3f} s "
            f"({len(vader_text(text))} chars) | {naive_cell} | {bounded[1]:+.3f} / {naive_compound} |"
        )


if __name__ == "__main__":
    main()
