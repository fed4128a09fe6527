"""import_dump end to end into PostgreSQL, against the scraper's write path, and its memory (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_dump \\
        .venv/bin/python benchmarks/bench_dump_import.py [--lines 1000000] [--small 100000] [--compare 50000]
            [--only-import | --only-compare] [--compare-runs 3] [--without-search-indexes]
            [--migrations 0009_lighter_indexes,0010_leaner_id_indexes --rounds 3]

Files (made once under var/bench_dumps/, reused): RC-style comments from
`benchmarks/gen_dump.py`, seed 14, zstd level 3 with window_log 27 (what `zstd --long`
uses by default: a 128 MiB window). A window_log 31 copy of the same lines (what the real
files declare) is made by recompressing the stream, for the memory figure only.

Measures (the DATABASE_URL database is emptied of articles, mentions, rollups,
checkpoints and job runs first; tickers: articles/data/tickers.csv):
1. `manage.py import_dump FILE --all-subreddits` in a child process, for --small and
   --lines with `--workers` (default 2), and --lines again with `--workers 0` (every merge
   on the importer's connection, one after the other: the way before the pool): wall time, the child's CPU time, the CPU time of its PostgreSQL backend
   (read from /proc while it runs: same host), peak RSS (wait4), the JobRun counters
   (merge_seconds, rollups_seconds).
2. Per row, on the same --compare accepted rows (validated beforehand, so only the
   writes and the linking are timed), into empty tables: the import's merge (binary COPY +
   INSERT ... ON CONFLICT, batches of 5000, then the rollups of the merged hours as
   import_dump rebuilds them), on the pool (rollups on as many connections) and on one
   connection, against `articles_upsert` (the scraper's write path: batches of 500,
   rollups refreshed per batch); --compare-runs rounds (default 3), the three ways in
   turn in each, every round printed and the medians after (a shared machine's speed
   drifts by a fifth from one minute to the next: one round proves little).
3. Peak RSS of reading the window_log 31 file (the decoder's window), no database.
The per-item CPU on one core (parse + validate + link) is `benchmarks/bench_dump_rows.py`.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
# As the jobs run in production: DEBUG off (Django keeps no query log), so the ORM path of
# articles_upsert is timed without the debug cursor; a throwaway key, as nothing is signed.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-dump-import-" + os.urandom(24).hex())
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


def import_run(path: Path, workers: int = 2) -> dict:
    from django.db import connection

    from marketpulse.models import JobRun

    db_reset()
    dbname = connection.settings_dict["NAME"]
    stop, seen = threading.Event(), {}
    poller = threading.Thread(target=_backend_cpu, args=(dbname, stop, seen), daemon=True)
    poller.start()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "import_dump", str(path), "--all-subreddits", f"--workers={workers}"],
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
    from ingest.dumps.reader import DumpReader, dump_open
    from ingest.dumps.records import BadLine
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


def writes_compare(path: Path, n: int, workers: int) -> dict:
    """Wall and Python CPU seconds to write the same `n` rows three ways, each into empty tables."""
    from django.db import transaction
    from django.utils import timezone

    from ingest.dumps import services as dump_import
    from ingest.dumps.merge import Merged, MergePool, mention_rows, merge_postgres
    from ingest.upsert import articles_upsert, ticker_index_load

    rows = rows_for(path, n)
    size = dump_import.BATCH_SIZE
    out = {"rows": len(rows)}

    def merged_all(results: list[Merged], parts: int) -> None:
        """The rollups of the merged hours, as import_dump rebuilds them (tickers split over `parts` connections)."""
        scope = dump_import._Scope()
        for m in results:
            scope.add(m.since, m.until, m.tickers)
        dump_import._rollups_rebuild(scope, parts=parts)

    def one_connection() -> None:
        results = []
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            with transaction.atomic():
                results.append(merge_postgres(batch, mention_rows(batch, index), now))
        merged_all(results, parts=1)

    def pool() -> None:
        merges = MergePool(workers=workers, merge=merge_postgres, on_turn=lambda b, m: None, now=now)
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            merges.submit(batch, mention_rows(batch, index), line_no=start + len(batch), offset=0)
        merged_all([m for _, m in merges.close()], parts=workers)

    def upsert() -> None:
        for start in range(0, len(rows), 500):
            articles_upsert(items=[dict(r) for r in rows[start : start + 500]], index=index)

    for name, way in (("pool", pool), ("merge", one_connection), ("upsert", upsert)):
        db_reset()
        index = ticker_index_load()
        now = timezone.now()
        started, cpu = time.perf_counter(), time.process_time()
        way()
        out[name] = (time.perf_counter() - started, time.process_time() - cpu)
    return out


RSS_CHILD = """
import sys
sys.path.insert(0, {root!r})
from ingest.dumps.reader import DumpReader, dump_open
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


