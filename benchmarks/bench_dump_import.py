"""import_dump end to end into PostgreSQL, against the scraper's write path, and its memory (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_dump \\
        .venv/bin/python benchmarks/bench_dump_import.py [--lines 1000000] [--small 100000] [--compare 50000]

Files (made once under var/bench_dumps/, reused): RC-style comments from
`benchmarks/gen_dump.py`, seed 14, zstd level 3 with window_log 27 (what `zstd --long`
uses by default: a 128 MiB window). A window_log 31 copy of the same lines (what the real
files declare) is made by recompressing the stream, for the memory figure only.

Measures (the DATABASE_URL database is emptied of articles, mentions, rollups,
checkpoints and job runs first; tickers: articles/data/tickers.csv):
1. `manage.py import_dump FILE --all-subreddits` in a child process, for --small and
   --lines: wall time, the child's CPU time, the CPU time of its PostgreSQL backend
   (read from /proc while it runs: same host), peak RSS (wait4), the JobRun counters
   (merge_seconds, rollups_seconds).
2. Per row, on the same --compare accepted rows (validated and linked beforehand, so only
   the writes are timed), into empty tables: the import's merge (COPY + INSERT ... ON
   CONFLICT, batches of 5000, then one rollups refresh) against `articles_upsert`
   (the scraper's write path: batches of 500, rollups refreshed per batch).
3. Peak RSS of reading the window_log 31 file (the decoder's window), no database.
4. Parse + rows (dump_rows: validate) + link per CPU-second on one core (sched_setaffinity), in stages.
Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")

SEED = 14
TICKS = os.sysconf("SC_CLK_TCK")


def dump_file(directory: Path, lines: int, window_log: int = 27) -> Path:
    path = directory / f"RC_seed{SEED}_w{window_log}_{lines}.zst"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    if window_log == 27:
        command = [sys.executable, str(ROOT / "benchmarks" / "gen_dump.py"), str(tmp), f"--lines={lines}"]
        subprocess.run([*command, f"--seed={SEED}", "--window-log=27"], check=True)
    else:  # the same lines, recompressed as the real files are (window_log 31, long-distance matching)
        import zstandard

        source = dump_file(directory, lines, 27)
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log, enable_ldm=True)
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(src)
            writer = zstandard.ZstdCompressor(compression_params=params).stream_writer(dst, closefd=False)
            while chunk := reader.read(1 << 20):
                writer.write(chunk)
            writer.close()
    tmp.rename(path)
    return path


def _setup_django() -> None:
    import django

    django.setup()


def db_reset(*, tickers: bool = True) -> None:
    from django.db import connection

    from articles.models import Ticker

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE articles_article, articles_mention, articles_tickerhourly, ingest_dumpcheckpoint, "
            "marketpulse_jobrun CASCADE"
        )
    if tickers and not Ticker.objects.exists():
        with open(ROOT / "articles" / "data" / "tickers.csv", newline="") as fh:
            symbols = [row["symbol"] for row in csv.DictReader(fh) if row.get("symbol")]
        Ticker.objects.bulk_create([Ticker(symbol=s, name=s) for s in symbols], ignore_conflicts=True)


def _backend_cpu(dbname: str, stop: threading.Event, seen: dict[int, float]) -> None:
    """Poll the CPU seconds of the database's client backends (same host) until stopped."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=dbname, autocommit=True
    ) as conn:
        own = conn.info.backend_pid
        while not stop.is_set():
            pids = [
                r[0]
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                    [dbname],
                )
                if r[0] != own
            ]
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    seen[pid] = (int(fields[11]) + int(fields[12])) / TICKS
                except (OSError, IndexError, ValueError):
                    pass
            stop.wait(0.2)


def import_run(path: Path) -> dict:
    from django.db import connection

    from marketpulse.models import JobRun

    db_reset()
    dbname = connection.settings_dict["NAME"]
    stop, seen = threading.Event(), {}
    poller = threading.Thread(target=_backend_cpu, args=(dbname, stop, seen), daemon=True)
    poller.start()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "import_dump", str(path), "--all-subreddits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    poller.join()
    run = JobRun.objects.filter(command="import_dump").latest("pk")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "pg_cpu": sum(seen.values()),
        "rss_mib": usage.ru_maxrss / 1024,
        "summary": [line for line in out.splitlines() if line.startswith("import_dump:")][-1],
        "counters": run.counters,
        "status": run.status,
    }


def rows_for(path: Path, n: int) -> list[dict]:
    from ingest.dump_records import BadLine
    from ingest.dumps import DumpReader, dump_open
    from ingest.validation import Accepted, item_validate

    rows = []
    with dump_open(path) as stream:
        for entry in DumpReader(stream).records():
            if type(entry) is BadLine:
                continue
            result = item_validate(entry[1], kind="comment")
            if type(result) is Accepted:
                rows.append(result.row)
                if len(rows) >= n:
                    break
    return rows


