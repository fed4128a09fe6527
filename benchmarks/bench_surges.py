"""Surge detection (issue 29): the detector against the naive 24h-vs-7-day ratio, on one history.

    .venv/bin/python benchmarks/bench_surges.py [--tickers 300] [--weeks 12] [--surges 60] [--seed 7]
        [--speed-tickers 2000] [--speed-weeks 52] [--open-score 6]

The history is generated (seeded): tickers from 0.3 to 60 mentions an hour (log-uniform), a US
market-hours daily cycle on New York time, quiet weekends, a day-to-day factor (gamma, --day-cv 0.2),
1.3 mentions per author; surges of 3-8x for 2-6 hours injected after the first 4 weeks (a third
of them slow build-ups from 1.5x), and single accounts posting 20-60 comments on one ticker
within an hour or two. The oracle knows each hour's true expected authors: a surge is
detectable when a Poisson test of its distinct authors on that truth gives p < 1e-5 within its
first 3 hours. Printed side by side: recall (over the detectable surges and over all of them),
false events per ticker-week, single-author bursts flagged, detection delay (hours from onset
to the end of the first flagged hour, over the detectable surges caught), for the detector (`articles.surges.detection.detect`,
the code the job runs) and the naive ratio; then the replay speed over --speed-weeks of
hourly rollups for --speed-tickers tickers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.stats import poisson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articles.surges.detection import MARKET_TZ, Params, Series, detect

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
WARM_WEEKS = 4


def profile(start: datetime, hours: int) -> np.ndarray:
    """The daily cycle on New York time, weekday market hours busiest, weekends quiet; mean 1."""
    shape = np.empty(hours)
    for i in range(hours):
        local = (start + timedelta(hours=i)).astimezone(MARKET_TZ)
        h, weekend = local.hour, local.weekday() >= 5
        if weekend:
            shape[i] = 0.35 if 9 <= h < 22 else 0.1
        elif 9 <= h < 16:
            shape[i] = 1.6 if h in (9, 10, 15) else 1.3
        elif 6 <= h < 9 or 16 <= h < 20:
            shape[i] = 0.6
        elif 20 <= h < 24:
            shape[i] = 0.35
        else:
            shape[i] = 0.1
    return shape / shape.mean()


def history(*, tickers: int, weeks: int, surges: int, spam: int, seed: int, day_cv: float = 0.2) -> dict:
    """Counts per ticker-hour, the true expected authors, the injected surges and spam bursts."""
    rng = np.random.default_rng(seed)
    hours = weeks * 7 * 24
    base = np.exp(rng.uniform(math.log(0.3), math.log(60.0), tickers))
    shape = profile(START, hours)
    shape_k = 1 / day_cv**2 if day_cv > 0 else None
    day = (rng.gamma(shape_k, 1 / shape_k, (tickers, weeks * 7)) if shape_k else np.ones((tickers, weeks * 7))).repeat(
        24, axis=1
    )
    truth = base[:, None] * shape[None, :] * day  # expected authors per hour without any event
    lift = np.ones((tickers, hours))
    events = []
    lo = WARM_WEEKS * 7 * 24
    for _ in range(surges):
        row = int(rng.integers(tickers))
        onset = int(rng.integers(lo, hours - 8))
        length = int(rng.integers(2, 7))
        peak = float(rng.uniform(3.0, 8.0))
        slow = bool(rng.random() < 1 / 3)
        ramp = np.linspace(1.5, peak, length) if slow else np.full(length, peak)
        lift[row, onset : onset + length] = np.maximum(lift[row, onset : onset + length], ramp)
        events.append({"row": row, "onset": onset, "length": length, "peak": peak, "slow": slow})
    authors = rng.poisson(truth * lift).astype(np.float64)
    mentions = authors + rng.poisson(0.3 * authors)
    bursts = []
    for _ in range(spam):
        row = int(rng.integers(tickers))
        at = int(rng.integers(lo, hours - 3))
        posts = int(rng.integers(20, 61))
        span = int(rng.integers(1, 3))
        for k in range(span):
            mentions[row, at + k] += posts // span
            authors[row, at + k] += 1  # one account: one more distinct author in each hour
        bursts.append({"row": row, "at": at, "span": span})
    bullish = rng.binomial(mentions.astype(np.int64), 0.45).astype(np.float64)
    bearish = rng.binomial((mentions - bullish).astype(np.int64), 0.5).astype(np.float64)
    series = Series(START, authors, mentions, bullish, bearish, mentions - bullish - bearish)
    return {"series": series, "truth": truth, "surges": events, "bursts": bursts, "judge_from": lo}


def detectable(surge: dict, authors: np.ndarray, truth: np.ndarray) -> bool:
    """The oracle: on the true baseline, Poisson p < 1e-5 for some 1-3 hours from the onset."""
    row, onset = surge["row"], surge["onset"]
    for k in (1, 2, 3):
        for first in range(onset, onset + k):
            span = slice(first, onset + k)
            if poisson.sf(authors[row, span].sum() - 1, truth[row, span].sum()) < 1e-5:
                return True
    return False


def naive_events(series: Series, judge_from: int, threshold: float = 1.0) -> list[tuple[int, int, int]]:
    """AlexStocks' velocity each hour: (last 24 h - 7-day daily average) / (average + 1) on mentions."""
    cum = np.concatenate([np.zeros((series.mentions.shape[0], 1)), np.cumsum(series.mentions, axis=1)], axis=1)
    out = []
    for row in range(series.mentions.shape[0]):
        c = cum[row]
        i = np.arange(judge_from, series.hours)
        last24 = c[i + 1] - c[i + 1 - 24]
        avg = (c[i + 1 - 24] - c[i + 1 - 24 - 7 * 24]) / 7.0
        hot = (last24 - avg) / (avg + 1.0) >= threshold
        start = None
        for k, flag in zip(i, hot, strict=True):
            if flag and start is None:
                start = int(k)
            elif not flag and start is not None:
                out.append((row, start, int(k)))
                start = None
        if start is not None:
            out.append((row, start, series.hours))
    return out


