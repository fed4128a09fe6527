"""detect_surges end to end on a database (issue 29): a year's replay, and the hour-by-hour way beside it.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE mp_bench_surges'   # once; the benchmark empties it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_surges \\
        .venv/bin/python benchmarks/bench_surges_replay.py [--tickers 2000] [--weeks 52] [--seed 7]

Fills TickerHourly with bench_surges' generated history (--tickers, --weeks judged plus 5 of
baseline; zero hours left out as the rollups do; PostgreSQL COPY), then times, in one run:
  replay   `surges_detect(since, until)` over the --weeks: loading the rollups, detection, the writes;
  hourly   the naive way to build the same log: the live job once per hour (each run loads its
           37 days again), over --hourly-hours hours, extrapolated to the same span.
Both come from `articles.surges.services`, the code `manage.py detect_surges` runs.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")  # as the jobs run: no query log
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-surges-" + os.urandom(24).hex())
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from bench_surges import START, history  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from articles.models import Surge, Ticker, TickerHourly  # noqa: E402
from articles.surges.services import SETTLE, surges_detect  # noqa: E402

HOUR = timedelta(hours=1)


def fill(tickers: int, weeks: int, seed: int) -> int:
    """The generated history into an emptied database; returns the rollup rows written."""
    call_command("migrate", verbosity=0)
    Surge.objects.all().delete()
    TickerHourly.objects.all().delete()
    Ticker.objects.all().delete()
    Ticker.objects.bulk_create([Ticker(symbol=f"T{i:04d}", name=f"Ticker {i}") for i in range(tickers)])
    ids = list(Ticker.objects.order_by("symbol").values_list("pk", flat=True))
    data = history(tickers=tickers, weeks=weeks + 5, surges=tickers // 5, spam=tickers // 5, seed=seed)
    s = data["series"]
    rows = 0
    cols = ["ticker_id", "hour", "mentions", "posts", "comments", "unique_authors", "upvotes", "scored"]
    cols += ["positive", "negative", "neutral", "sentiment_sum", "updated_at"]
    with connection.cursor() as cursor:
        for r, pk in enumerate(ids):
            nz = np.flatnonzero(s.mentions[r])
            buf = io.StringIO()
            for c in nz:
                m, a = int(s.mentions[r, c]), int(s.authors[r, c])
                bull, bear = int(s.bullish[r, c]), int(s.bearish[r, c])
                hour = (START + int(c) * HOUR).isoformat()
                buf.write(f"{pk}\t{hour}\t{m}\t0\t{m}\t{a}\t0\t{m}\t{bull}\t{bear}\t{m - bull - bear}\t0\t{hour}\n")
            buf.seek(0)
            with cursor.cursor.copy(f"COPY articles_tickerhourly ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write(buf.read())
            rows += len(nz)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_tickerhourly")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hourly-hours", type=int, default=24)
    ap.add_argument("--no-fill", action="store_true", help="reuse the history a previous run filled (same sizes)")
    args = ap.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_surges_replay needs PostgreSQL: set DATABASE_URL (see the docstring)")
    started = time.perf_counter()
    if not args.no_fill:
        rows = fill(args.tickers, args.weeks, args.seed)
        print(f"filled {rows:,} rollup rows for {args.tickers} tickers in {time.perf_counter() - started:.0f} s")
    Surge.objects.all().delete()
    since = START + 5 * 7 * 24 * HOUR
    until = START + (5 + args.weeks) * 7 * 24 * HOUR - HOUR
    now = until + 2 * HOUR
    cpu, wall = time.process_time(), time.perf_counter()
    out = surges_detect(since=since, until=until, now=now)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hours = args.weeks * 7 * 24
    print(
        f"replay: {args.weeks} weeks x {args.tickers} tickers ({hours * args.tickers:,} ticker-hours) in {wall:.1f} s "
        f"wall, {cpu:.1f} s CPU in this process, peak RSS {peak:.0f} MB; {out.opened} events"
    )
    wall_h, cpu_h = time.perf_counter(), time.process_time()
    for k in range(args.hourly_hours):
        surges_detect(now=since + (k + 1) * HOUR + SETTLE + timedelta(minutes=1))
    wall_h, cpu_h = time.perf_counter() - wall_h, time.process_time() - cpu_h
    per_run = wall_h / args.hourly_hours
    print(
        f"hourly: {args.hourly_hours} live runs in {wall_h:.1f} s ({per_run:.2f} s wall, "
        f"{cpu_h / args.hourly_hours:.2f} s CPU a run): the same {args.weeks} weeks "
        f"would take {per_run * hours / 3600:.1f} h, {per_run * hours / wall:.0f}x the replay"
    )


if __name__ == "__main__":
    main()
