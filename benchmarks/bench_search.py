"""Admin search at a million articles: trigram GIN indexes (migration articles/0005) vs the plain scan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_1m \\
        .venv/bin/python benchmarks/seed_data.py --articles 1000000 --mentions 1500000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_1m \\
        .venv/bin/python benchmarks/bench_search.py --runs 5

For each search term: the article changelist `?q=TERM` requested in-process as a
reviewer (the whole admin stack), then the admin's own search query (`ModelAdmin.
get_search_results`, first page of 100 plus the capped count) twice in the same
run: as PostgreSQL plans it with the trigram indexes, and with bitmap scans turned
off (`SET LOCAL enable_bitmapscan = off`: a GIN index can only be read by a bitmap
scan, so this is the plan from before the indexes). Both must return the same rows;
the script stops if they differ. Read-only apart from `bench-reviewer`/`bench-admin` users.

The admin pages before the indexes: `manage.py migrate articles 0004`, then
`bench_search.py --pages-only`, then `manage.py migrate articles 0005` again.
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

# (term, what it exercises); terms match the synthetic rows of seed_data.py.
TERMS = [
    ("moon", "no match (the old 2.5 s case)"),
    ("user4242", "author, ~10 authors"),
    ("article 123456", "body, one row"),
    ("Synthetic post 9999", "title, a handful of posts"),
    ("calls", "every row: the index cannot narrow"),
    ("zz", "two characters: too short for trigrams"),
]
TICKER_TERMS = [("tesla", "ticker name"), ("NVD", "ticker symbol")]


def _timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument("--plain-runs", type=int, default=3, help="timed runs of the plain scan (default 3)")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="time the admin pages only (e.g. before migration articles 0005, to compare with after)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib import admin
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from articles.admin import COUNT_CAP
    from articles.models import Article, Ticker

    if connection.vendor != "postgresql":
        raise SystemExit("bench_search.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('articles_article', 'articles_ticker') "
            "AND indexdef LIKE '%%gin_trgm_ops%%' ORDER BY 1"
        )
        trgm = [r[0] for r in cur.fetchall()]
    user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="reviewers"))
    superuser, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser

    print(f"# {Article.objects.count()} articles, {Ticker.objects.count()} tickers; trigram indexes: {trgm or 'none'}")
    print(f"# {args.runs} runs per case ({args.plain_runs} for the plain scan); median / p95 ms")
    print(f"{'search':<62} {'admin page':>11} {'query':>9} {'plain scan':>11} {'speed-up':>9} {'rows':>6}")

    def search(model, term: str, plain: bool) -> tuple[list[int], int]:
        model_admin = admin.site._registry[model]
        with transaction.atomic():
            if plain:
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL enable_bitmapscan = off")
            qs, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), term)
            qs = qs.order_by(*model_admin.get_ordering(request) or ["-pk"])
            ids = list(qs.values_list("pk", flat=True)[: model_admin.list_per_page])
            count = qs.order_by()[: COUNT_CAP + 1].count()
        return ids, count

    def case(model, changelist: str, term: str, label: str) -> None:
        url = f"{changelist}?q={term}"

        def page():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        page_ms, _ = _timed(page, args.runs)
        if args.pages_only:
            print(f"{model.__name__.lower() + ' ?q=' + term + ' (' + label + ')':<62} {page_ms:11.1f}")
            return
        fast, _ = _timed(lambda: search(model, term, False), args.runs)
        plain, _ = _timed(lambda: search(model, term, True), args.plain_runs)
        got, want = search(model, term, False), search(model, term, True)
        if got != want:
            raise SystemExit(f"{term!r}: the indexed search and the plain scan disagree: {got[:5]} vs {want[:5]}")
        name = f"{model.__name__.lower()} ?q={term} ({label})"
        print(f"{name:<62} {page_ms:11.1f} {fast:9.1f} {plain:11.1f} {plain / fast:8.0f}x {want[1]:6d}")

    articles = reverse("admin:articles_article_changelist")
    for term, label in TERMS:
        case(Article, articles, term, label)
    reddit_id = Article.objects.order_by("-pk").values_list("reddit_id", flat=True).first()
    case(Article, articles, reddit_id, "exact Reddit id")
    tickers = reverse("admin:articles_ticker_changelist")
    for term, label in TICKER_TERMS:
        case(Ticker, tickers, term, label)


if __name__ == "__main__":
    main()
