"""Benchmark: stance cue scoring throughput on ONE core, ours vs the naive way, in one run.

    .venv/bin/python benchmarks/bench_cues.py [--n 20000] [--naive-n 1000] [--cpu 0] [--json-out FILE]

The process is pinned to one CPU (`os.sched_setaffinity`). Two text sets:

  * reddit: --n generated r/wallstreetbets-like comments (`sentiment.samples`, fixed
    seed, log-normal lengths: median 14 words, mean ~23, long tail), cue-dense (the
    generator sprinkles sentiment words);
  * stocktwits: the 424 hand-written messages of `sentiment/data/stance_eval.csv`
    (short, one or two cues each), repeated to --n.

Ours: `sentiment.stance.cues.cue_score` (a digit-gated pass for option/percent regexes, then one
scan whose pattern starts with a character set, so `re` tries the phrase and negator tries
only after non-word characters; emoji only in non-ASCII text; negation and question
handling). The texts are distinct and nothing is cached: every call does the full work.
Naive: `cue_score_naive`, every cue's own regex scanned separately (no overlap
resolution, negation or questions: the floor of the naive cost), on the first
--naive-n texts. Both report texts/s by wall clock and by process CPU time (on a
shared machine the CPU-time figure is the one that does not count other tenants'
time slices); the load average is printed with them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.samples import generate_comments  # noqa: E402
from sentiment.stance.cues import cue_score, cue_score_naive, load_lexicon  # noqa: E402

EVAL_CSV = ROOT / "sentiment" / "data" / "stance_eval.csv"


def rate(fn, texts: list[str]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"texts_per_s_wall": round(len(texts) / wall), "texts_per_s_cpu": round(len(texts) / cpu)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--naive-n", type=int, default=1_000)
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    start = time.perf_counter()
    lexicon = load_lexicon()
    compile_ms = (time.perf_counter() - start) * 1000
    eval_texts = [row["text"] for row in csv.DictReader(EVAL_CSV.open(encoding="utf-8"))]
    sets = {
        "reddit": generate_comments(args.n, seed=7),
        "stocktwits": (eval_texts * (args.n // len(eval_texts) + 1))[: args.n],
    }
    result: dict[str, object] = {
        "cpu": args.cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "lexicon": {"phrases": len(lexicon.phrases), "emoji": len(lexicon.emoji), "cues_naive": len(lexicon.cues)},
        "load_and_compile_ms": round(compile_ms, 1),
    }
    for name, texts in sets.items():
        cue_score(texts[0])  # warm
        ours = rate(cue_score, texts)
        naive = rate(cue_score_naive, texts[: args.naive_n])
        result[name] = {
            "n": len(texts),
            "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
            "hits_per_text": round(sum(len(cue_score(t).hits) for t in texts[:2000]) / min(2000, len(texts)), 2),
            "ours": ours,
            "naive": naive,
            "speedup_cpu": round(ours["texts_per_s_cpu"] / naive["texts_per_s_cpu"], 1),
        }
    print(json.dumps(result, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
