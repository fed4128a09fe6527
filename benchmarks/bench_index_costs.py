"""What each index of the article table and each foreign key of the mention table costs an insert (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_dump \\
        .venv/bin/python benchmarks/bench_index_costs.py [--rows 100000] [--runs 3]

Needs a PostgreSQL benchmark database that holds at least --rows imported comments and
their mentions (run benchmarks/bench_dump_import.py first; nothing is emptied here).
It copies --rows stored articles and the mentions of as many rows into scratch tables,
then times, on one connection in autocommit, `INSERT INTO copy SELECT * FROM source`
(each statement its own transaction, its COMMIT included):

* articles into an empty `LIKE articles_article INCLUDING ALL` (the same indexes and
  checks), with every index, then with each index dropped in turn (and put back);
* mentions into an empty copy of the mention table with no foreign key, with the
  article FK, with the ticker FK, and with both, `DEFERRABLE INITIALLY DEFERRED` as
  Django makes them (checked at COMMIT, so the COMMIT is timed too).

Per row: the best of --runs of the statement and its commit, which is the database
backend's work (nothing else runs in it). The scratch tables are dropped at the end.
Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The companion of bench_dump_import (it reads that benchmark's rows): the same environment
# (the repository on sys.path, DEBUG off, a throwaway secret key, no .env) and setup.
import bench_dump_import

SCRATCH = ("bench_src_article", "bench_dst_article", "bench_src_mention", "bench_dst_mention")


def timed_insert(cursor, target: str, source: str, runs: int) -> float:
    """Best seconds of INSERT ... SELECT into the emptied target. The connection is in
    autocommit, as Django leaves it: the statement commits, deferred FK checks included."""
    best = float("inf")
    for _ in range(runs):
        cursor.execute(f"TRUNCATE {target}")
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO {target} SELECT * FROM {source}")
        best = min(best, time.perf_counter() - started)
    cursor.execute(f"TRUNCATE {target}")
    return best


def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")
    return cursor.fetchone()[0]


def _indexes(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
    return cursor.fetchall()


def _using(definition: str) -> str:
    """An index definition after its name and table: what a copy's index shares with its original."""
    return definition.split(" USING ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="articles copied (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed inserts of each case, best kept (default 3)")
    args = parser.parse_args()
    bench_dump_import._setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench_index_costs needs DATABASE_URL pointing at a PostgreSQL benchmark database")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH)}")
        cur.execute(f"CREATE TABLE bench_src_article AS SELECT * FROM articles_article ORDER BY id LIMIT {args.rows}")
        rows = _count(cur, "bench_src_article")
        if rows < args.rows:
            sys.exit(f"only {rows:,} articles stored: import at least --rows first (bench_dump_import.py)")
        cur.execute(
            "CREATE TABLE bench_src_mention AS SELECT m.* FROM articles_mention m "
            "JOIN bench_src_article a ON a.id = m.article_id"
        )
        mentions = _count(cur, "bench_src_mention")
        cur.execute("CREATE TABLE bench_dst_article (LIKE articles_article INCLUDING ALL)")
        # The copy's indexes, named after the originals with the same definition.
        names = {_using(definition): name for name, definition in _indexes(cur, "articles_article")}
        indexes = sorted(
            (names.get(_using(definition), name), name, definition)
            for name, definition in _indexes(cur, "bench_dst_article")
        )
        print(
            f"{rows:,} stored articles ({mentions:,} mentions) copied; load average {os.getloadavg()[0]:.2f}; "
            f"best of {args.runs}\n"
        )
        print("| articles inserted into a copy of the table | us per row | the index's share |")
        print("| --- | ---: | ---: |")
        every = timed_insert(cur, "bench_dst_article", "bench_src_article", args.runs) / rows * 1e6
        print(
            f"| with all {len(indexes)} indexes (the unique ones are constraints: kept in every case) | {every:.1f} | |"
        )
        for original, name, definition in indexes:
            if definition.startswith("CREATE UNIQUE"):  # the primary key and reddit_id's: constraints, not options
                continue
            cur.execute(f"DROP INDEX {name}")
            without = timed_insert(cur, "bench_dst_article", "bench_src_article", args.runs) / rows * 1e6
            cur.execute(definition)
            print(f"| without `{original}`: {_using(definition)} | {without:.1f} | {every - without:.1f} |")

        print("\n| mentions inserted into a copy of the table (deferred FKs, checked at COMMIT) | us per mention |")
        print("| --- | ---: |")
        fks = {
            "article": "FOREIGN KEY (article_id) REFERENCES articles_article(id) DEFERRABLE INITIALLY DEFERRED",
            "ticker": "FOREIGN KEY (ticker_id) REFERENCES articles_ticker(id) DEFERRABLE INITIALLY DEFERRED",
        }
        for case in ((), ("article",), ("ticker",), ("article", "ticker")):
            cur.execute("DROP TABLE IF EXISTS bench_dst_mention")
            cur.execute("CREATE TABLE bench_dst_mention (LIKE articles_mention INCLUDING ALL)")
            for fk in case:
                cur.execute(f"ALTER TABLE bench_dst_mention ADD {fks[fk]}")
            seconds = timed_insert(cur, "bench_dst_mention", "bench_src_mention", args.runs)
            print(f"| {' and '.join(case) + ' FK' if case else 'no foreign key'} | {seconds / mentions * 1e6:.1f} |")
        cur.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH)}")


if __name__ == "__main__":
    main()
