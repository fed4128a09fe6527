"""Ingest of 10,000 comments from the local Reddit-compatible server into PostgreSQL.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE mp_ingest_bench'   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_ingest_bench \\
        .venv/bin/python benchmarks/bench_ingest.py [--comments 10000] [--seed 42]

One generated daily thread (fixed seed) with --comments comments, served by
`python -m ingest.fakereddit` in its own process (Reddit's page sizes: 200
comments in the first page, 100 per `morechildren`). The database is migrated and
emptied of articles first; tickers come from articles/data/tickers.csv.

Three ways, in the same run, each on an empty articles table:
  fetch only   praw fetch of the thread (no writes): the floor both ways share
  ours         `manage.py scrape_reddit --thread ID` (batched upserts, one transaction per batch)
  naive        the same praw fetch, then one `save()` per article and one `create()`
               per mention (autocommit), rollups refreshed per 500 items like ours
SQL statements are counted with a connection execute wrapper. Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.time_by_kind: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split()[:4])[:70]
            entry = self.time_by_kind.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    def top(self, n: int = 8) -> list[str]:
        rows = sorted(self.time_by_kind.items(), key=lambda kv: -kv[1][1])[:n]
        return [f"{count:>6} x {seconds:7.2f} s  {key}" for key, (count, seconds) in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000, help="comments in the thread (default 10000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--skip-naive", action="store_true", help="only time ours (and show where its SQL time goes)")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (this benchmark is about PostgreSQL)")

    from datetime import datetime

    from ingest.fakereddit.datagen import Generator

    gen = Generator(seed=args.seed, newest=datetime.now(tz=UTC))
    end = gen.newest
    post = gen.post(title="Daily Discussion Thread for the benchmark", created=end - 20 * 3600, stickied=True)
    gen.thread(post, count=args.comments, start=end - 20 * 3600 + 60, end=end - 30, deep_chain=20)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    (tmp / "thread.json").write_text(json.dumps(gen.dataset()))
    server = subprocess.Popen(
        [sys.executable, "-m", "ingest.fakereddit", "--data", str(tmp), "--rate-limit", "1000000", "--no-shift"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
        os.environ.update(REDDIT_OAUTH_URL=url, REDDIT_URL=url, REDDIT_CLIENT_ID="bench", REDDIT_CLIENT_SECRET="bench")
        run(post["id"], len(gen.comments), skip_naive=args.skip_naive)
    finally:
        server.terminate()
        server.wait(10)


def run(post_id: str, total: int, *, skip_naive: bool = False) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from praw.models import MoreComments

    from articles.models import Article, Mention, TickerHourly
    from articles.services import rollups_refresh_for_articles
    from ingest.models import ThreadCheckpoint
    from ingest.scrape.client import RedditClient, comment_item, submission_item
    from ingest.upsert import item_mentions, ticker_index_load

    call_command("migrate", verbosity=0)
    call_command("load_tickers", stdout=io.StringIO())

    def empty() -> None:
        Mention.objects.all().delete()
        TickerHourly.objects.all().delete()
        Article.objects.all().delete()
        ThreadCheckpoint.objects.all().delete()

    def fetch():
        client = RedditClient(budget=10_000)
        submission = client.reddit.submission(id=post_id)
        submission.comment_sort, submission.comment_limit = "new", 500
        submission.comments.replace_more(limit=None)
        comments = [c for c in submission.comments.list() if not isinstance(c, MoreComments)]
        return client, submission, comments

    results = []

    empty()
    started = time.perf_counter()
    client, submission, comments = fetch()
    results.append(
        ("fetch only (praw, no writes)", time.perf_counter() - started, 0, client.requests_made, len(comments))
    )
    assert len(comments) == total, (len(comments), total)

    empty()
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        call_command("scrape_reddit", "--thread", post_id, "--budget", "10000", stdout=io.StringIO())
    ours = time.perf_counter() - started
    stored = Article.objects.filter(kind="comment").count()
    assert stored == total, stored
    ours_mentions = Mention.objects.count()
    results.append(("ours: `scrape_reddit --thread`", ours, counter.count, None, stored))
    if skip_naive:
        print(
            f"ours: {ours:.2f} s, {counter.count} statements; fetch only {results[0][1]:.2f} s; SQL time by statement kind:"
        )
        print("\n".join(counter.top()))
        empty()
        return

    empty()
    counter = QueryCounter()
    index = ticker_index_load()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        client, submission, comments = fetch()
        items = [submission_item(submission), *[comment_item(c) for c in comments]]
        pending: list[int] = []
        for item in items:
            article = Article.objects.filter(reddit_id=item["reddit_id"]).first() or Article(
                reddit_id=item["reddit_id"]
            )
            for key, value in item.items():
                setattr(article, key, value)
            article.save()
            for match in item_mentions(item, index):
                Mention.objects.create(
                    article=article,
                    ticker_id=index.ids[match.symbol],
                    confidence=match.confidence,
                    matched_text=match.matched_text,
                    created_utc=article.created_utc,
                )
            pending.append(article.pk)
            if len(pending) == 500:
                rollups_refresh_for_articles(article_ids=pending)
                pending = []
        rollups_refresh_for_articles(article_ids=pending)
    naive = time.perf_counter() - started
    assert Article.objects.filter(kind="comment").count() == total
    assert Mention.objects.count() == ours_mentions, (Mention.objects.count(), ours_mentions)
    results.append(("naive: one `save()` per item", naive, counter.count, client.requests_made, total))

    fetch_s = results[0][1]
    print(
        f"{total:,} comments + 1 post, {ours_mentions:,} mentions, PostgreSQL {connection.pg_version // 10000}, "
        f"server `python -m ingest.fakereddit` in its own process"
    )
    print()
    print("| way | wall s | SQL statements | HTTP requests | write phase s (wall - fetch only) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, queries, reqs, _ in results:
        write = "" if queries == 0 else f"{seconds - fetch_s:.2f}"
        print(f"| {name} | {seconds:.2f} | {queries:,} | {reqs if reqs is not None else '(same)'} | {write} |")
    print()
    q_ratio = results[2][2] / results[1][2]
    t_ratio = results[2][1] / results[1][1]
    w_ratio = (results[2][1] - fetch_s) / max(1e-9, results[1][1] - fetch_s)
    print(
        f"naive/ours: {q_ratio:,.0f}x the SQL statements, {t_ratio:.1f}x the wall time end to end, {w_ratio:.1f}x the write phase"
    )
    print(
        f"goals: >= 10x fewer queries: {'met' if q_ratio >= 10 else 'NOT met'}; >= 5x faster end to end: {'met' if t_ratio >= 5 else 'NOT met'}"
    )
    empty()


if __name__ == "__main__":
    main()