def score(events: list[tuple[int, int, int]], data: dict, *, weeks_judged: float, tickers: int) -> dict:
    """Match events (row, start, end) to injected surges: recall, delay, false events, bursts flagged."""
    surges, bursts = data["surges"], data["bursts"]
    matched: dict[int, int] = {}
    false = flagged_bursts = 0
    for row, start, _end in events:
        hit = [
            k
            for k, s in enumerate(surges)
            if s["row"] == row and s["onset"] - 1 <= start < s["onset"] + s["length"] + 2
        ]
        if hit:
            for k in hit:
                matched[k] = min(matched.get(k, start), start)
            continue
        false += 1
        if any(b["row"] == row and b["at"] <= start < b["at"] + b["span"] + 1 for b in bursts):
            flagged_bursts += 1
    authors, truth = data["series"].authors, data["truth"]
    reach = [k for k, s in enumerate(surges) if detectable(s, authors, truth)]
    delays = [matched[k] - surges[k]["onset"] + 1 for k in matched if k in reach]
    slow = [k for k, s in enumerate(surges) if s["slow"] and k in reach]
    return {
        "surges": len(surges),
        "detectable": len(reach),
        "recall_detectable": round(sum(k in matched for k in reach) / max(len(reach), 1), 3),
        "recall_all": round(len(matched) / max(len(surges), 1), 3),
        "slow_detectable_caught": f"{sum(k in matched for k in slow)}/{len(slow)}",
        "false_events": false,
        "false_per_ticker_week": round(false / (tickers * weeks_judged), 4),
        "single_author_bursts_flagged": flagged_bursts,
        "delay_hours_median": float(np.median(delays)) if delays else None,
        "delay_hours_max": max(delays) if delays else None,
        "detectable_caught_within_2h": f"{sum(d <= 2 for d in delays)}/{len(reach)}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=300)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--surges", type=int, default=60)
    ap.add_argument("--spam", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--day-cv", type=float, default=0.2, help="day-to-day variation of each ticker's level")
    ap.add_argument("--seeds", type=int, default=3, help="histories (seed, seed+1, ...) to average over")
    ap.add_argument("--open-score", type=float, default=Params().open_score)
    ap.add_argument("--windows", default=",".join(map(str, Params().windows)), help="e.g. 1,3,6")
    ap.add_argument("--speed-tickers", type=int, default=2000)
    ap.add_argument("--speed-weeks", type=int, default=52)
    args = ap.parse_args()
    params = Params(open_score=args.open_score, windows=tuple(int(w) for w in args.windows.split(",")))

    totals: dict[str, dict[str, float]] = {}
    for seed in range(args.seed, args.seed + args.seeds):
        data = history(
            tickers=args.tickers, weeks=args.weeks, surges=args.surges, spam=args.spam, seed=seed, day_cv=args.day_cv
        )
        series, lo = data["series"], data["judge_from"]
        weeks_judged = (series.hours - lo) / (7 * 24)
        judged = detect(series, judge_from=lo, judge_to=series.hours, params=params)
        ours = [(e.row, e.start, e.end or series.hours) for e in judged.events]
        naive = naive_events(series, lo)
        print(f"seed {seed}: {args.tickers} tickers, {weeks_judged:.0f} weeks judged after {WARM_WEEKS} of warm-up")
        for name, events in (("detector", ours), ("naive 24h/7d ratio", naive)):
            figures = score(events, data, weeks_judged=weeks_judged, tickers=args.tickers)
            print(f"  {name:20} {json.dumps(figures)}")
            t = totals.setdefault(name, {"surges": 0, "detectable": 0, "caught": 0, "all": 0, "false": 0, "tw": 0})
            t["surges"] += figures["surges"]
            t["detectable"] += figures["detectable"]
            t["caught"] += round(figures["recall_detectable"] * figures["detectable"])
            t["all"] += round(figures["recall_all"] * figures["surges"])
            t["false"] += figures["false_events"]
            t["tw"] += args.tickers * weeks_judged
    print(f"over {args.seeds} histories (day-to-day CV {args.day_cv}, open score {params.open_score}):")
    for name, t in totals.items():
        print(
            f"  {name:20} recall {t['caught']}/{t['detectable']} detectable = {t['caught'] / max(t['detectable'], 1):.3f}, "
            f"{t['all']}/{t['surges']} of all = {t['all'] / max(t['surges'], 1):.3f}; "
            f"false events {t['false']} = {t['false'] / t['tw']:.4f} per ticker-week"
        )

    data = history(tickers=args.speed_tickers, weeks=args.speed_weeks + 5, surges=0, spam=0, seed=args.seed)
    series = data["series"]
    started = time.perf_counter()
    cpu = time.process_time()
    chunk = 250
    events = 0
    for lo_row in range(0, args.speed_tickers, chunk):
        part = Series(
            series.start,
            *(
                getattr(series, n)[lo_row : lo_row + chunk]
                for n in ("authors", "mentions", "bullish", "bearish", "neutral")
            ),
        )
        events += len(detect(part, judge_from=5 * 7 * 24, judge_to=part.hours, params=params).events)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    cells = args.speed_tickers * args.speed_weeks * 7 * 24
    print(
        f"replay speed: {args.speed_tickers} tickers x {args.speed_weeks} weeks judged ({cells:,} ticker-hours, "
        f"plus 5 weeks of baseline): {wall:.1f} s wall, {cpu:.1f} s CPU, {cells / wall:,.0f} ticker-hours/s "
        f"(detection on arrays; {events} events; {os.cpu_count()} cores, chunks of {chunk} tickers)"
    )


if __name__ == "__main__":
    main()
