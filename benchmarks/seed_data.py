"""Seed a PostgreSQL database with synthetic Reddit data for the site benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_1m \
        .venv/bin/python benchmarks/seed_data.py --articles 1000000 --mentions 1500000

Fixed seed (--seed, default 42): the same arguments give the same rows. The
database is migrated, emptied of articles/mentions/rollups/tickers, then filled
with COPY (psycopg): N tickers (a Zipf-like popularity, TSLA first), articles
spread uniformly over --days days ending now (20% posts), each with one mention
and some with a second (to reach --mentions), 90% scored, 2% reviewed. Rollups
are then built with one INSERT ... SELECT that computes exactly what
`articles.services.rollups_refresh` computes (checked on one ticker at the end
against the service itself), and a succeeded `scrape_reddit` JobRun is recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

from ingest.ids import to36  # noqa: E402 - after the path is set

# Real symbols first (so /t/TSLA/ is the busiest page, as in real life), then synthetic ones.
POPULAR = [
    "TSLA",
    "NVDA",
    "SPY",
    "GME",
    "AMC",
    "AAPL",
    "PLTR",
    "AMD",
    "QQQ",
    "MSFT",
    "META",
    "AMZN",
    "GOOGL",
    "NFLX",
    "COIN",
    "HOOD",
    "SOFI",
    "RIVN",
    "INTC",
    "BABA",
    "MU",
    "SMCI",
    "ARM",
    "TQQQ",
    "SQQQ",
    "IWM",
    "UVXY",
    "DIS",
    "BA",
    "F",
]
ETFS = {"SPY", "QQQ", "TQQQ", "SQQQ", "IWM", "UVXY"}
LABELS = np.array(["positive", "negative", "neutral"])

ROLLUP_SQL = """
INSERT INTO articles_tickerhourly
    (ticker_id, hour, mentions, posts, comments, unique_authors, upvotes, scored,
     positive, negative, neutral, sentiment_sum, updated_at)
