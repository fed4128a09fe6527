"""Admin review pages at scale: latency and queries, against the naive way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_1m \\
        .venv/bin/python benchmarks/seed_data.py --articles 1000000 --mentions 1500000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_1m \\
        .venv/bin/python benchmarks/bench_admin.py --runs 15

Pages are requested in-process with Django's test client as a reviewer (the full
admin stack: middleware, permissions, templates), so the figures are server time
without the network. Compared in the same run:

- article list (100 rows): prefetching tickers vs reading them per row (N+1);
- "Needs review": the ranked query over the last 7 days vs the same ranking over
  all history vs the naive way (load the candidates, score them in Python);
- model quality: one grouped query vs iterating every reviewed article in Python.

Read-only apart from creating a `bench-reviewer` user (in the `reviewers` group).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")


def _timed(fn, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm up
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    parser.add_argument(
        "--slow-runs",
        type=int,
        default=3,
        help="timed runs for the slow comparison cases (naive ways, no bound; default 3)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.db.models import Prefetch
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from articles import review
    from articles.models import Article, Ticker
    from articles.quality import quality_report

    user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="reviewers"))
    client = Client()
    client.force_login(user)

    n_articles = Article.objects.count()
    print(f"# {n_articles} articles, {Ticker.objects.count()} tickers; {args.runs} runs per case; times in ms")
    print(f"{'case':<62} {'median':>8} {'p95':>8} {'queries':>8}")

    def row(name: str, fn, runs: int | None = None) -> None:
        median, p95, queries = _timed(fn, runs or args.runs)
        print(f"{name:<62} {median:8.1f} {p95:8.1f} {queries:8d}")

    def get(url: str):
        def fn():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fn

    changelist = reverse("admin:articles_article_changelist")
    row("GET article list (100 rows, tickers prefetched)", get(changelist))
    row("GET article list ?reviewed=no&confidence=low", get(changelist + "?reviewed=no&confidence=low"))
    row("GET article list ?ticker=TSLA", get(changelist + "?ticker=TSLA"))
    row("GET article list ?q=moon (search title/body/author)", get(changelist + "?q=moon"), args.slow_runs)
    row(
        "GET article list ?q=t3_<id> (exact Reddit id, by index)",
        get(changelist + "?q=" + Article.objects.values_list("reddit_id", flat=True).first()),
    )

    page = Article.objects.order_by("-created_utc")

    def prefetched():
        for a in page.prefetch_related(Prefetch("tickers", queryset=Ticker.objects.only("id", "symbol")))[:100]:
            ", ".join(t.symbol for t in a.tickers.all())

    def naive_rows():
        for a in page[:100]:
            ", ".join(t.symbol for t in a.tickers.all())

    from articles.models import Mention

    tsla = Ticker.objects.get(symbol="TSLA").pk

    def ticker_by_id():
        list(page.filter(pk__in=Mention.objects.filter(ticker_id=tsla).values("article_id"))[:100])

    def ticker_by_symbol_join():
        list(page.filter(pk__in=Mention.objects.filter(ticker__symbol="TSLA").values("article_id"))[:100])

    row("  ?ticker=TSLA rows, ticker id resolved first (what the list does)", ticker_by_id)
    row("  ?ticker=TSLA rows, joined on symbol (planner guesses)", ticker_by_symbol_join, args.slow_runs)
    row("  100 rows + tickers, prefetched (what the list does)", prefetched)
    row("  100 rows + tickers, per row (naive N+1)", naive_rows)

    queue = reverse("admin:articles_article_review_queue")
    row("GET Needs review (ranked in SQL, last 7 days)", get(queue))
    row("GET Needs review ?offset=50", get(queue + "?offset=50"))
    top = review.top_ticker_ids()

    def ranked_7d():
        review.review_queue_page(offset=0, size=21, top_ids=top)

    original_days = review.QUEUE_DAYS

    def ranked_all():
        review.QUEUE_DAYS = 10_000
        try:
            review.review_queue_page(offset=0, size=21, top_ids=top)
        finally:
            review.QUEUE_DAYS = original_days

    def naive_queue():
        since = timezone.now() - timedelta(days=original_days)
        top_set = set(top)
        rows = (
            Article.objects.filter(reviewed_label="", scored_at__isnull=False, is_removed=False, created_utc__gte=since)
            .prefetch_related("mentions")
            .only("id", "sentiment_confidence", "sentiment_label", "vader_label", "score", "created_utc")
        )
        scored = []
        for a in rows:
            value = review.WEIGHT_UNSURE * (1 - (a.sentiment_confidence or 0))
            value += review.WEIGHT_DISAGREE if a.vader_label and a.vader_label != a.sentiment_label else 0
            value += review.WEIGHT_UPVOTES * min(1, math.log1p(max(a.score, 0)) / math.log(1 + review.UPVOTES_FULL))
            value += review.WEIGHT_TOP_TICKER if any(m.ticker_id in top_set for m in a.mentions.all()) else 0
            scored.append((-value, -a.score, a.created_utc, a.pk))
        scored.sort()
        return scored[:21]

    row("  queue query, last 7 days (what the page does)", ranked_7d)
    row("  queue query, all history (no recency bound)", ranked_all, args.slow_runs)
    row("  queue, naive: load last 7 days, score in Python", naive_queue, args.slow_runs)

    quality = reverse("admin:articles_article_quality")
    row("GET Model quality", get(quality))

    def naive_quality():
        counts: dict = {}
        for a in (
            Article.objects.exclude(reviewed_label="")
            .exclude(sentiment_label="")
            .only("sentiment_model", "sentiment_label", "reviewed_label", "created_utc")
        ):
            key = (a.sentiment_model, a.created_utc.strftime("%Y-%m"), a.sentiment_label, a.reviewed_label)
            counts[key] = counts.get(key, 0) + 1
        return counts

    row("  quality figures, one grouped query (what the page does)", lambda: quality_report())
    row("  quality figures, naive: every reviewed row to Python", naive_quality, args.slow_runs)

    row("GET ticker list (never-link counts)", get(reverse("admin:articles_ticker_changelist")))
    row("GET mention list", get(reverse("admin:articles_mention_changelist")))


if __name__ == "__main__":
    main()
