"""The admin's article search (issue 15, migration 0009): Django's search, titles among posts only.

`ArticleAdmin.get_search_results` must give the rows Django's own search over
`search_fields` gives (a comment has no title), and on PostgreSQL every branch of its
OR must be answerable from an index, the post-only title trigram index included.
"""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.sites import site
from django.db import connection
from django.urls import reverse

from articles.models import Article


def _django_search(term: str) -> set[str]:
    """What Django's own ModelAdmin.get_search_results finds with the same search_fields."""
    admin = site._registry[Article]
    qs, _ = django_admin.ModelAdmin.get_search_results(admin, None, Article.objects.all(), term)
    return set(qs.values_list("reddit_id", flat=True))


def _our_search(term: str) -> set[str]:
    qs, duplicates = site._registry[Article].get_search_results(None, Article.objects.all(), term)
    assert duplicates is False
    return set(qs.values_list("reddit_id", flat=True))


@pytest.fixture
def corpus(make_article, tickers):
    return {
        "post": make_article(["GME"], kind="post", title="Diamond hands on GME", body="to the moon", author="ape_one"),
        "comment": make_article(["GME"], kind="comment", title="", body="diamond HANDS, 100% sure", author="Bear_2"),
        "other": make_article(["TSLA"], kind="post", title="Tesla puts", body="it's over", author="diamondgirl"),
        "quoted": make_article(["TSLA"], kind="comment", title="", body='he said "to the moon" again', author="x"),
    }


@pytest.mark.parametrize(
    "term",
    [
        "diamond",
        "DIAMOND hands",
        "moon",
        '"to the moon"',
        "'it''s'",
        "100%",
        "bear_2",
        "puts",
        "ape",
        "nothing-like-this",
        "t1_",
        "gme diamond",
        "héllo ape",
        "",
    ],
)
def test_search_finds_what_djangos_search_finds(corpus, term):
    assert _our_search(term) == _django_search(term), term


def test_search_terms_and_ids(corpus):
    post, comment = corpus["post"], corpus["comment"]
    assert _our_search("diamond") == {post.reddit_id, comment.reddit_id, corpus["other"].reddit_id}
    assert _our_search("diamond hands") == {post.reddit_id, comment.reddit_id}
    assert _our_search(comment.reddit_id.upper()) == {comment.reddit_id}
    # every term must match, each in any field: the id by one term, the body by the other
    assert _our_search(f"{post.reddit_id} moon") == {post.reddit_id}
    assert _our_search(f"{post.reddit_id} bear") == set()
    # an id among other terms, in any case, as Django's iexact finds it (0010: through the unique index)
    for term in (f"{post.reddit_id.upper()} moon", f"moon {post.reddit_id.upper()}", f"{comment.reddit_id} hands"):
        assert _our_search(term) == _django_search(term) != set(), term


def test_search_page_shows_the_matches(admin_client, corpus):
    response = admin_client.get(reverse("admin:articles_article_changelist") + "?q=hands")
    assert response.status_code == 200
    shown = {a.reddit_id for a in response.context["cl"].result_list}
    assert shown == {corpus["post"].reddit_id, corpus["comment"].reddit_id}


def test_every_branch_of_the_search_uses_an_index(postgres_only, corpus):
    """The title branch reads the post-only trigram index (0009): one unindexed branch would make
    PostgreSQL scan the whole table for every search. Sequential scans are switched off and the
    changelist's order left out, as a four-row table would otherwise be read whole whatever the
    indexes."""
    qs, _ = site._registry[Article].get_search_results(None, Article.objects.all(), "diamond")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.order_by().explain()
    for index in ("article_title_trgm", "article_body_trgm", "article_author_trgm", "article_reddit_id_unique"):
        assert f"Bitmap Index Scan on {index}" in plan, plan
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'article_title_trgm'")
        (definition,) = cursor.fetchone()
    assert "WHERE ((kind)::text = 'post'::text)" in definition, definition


def test_reddit_id_has_one_unique_index_and_no_like_index(postgres_only, db):
    """0010: the uniqueness is the named constraint; Django's `varchar_pattern_ops` twin of a
    `unique=True` CharField and the UPPER(reddit_id) index of 0005 are gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles_article'")
        indexes = dict(cursor.fetchall())
    on_id = {name: definition for name, definition in indexes.items() if "reddit_id" in definition}
    assert list(on_id) == ["article_reddit_id_unique"], on_id
    assert "UNIQUE INDEX" in on_id["article_reddit_id_unique"]
    assert "WHERE (reviewed_by_id IS NOT NULL)" in indexes["article_reviewed_by_idx"]