def writes_compare(path: Path, n: int) -> dict:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from articles.services import rollups_refresh
    from ingest import dump_import
    from ingest.upsert import articles_upsert, ticker_index_load

    rows = rows_for(path, n)
    out = {}
    db_reset()
    index = ticker_index_load()
    now = timezone.now()
    started, cpu = time.perf_counter(), time.process_time()
    tickers, lo, hi = set(), None, None
    for start in range(0, len(rows), dump_import.BATCH_SIZE):
        with transaction.atomic():
            merged = dump_import._merge_postgres(rows[start : start + dump_import.BATCH_SIZE], index, now)
        tickers |= merged.tickers
        lo = merged.since if lo is None else min(lo, merged.since or lo)
        hi = merged.until if hi is None else max(hi, merged.until or hi)
    rollups_refresh(ticker_ids=tickers, since=lo, until=hi + timedelta(microseconds=1))
    out["merge"] = (time.perf_counter() - started, time.process_time() - cpu)
    db_reset()
    index = ticker_index_load()
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(rows), 500):
        articles_upsert(items=[dict(r) for r in rows[start : start + 500]], index=index)
    out["upsert"] = (time.perf_counter() - started, time.process_time() - cpu)
    out["rows"] = len(rows)
    return out


RSS_CHILD = """
import sys
sys.path.insert(0, {root!r})
from ingest.dumps import DumpReader, dump_open
n = 0
with dump_open({path!r}) as stream:
    for _ in DumpReader(stream).records():
        n += 1
# VmHWM, not ru_maxrss: ru_maxrss keeps the parent's peak across fork + exec.
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0].split()[1]
print(n, int(hwm) / 1024)
"""


def read_rss(path: Path) -> float:
    code = RSS_CHILD.format(root=str(ROOT), path=str(path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.split()[1])


def stages(path: Path, runs: int = 3) -> dict[str, float]:
    """CPU us per comment on one core: parse; + rows (dump_rows); + link (the import's per-item work).

    benchmarks/bench_dump_rows.py has the same split for the reference way too.
    """
    from ingest.dump_rows import dump_rows
    from ingest.dumps import DumpReader, dump_open
    from ingest.upsert import item_mentions, ticker_index_load

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    index = ticker_index_load()
    now = datetime.now(tz=UTC)

    def one(stage: int) -> float:
        n = 0
        cpu = time.process_time()
        with dump_open(path) as stream:
            reader = DumpReader(stream)
            if not stage:
                n = sum(1 for _ in reader.records())
            for item in dump_rows(reader, kind="comments", now=now) if stage else ():
                n += 1
                if stage > 1 and type(item) is dict:
                    item_mentions(item, index)
        return (time.process_time() - cpu) / n * 1e6

    return {name: min(one(stage) for _ in range(runs)) for stage, name in enumerate(["parse", "validate", "link"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="the big file (default 1000000)")
    parser.add_argument("--small", type=int, default=100_000, help="the small file (default 100000)")
    parser.add_argument("--compare", type=int, default=50_000, help="rows for merge vs articles_upsert")
    parser.add_argument("--skip-big", action="store_true", help="only the small file end to end")
    args = parser.parse_args()
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench_dump_import needs DATABASE_URL pointing at a PostgreSQL benchmark database")
    directory = ROOT / "var" / "bench_dumps"
    small, big = dump_file(directory, args.small), dump_file(directory, args.lines)

    print(f"load average at start: {os.getloadavg()}")
    print(
        "\n| file | wall s | importer CPU s | PostgreSQL backend CPU s | peak RSS MiB | merge s | rollups s | rows/s wall |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = {}
    for path in [small] + ([] if args.skip_big else [big]):
        r = import_run(path)
        results[path.name] = r
        c = r["counters"]
        print(
            f"| {path.name} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['pg_cpu']:.1f} | {r['rss_mib']:.0f} | "
            f"{c.get('merge_seconds', 0):.1f} | {c.get('rollups_seconds', 0):.1f} | "
            f"{c.get('articles_new', 0) / r['wall']:,.0f} |"
        )
    for name, r in results.items():
        print(f"\n{name}: {r['status']}: {r['summary']}")

    cmp = writes_compare(small, args.compare)
    n = cmp["rows"]
    merge_us, upsert_us = cmp["merge"][0] / n * 1e6, cmp["upsert"][0] / n * 1e6
    print(f"\nwrites only, {n:,} rows, wall (Python CPU): merge {cmp['merge'][0]:.1f} s ({cmp['merge'][1]:.1f} s), ")
    print(f"articles_upsert {cmp['upsert'][0]:.1f} s ({cmp['upsert'][1]:.1f} s)")
    print(f"per row: merge {merge_us:.0f} us, articles_upsert {upsert_us:.0f} us: {upsert_us / merge_us:.1f}x")

    if not args.skip_big:
        w31 = dump_file(directory, args.lines, 31)
        print(
            f"\nread-only peak RSS, {args.lines:,} lines: window_log 27 {read_rss(big):.0f} MiB, "
            f"window_log 31 {read_rss(w31):.0f} MiB"
        )
    s = stages(small)
    total = s["link"]
    print(
        f"\none core, CPU us per comment: parse {s['parse']:.1f}, + rows {s['validate'] - s['parse']:.1f}, "
        f"+ link {s['link'] - s['validate']:.1f} = {total:.1f} -> {1e6 / total:,.0f} comments per CPU-second"
    )
    print(json.dumps({"load_average_end": os.getloadavg()}))


if __name__ == "__main__":
    main()
