"""Benchmark: what per-mention stance adds to analyze_sentiment, VADER backend, in one run.

    .venv/bin/python benchmarks/bench_stance_cost.py [--n 4000] [--rounds 5] [--cpu 0] [--json-out FILE]

Seeds N generated r/wallstreetbets-like comments (`sentiment.samples`, fixed seed) into a
fresh SQLite database (or the database in DATABASE_URL, which must be empty: it is
migrated and filled), each linked to the tickers its text names ($AMD or AMD), or to one
ticker it does not name when it names none (about 1.5 mentions per article). Then, in
alternating rounds on the same data, all articles are made unscored again and scored by
`sentiment.services.articles_score` (claim, VADER, write, rollup refresh: the command's
whole loop), once with the stance step replaced by a no-op (the old path: articles only)
and once with it (`sentiment.stance.scoring.mention_stances_write`: read the chunk's mentions,
cue each ticker's clauses, combine with VADER's compound, one bulk UPDATE). Medians of
CPU time (`time.process_time`, this process only: the database work of SQLite is in it,
a PostgreSQL server's is not) and wall time. The process is pinned to one CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SYMBOL = re.compile(r"(?<![\w$])\$?([A-Z]{2,5})(?!\w)")


def setup_django(db_path: Path) -> None:
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db_path}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(n: int) -> tuple[int, int]:
    from datetime import UTC, datetime, timedelta

    from articles.models import Article, Mention, Ticker
    from sentiment.samples import TICKERS, generate_comments

    tickers = {t: Ticker.objects.get_or_create(symbol=t)[0] for t in TICKERS}
    base = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    texts = generate_comments(n, seed=2026)
    articles = Article.objects.bulk_create(
        [
            Article(
                kind="comment",
                reddit_id=f"t1_b{i:x}",
                subreddit="wallstreetbets",
                parent_post_id="t3_parent",
                body=text,
                author=f"user{i % 300}",
                created_utc=base + timedelta(minutes=i % 1440),
            )
            for i, text in enumerate(texts)
        ],
        batch_size=1000,
    )
    mentions = []
    for i, (article, text) in enumerate(zip(articles, texts, strict=True)):
        named = dict.fromkeys(s for s in _SYMBOL.findall(text) if s in tickers) or {TICKERS[i % len(TICKERS)]: None}
        for symbol in named:
            mentions.append(
                Mention(article=article, ticker=tickers[symbol], matched_text=symbol, created_utc=article.created_utc)
            )
    Mention.objects.bulk_create(mentions, batch_size=1000)
    return len(articles), len(mentions)


def reset() -> None:
    from articles.models import Article, Mention

    Article.objects.update(
        scored_at=None,
        sentiment_label="",
        sentiment_score=None,
        sentiment_confidence=None,
        sentiment_model="",
        vader_label="",
        vader_score=None,
    )
    Mention.objects.update(stance="", stance_score=None, stance_model="", stance_cues=[])


def score_once(stance: bool) -> dict[str, float]:
    from sentiment import services
    from sentiment.analyzers import VaderAnalyzer
    from sentiment.stance.scoring import mention_stances_write

    vader = VaderAnalyzer()
    services.mention_stances_write = mention_stances_write if stance else (lambda **_: 0)
    reset()
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = services.articles_score(analyzer=vader, vader=vader)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    services.mention_stances_write = mention_stances_write
    return {"wall": wall, "cpu": cpu, "scored": outcome.scored}


def stance_counts() -> dict[str, int]:
    from django.db.models import Count

    from articles.models import Mention

    return dict(Mention.objects.values_list("stance").annotate(n=Count("id")).order_by())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="articles to seed")
    parser.add_argument("--rounds", type=int, default=5, help="off/on pairs, alternating")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        n_articles, n_mentions = seed(args.n)
        score_once(stance=True)  # warm up: lexicon compile, VADER lexicon, page cache
        counts = stance_counts()
        assert "" not in counts, counts  # every mention got a stance
        runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
        for r in range(args.rounds):
            order = ("off", "on") if r % 2 == 0 else ("on", "off")
            for mode in order:
                runs[mode].append(score_once(stance=mode == "on"))
    result = {
        "articles": n_articles,
        "mentions": n_mentions,
        "rounds": args.rounds,
        "stances": counts,
    }
    for mode in ("off", "on"):
        cpu = statistics.median(r["cpu"] for r in runs[mode])
        wall = statistics.median(r["wall"] for r in runs[mode])
        result[mode] = {
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "articles_per_cpu_s": round(n_articles / cpu, 1),
            "cpu_all": [round(r["cpu"], 3) for r in runs[mode]],
        }
    result["overhead_cpu_pct"] = round(100.0 * (result["on"]["cpu_s"] / result["off"]["cpu_s"] - 1.0), 1)
    result["overhead_wall_pct"] = round(100.0 * (result["on"]["wall_s"] / result["off"]["wall_s"] - 1.0), 1)
    print(json.dumps(result, indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