SELECT m.ticker_id, date_trunc('hour', m.created_utc AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
       count(*),
       count(*) FILTER (WHERE a.kind = 'post'),
       count(*) FILTER (WHERE a.kind = 'comment'),
       count(DISTINCT a.author) FILTER (WHERE a.author NOT IN ('', '[deleted]')),
       coalesce(sum(a.score), 0),
       count(*) FILTER (WHERE coalesce(nullif(a.reviewed_label, ''), nullif(a.sentiment_label, '')) IS NOT NULL),
       count(*) FILTER (WHERE coalesce(nullif(a.reviewed_label, ''), nullif(a.sentiment_label, '')) = 'positive'),
       count(*) FILTER (WHERE coalesce(nullif(a.reviewed_label, ''), nullif(a.sentiment_label, '')) = 'negative'),
       count(*) FILTER (WHERE coalesce(nullif(a.reviewed_label, ''), nullif(a.sentiment_label, '')) = 'neutral'),
       coalesce(sum(CASE a.reviewed_label WHEN 'positive' THEN 1.0 WHEN 'negative' THEN -1.0
                         WHEN 'neutral' THEN 0.0 ELSE coalesce(a.sentiment_score, 0.0) END)
                FILTER (WHERE coalesce(nullif(a.reviewed_label, ''), nullif(a.sentiment_label, '')) IS NOT NULL), 0.0),
       now()
FROM articles_mention m JOIN articles_article a ON a.id = m.article_id
GROUP BY 1, 2
"""


def _symbols(n: int, rng: np.random.Generator) -> list[str]:
    out = list(POPULAR[:n])
    seen = set(out)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    while len(out) < n:
        length = int(rng.integers(2, 6))
        sym = "".join(rng.choice(letters, size=length))
        if sym not in seen:
            seen.add(sym)
            out.append(sym)
    return out


def seed(*, articles: int, mentions: int, tickers: int, days: int, seed_value: int, out=sys.stdout) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("seed_data.py needs PostgreSQL (COPY): set DATABASE_URL=postgres://...")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    rng = np.random.default_rng(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=days)

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE articles_tickerhourly, articles_mention, articles_article, articles_ticker, "
            "marketpulse_jobrun RESTART IDENTITY CASCADE"
        )
    raw = connection.connection  # psycopg 3 connection
    symbols = _symbols(tickers, rng)
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY articles_ticker (id, symbol, name, exchange, is_etf, aliases, is_active, created_at, updated_at) FROM STDIN"
        ) as cp,
    ):
        for i, sym in enumerate(symbols, start=1):
            cp.write_row((i, sym, f"{sym} Holdings Inc.", "NASDAQ", sym in ETFS, "[]", True, now, now))
    out.write(f"tickers: {len(symbols)}\n")

    # Articles: created uniformly over the window; 20% posts; authors from a pool of 50k.
    secs = rng.integers(0, days * 86400, size=articles)
    is_post = rng.random(articles) < 0.2
    authors = rng.integers(0, 50_000, size=articles)
    scores = np.minimum(rng.zipf(1.8, size=articles), 50_000) - 1
    scored = rng.random(articles) < 0.9
    labels = LABELS[rng.choice(3, size=articles, p=[0.4, 0.3, 0.3])]
    # Scores agree with labels, as a model's would: positive > 0 > negative, neutral near 0.
    magnitude = rng.uniform(0.05, 1, size=articles)
    sent = np.round(
        np.where(labels == "positive", magnitude, np.where(labels == "negative", -magnitude, magnitude * 0.4 - 0.2)), 4
    )
    conf = np.round(rng.uniform(0.34, 1, size=articles), 4)
    reviewed = scored & (rng.random(articles) < 0.02)
    rev_labels = LABELS[rng.choice(3, size=articles)]
    t1 = time.perf_counter()
    with raw.cursor() as cur:
        cols = (
            "id, kind, reddit_id, subreddit, parent_post_id, title, body, author, permalink, score, num_comments, "
            "is_removed, created_utc, first_seen_at, updated_at, sentiment_score, sentiment_label, "
            "sentiment_confidence, sentiment_model, scored_at, vader_score, vader_label, reviewed_label, reviewed_at"
        )
        with cur.copy(f"COPY articles_article ({cols}) FROM STDIN") as cp:
            for i in range(articles):
                aid = i + 1
                created = start + timedelta(seconds=int(secs[i]))
                post = bool(is_post[i])
                rid = f"t3_{to36(aid)}" if post else f"t1_{to36(aid)}"
                s = bool(scored[i])
                r = bool(reviewed[i])
                cp.write_row(
                    (
                        aid,
                        "post" if post else "comment",
                        rid,
                        "wallstreetbets",
                        "" if post else f"t3_{to36(max(1, aid - 7))}",
                        f"Synthetic post {aid} about the market" if post else "",
                        f"Body of article {aid}: calls or puts?",
                        f"user{int(authors[i])}",
                        f"/r/wallstreetbets/comments/{to36(aid)}/",
                        int(scores[i]),
                        0,
                        False,
                        created,
                        created,
                        created,
                        float(sent[i]) if s else None,
                        str(labels[i]) if s else "",
                        float(conf[i]) if s else None,
                        "bench" if s else "",
                        created if s else None,
                        None,
                        "",
                        str(rev_labels[i]) if r else "",
                        created if r else None,
                    )
                )
    out.write(f"articles: {articles} in {time.perf_counter() - t1:.1f}s\n")

    # Mentions: every article one ticker (Zipf-like over rank), the first `extra` get a second one.
    weights = 1.0 / np.arange(1, tickers + 1)
    weights /= weights.sum()
    first = rng.choice(tickers, size=articles, p=weights)
    extra = max(0, mentions - articles)
    second = rng.choice(tickers, size=extra, p=weights)
    second = np.where(second == first[:extra], (second + 1) % tickers, second)
    t2 = time.perf_counter()
    mid = 0
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY articles_mention (id, article_id, ticker_id, confidence, matched_text, created_utc) FROM STDIN"
        ) as cp,
    ):
        for i in range(articles):
            created = start + timedelta(seconds=int(secs[i]))
            mid += 1
            cp.write_row((mid, i + 1, int(first[i]) + 1, 1.0, symbols[int(first[i])], created))
            if i < extra:
                mid += 1
                cp.write_row((mid, i + 1, int(second[i]) + 1, 1.0, symbols[int(second[i])], created))
    out.write(f"mentions: {mid} in {time.perf_counter() - t2:.1f}s\n")

    with connection.cursor() as cur:
        for table in ("articles_ticker", "articles_article", "articles_mention"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        t3 = time.perf_counter()
        cur.execute(ROLLUP_SQL)
        rollups = cur.rowcount
        cur.execute(
            "INSERT INTO marketpulse_jobrun (command, arguments, started_at, finished_at, status, counters, error, hostname, pid) "
            "VALUES ('scrape_reddit', '{}', %s, %s, 'succeeded', '{}', '', 'bench', 1)",
            [now - timedelta(minutes=2), now],
        )
        cur.execute("ANALYZE")
    out.write(f"rollups: {rollups} rows in {time.perf_counter() - t3:.1f}s\n")

    # The SQL above must equal the service: rebuild one busy ticker with it and compare.
    from articles.models import TickerHourly
    from articles.services import rollups_refresh

    tsla = 1
    fields = [
        "hour",
        "mentions",
        "posts",
        "comments",
        "unique_authors",
        "upvotes",
        "scored",
        "positive",
        "negative",
        "neutral",
    ]
    before = list(TickerHourly.objects.filter(ticker_id=tsla).order_by("hour").values_list(*fields))
    rollups_refresh(ticker_ids=[tsla])
    after = list(TickerHourly.objects.filter(ticker_id=tsla).order_by("hour").values_list(*fields))
    if before != after:
        raise SystemExit("seed rollup SQL disagrees with articles.services.rollups_refresh")
    total = time.perf_counter() - t0
    out.write(f"seeded in {total:.1f}s (rollup SQL checked against rollups_refresh on ticker {symbols[0]})\n")
    return {"articles": articles, "mentions": mid, "rollups": rollups, "seconds": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000, help="number of articles (default 1,000,000)")
    parser.add_argument("--mentions", type=int, default=1_500_000, help="number of mentions (default 1,500,000)")
    parser.add_argument("--tickers", type=int, default=2_000, help="number of tickers (default 2,000)")
    parser.add_argument("--days", type=int, default=90, help="days of history ending now (default 90)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args()
    seed(articles=args.articles, mentions=args.mentions, tickers=args.tickers, days=args.days, seed_value=args.seed)


if __name__ == "__main__":
    main()