SEARCH_INDEXES = ("article_body_trgm", "article_title_trgm", "article_author_trgm")


def without_search_indexes(path: Path, workers: int) -> None:
    """The 1M import with the admin search's trigram indexes dropped, to show what they cost; then put back."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(SEARCH_INDEXES)])
        definitions = cursor.fetchall()
        for name, _ in definitions:
            cursor.execute(f"DROP INDEX {name}")
    print(f"load average at start: {os.getloadavg()}; dropped {', '.join(name for name, _ in definitions)}")
    print("\n| file, without the trigram indexes | wall s | importer CPU s | PostgreSQL backend CPU s | rollups s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    try:
        for n in (workers, 0):
            r = import_run(path, n)
            print(
                f"| {path.name}, --workers {n} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['pg_cpu']:.1f} | "
                f"{r['counters'].get('rollups_seconds', 0):.1f} |"
            )
    finally:
        db_reset()
        with connection.cursor() as cursor:
            for _, definition in definitions:
                cursor.execute(definition)
    print(json.dumps({"load_average_end": os.getloadavg()}))


def migrations_ab(path: Path, targets: list[str], workers: int, rounds: int) -> None:
    """The same import with the `articles` schema at each target in turn (each run from empty tables,
    so a migration is quick), `rounds` times; then every app at its newest migration again, the
    last run's rows kept."""
    from django.core.management import call_command

    print(f"load average at start: {os.getloadavg()}; {path.name}, --workers {workers}, {rounds} rounds")
    print("\n| round | articles migrated to | wall s | importer CPU s | PostgreSQL backend CPU s | started at load |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    try:
        for number in range(1, rounds + 1):
            for target in targets:
                db_reset()  # import_run empties the tables again: here it makes the migration quick
                call_command("migrate", "articles", target, verbosity=0)
                load = os.getloadavg()[0]
                r = import_run(path, workers)
                print(f"| {number} | {target} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['pg_cpu']:.1f} | {load:.2f} |")
    finally:  # the last run's rows stay (bench_index_costs.py reads them)
        call_command("migrate", verbosity=0)
    print(json.dumps({"load_average_end": os.getloadavg()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="the big file (default 1000000)")
    parser.add_argument("--small", type=int, default=100_000, help="the small file (default 100000)")
    parser.add_argument("--compare", type=int, default=50_000, help="rows for merge vs articles_upsert")
    parser.add_argument("--skip-big", action="store_true", help="only the small file end to end")
    parser.add_argument("--workers", type=int, default=2, help="import_dump --workers (default 2)")
    parser.add_argument("--only-import", action="store_true", help="the end-to-end table alone")
    parser.add_argument("--only-compare", action="store_true", help="the per-row comparison alone")
    parser.add_argument(
        "--compare-runs", type=int, default=3, help="rounds of the per-row comparison, the ways in turn (default 3)"
    )
    parser.add_argument(
        "--without-search-indexes",
        action="store_true",
        help="the 1M runs only, with the three pg_trgm indexes of the admin search dropped (put back after)",
    )
    parser.add_argument(
        "--migrations",
        metavar="A,B",
        help="the 1M run alone, with `articles` migrated to each of these migrations in turn (an index A/B), "
        "--rounds times; migrated to the newest after",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --migrations (default 3)")
    args = parser.parse_args()
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench_dump_import needs DATABASE_URL pointing at a PostgreSQL benchmark database")
    directory = ROOT / "var" / "bench_dumps"
    small, big = dump_file(directory, args.small), dump_file(directory, args.lines)

    if args.without_search_indexes:
        without_search_indexes(big, args.workers)
        return
    if args.migrations:
        migrations_ab(big, args.migrations.split(","), args.workers, args.rounds)
        return
    print(f"load average at start: {os.getloadavg()}")
    if not args.only_compare:
        import_table(small, big, args)
    if not args.only_import:
        compare_table(small, args)
    if not (args.skip_big or args.only_import or args.only_compare):
        w31 = dump_file(directory, args.lines, 31)
        print(
            f"\nread-only peak RSS, {args.lines:,} lines: window_log 27 {read_rss(big):.0f} MiB, "
            f"window_log 31 {read_rss(w31):.0f} MiB"
        )
    print(json.dumps({"load_average_end": os.getloadavg()}))


def import_table(small: Path, big: Path, args: argparse.Namespace) -> None:
    print("\n--workers 0: every merge on the importer's own connection, one after the other (the way before the pool)")
    print(
        "\n| file | wall s | importer CPU s | PostgreSQL backend CPU s | peak RSS MiB | merge s | rollups s | rows/s wall |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = {}
    runs = [(small, args.workers)] + ([] if args.skip_big else [(big, args.workers), (big, 0)])
    for path, workers in runs:
        r = import_run(path, workers)
        results[f"{path.name}, --workers {workers}"] = r
        c = r["counters"]
        print(
            f"| {path.name}, --workers {workers} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['pg_cpu']:.1f} | "
            f"{r['rss_mib']:.0f} | "
            f"{c.get('merge_seconds', 0):.1f} | {c.get('rollups_seconds', 0):.1f} | "
            f"{c.get('articles_new', 0) / r['wall']:,.0f} |"
        )
    for name, r in results.items():
        print(f"\n{name}: {r['status']}: {r['summary']}")
        print(f"  main thread blocked on the merges: {r['counters'].get('merge_wait_seconds', 0):.1f} s")


COMPARE_WAYS = ("pool", "merge", "upsert")


def compare_table(small: Path, args: argparse.Namespace) -> None:
    """--compare-runs rounds of the three write paths (in turn, so a slow spell of a shared
    machine falls on all of them), every round printed, then the medians."""
    from statistics import median

    labels = {
        "pool": f"import_dump merge, {args.workers} connections (MergePool)",
        "merge": "import_dump merge, one connection",
        "upsert": "articles_upsert (the scraper's)",
    }
    rounds = [writes_compare(small, args.compare, args.workers) for _ in range(args.compare_runs)]
    n = rounds[0]["rows"]
    print(f"\nwrites only, {n:,} rows (linking included), into empty tables, {len(rounds)} rounds:")
    print("\n| round | write path | wall s | Python CPU s | per row (wall) | vs articles_upsert |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for number, cmp in enumerate(rounds, start=1):
        upsert_us = cmp["upsert"][0] / n * 1e6
        for name in COMPARE_WAYS:
            wall, cpu = cmp[name]
            us = wall / n * 1e6
            print(f"| {number} | {labels[name]} | {wall:.1f} | {cpu:.1f} | {us:.0f} us | {upsert_us / us:.1f}x |")
    print("\n| write path | median per row (wall) | median of the rounds' ratios to articles_upsert |")
    print("| --- | ---: | ---: |")
    for name in COMPARE_WAYS:
        per_row = median(cmp[name][0] / n * 1e6 for cmp in rounds)
        ratio = median(cmp["upsert"][0] / cmp[name][0] for cmp in rounds)
        print(f"| {labels[name]} | {per_row:.0f} us | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
