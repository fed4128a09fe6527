"""Benchmark: `sentiment.stance.linear.train_linear` on 10,000 messages: wall time and peak RSS.

    .venv/bin/python benchmarks/bench_train.py [--n 10000] [--seed 0] [--json-out FILE]

The 10,000 messages are the demo training set (`sentiment/data/stance_demo_train.csv`,
~300 hand-written rows) augmented deterministically: the ticker swapped for another,
and half of them padded with a generated r/wallstreetbets-like comment
(`sentiment.samples`, log-normal lengths) before or after, so lengths and vocabulary
look like a real import rather than 33 copies of the same rows. The label is kept
(the padding is filler; this measures cost, not accuracy).

Each run trains in a fresh child process so its peak RSS (`resource.getrusage`,
ru_maxrss of the child) is the training's own: Python + numpy + scipy + scikit-learn +
the data + the model. Reported: training seconds by wall clock and by process CPU
time (on a shared machine the wall clock includes other tenants' slices; the load
average is printed), peak RSS, the vocabulary sizes.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.samples import TICKERS, generate_comment  # noqa: E402

TRAIN_CSV = ROOT / "sentiment" / "data" / "stance_demo_train.csv"


def augmented(n: int, seed: int) -> tuple[list[str], list[str]]:
    import re

    rows = list(csv.DictReader(TRAIN_CSV.open(encoding="utf-8")))
    rng = random.Random(seed)
    ticker = re.compile(r"\$[A-Z]{1,5}")
    texts, labels = [], []
    for i in range(n):
        row = rows[i % len(rows)]
        text = ticker.sub(lambda _m: "$" + rng.choice(TICKERS), row["text"])
        roll = rng.random()
        if roll < 0.25:
            text = f"{generate_comment(rng)} {text}"
        elif roll < 0.5:
            text = f"{text} {generate_comment(rng)}"
        texts.append(text)
        labels.append(row["label"])
    return texts, labels


def _child(n: int, seed: int, queue) -> None:
    from sentiment.stance.linear import train_linear

    texts, labels = augmented(n, seed)
    chars = sum(len(t) for t in texts)
    start, cpu = time.perf_counter(), time.process_time()
    model = train_linear(texts, labels, seed=seed)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    queue.put(
        {
            "n": n,
            "mean_chars": round(chars / n, 1),
            "train_seconds_wall": round(seconds, 2),
            "train_seconds_cpu": round(cpu, 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "word_features": len(model.word.vocabulary_),
            "char_features": len(model.char.vocabulary_),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(args.n, args.seed, queue))
    proc.start()
    result = queue.get()
    proc.join()
    print(json.dumps(result, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
