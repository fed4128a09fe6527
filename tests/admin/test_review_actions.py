"""Review actions through the admin: labels stored, model output untouched, rollups follow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, Mention, TickerHourly

pytestmark = pytest.mark.django_db


def _hourly(symbol: str) -> TickerHourly:
    return TickerHourly.objects.get(ticker__symbol=symbol)


def _act(client, action: str, articles) -> None:
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": action, "_selected_action": [a.pk for a in articles]},
    )
    assert response.status_code == 302, response.content.decode()[:1000]


def test_mark_stores_the_review_keeps_the_model_and_updates_rollups(
    reviewer_client, reviewer, make_article, tickers, refresh
):
    a = make_article(["GME"], label="negative", confidence=0.6)
    b = make_article(["GME", "TSLA"], label="negative", confidence=0.55)
    refresh()
    before = _hourly("GME")
    assert (before.positive, before.negative, before.sentiment_sum) == (0, 2, pytest.approx(-1.6))

    _act(reviewer_client, "mark_positive", [a, b])

    for article in Article.objects.filter(pk__in=[a.pk, b.pk]):
        assert article.reviewed_label == "positive"
        assert article.reviewed_by == reviewer and article.reviewed_at is not None
        assert (article.sentiment_label, article.sentiment_confidence, article.sentiment_score) == (
            "negative",
            pytest.approx(0.6 if article.pk == a.pk else 0.55),
            -0.8,
        )
    # The one-ticker article's label is its GME stance too; the two-ticker article's label
    # is about its whole text, so its GME and TSLA stances stay the model's.
    assert Mention.objects.get(article=a).reviewed_stance == "bullish"
    assert set(Mention.objects.filter(article=b).values_list("reviewed_stance", flat=True)) == {""}
    after = _hourly("GME")
    assert (after.positive, after.negative, after.sentiment_sum) == (1, 1, pytest.approx(1.0 - 0.8))
    assert (_hourly("TSLA").positive, _hourly("TSLA").negative) == (0, 1)


def test_clear_review_brings_the_model_label_back(reviewer_client, make_article, tickers, refresh):
    a = make_article(["GME"], label="negative")
    refresh()
    _act(reviewer_client, "mark_neutral", [a])
    assert (_hourly("GME").neutral, _hourly("GME").negative) == (1, 0)
    _act(reviewer_client, "clear_review", [a])
    a.refresh_from_db()
    assert (a.reviewed_label, a.reviewed_by, a.reviewed_at) == ("", None, None)
    assert Mention.objects.filter(article=a, reviewed_stance="", stance_reviewed_at=None).count() == 1
    assert (_hourly("GME").neutral, _hourly("GME").negative) == (0, 1)


def test_requeue_makes_the_article_unscored(reviewer_client, make_article, tickers, refresh):
    a = make_article(["GME"], label="positive", vader="negative")
    refresh()
    assert _hourly("GME").scored == 1
    _act(reviewer_client, "requeue", [a])
    a.refresh_from_db()
    assert a.scored_at is None and a.sentiment_label == "" and a.sentiment_confidence is None
    assert a.vader_label == "negative"  # VADER's opinion is kept
    assert Mention.objects.filter(article=a, stance="", stance_score=None, stance_model="").count() == 1
    assert Article.objects.filter(scored_at__isnull=True).count() == 1
    hourly = _hourly("GME")
    assert (hourly.mentions, hourly.scored) == (1, 0)


def test_unlink_a_mention_from_the_article_page_updates_rollups(reviewer_client, make_article, tickers, refresh):
    a = make_article(["GME", "SPY"], label="positive")
    refresh()
    assert _hourly("SPY").mentions == 1
    spy = Mention.objects.get(article=a, ticker__symbol="SPY")
    gme = Mention.objects.get(article=a, ticker__symbol="GME")
    response = reviewer_client.post(
        reverse("admin:articles_article_change", args=[a.pk]),
        {
            "reviewed_label": "",
            "mentions-TOTAL_FORMS": "2",
            "mentions-INITIAL_FORMS": "2",
            "mentions-MIN_NUM_FORMS": "0",
            "mentions-MAX_NUM_FORMS": "1000",
            "mentions-0-id": str(gme.pk),
            "mentions-0-article": str(a.pk),
            "mentions-1-id": str(spy.pk),
            "mentions-1-article": str(a.pk),
            "mentions-1-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(a.mentions.values_list("ticker__symbol", flat=True)) == ["GME"]
    assert not TickerHourly.objects.filter(ticker__symbol="SPY").exists()
    assert _hourly("GME").mentions == 1


def test_change_form_review_goes_through_the_service(reviewer_client, make_article, tickers, refresh):
    a = make_article(["TSLA"], label="neutral")
    refresh()
    m = a.mentions.get()
    data = {
        "reviewed_label": "negative",
        "mentions-TOTAL_FORMS": "1",
        "mentions-INITIAL_FORMS": "1",
        "mentions-MIN_NUM_FORMS": "0",
        "mentions-MAX_NUM_FORMS": "1000",
        "mentions-0-id": str(m.pk),
        "mentions-0-article": str(a.pk),
    }
    assert reviewer_client.post(reverse("admin:articles_article_change", args=[a.pk]), data).status_code == 302
    assert (_hourly("TSLA").negative, _hourly("TSLA").neutral) == (1, 0)
    data["reviewed_label"] = ""
    assert reviewer_client.post(reverse("admin:articles_article_change", args=[a.pk]), data).status_code == 302
    a.refresh_from_db()
    assert a.reviewed_label == "" and a.reviewed_at is None
    assert (_hourly("TSLA").negative, _hourly("TSLA").neutral) == (0, 1)


@pytest.mark.parametrize("path", ["admin:articles_article_changelist", "admin:articles_mention_changelist"])
def test_changelist_is_a_fixed_number_of_queries(
    reviewer_client, make_article, tickers, refresh, django_assert_max_num_queries, path
):
    def count(n_total: int) -> int:
        while Article.objects.count() < n_total:
            i = Article.objects.count()
            make_article(
                ["GME", "TSLA"] if i % 2 else ["SPY"], label=["positive", "negative", "neutral"][i % 3], score=i
            )
        refresh()
        url = reverse(path) + "?reviewed=no&confidence=high"
        if path.endswith("mention_changelist"):
            url = reverse(path)
        reviewer_client.get(url)  # warm the session/permission caches equally for both sizes
        with CaptureQueriesContext(connection) as ctx:
            response = reviewer_client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small = count(10)
    large = count(100)
    assert small == large, (small, large)
    with django_assert_max_num_queries(12):
        reviewer_client.get(reverse(path))


def test_changelist_filters_and_search(admin_client, make_article, tickers, refresh):
    hit = make_article(["GME"], label="negative", confidence=0.3, body="diamond hands forever")
    make_article(["TSLA"], label="positive", confidence=0.95, body="calls printing")
    refresh()
    url = reverse("admin:articles_article_changelist")
    for query, expected in [
        ("?ticker=GME", {hit.reddit_id}),
        ("?confidence=low", {hit.reddit_id}),
        ("?sentiment_label=negative", {hit.reddit_id}),
        ("?q=diamond", {hit.reddit_id}),
        (f"?q={hit.reddit_id}", {hit.reddit_id}),
        ("?reviewed=yes", set()),
        (f"?q={hit.reddit_id.upper()}", {hit.reddit_id}),
        ("?subreddit=wallstreetbets&ticker=gme", {hit.reddit_id}),
        ("?subreddit=stocks", set()),
    ]:
        response = admin_client.get(url + query)
        assert response.status_code == 200, query
        shown = {a.reddit_id for a in response.context["cl"].result_list}
        assert shown == expected, query
    page = admin_client.get(url).content.decode()
    assert "https://www.reddit.com/r/wallstreetbets/comments/" in page and "Needs review" in page


def test_hostile_text_is_escaped_in_the_admin(admin_client, make_article, tickers):
    a = make_article(["GME"], title="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">')
    for url in [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[a.pk]),
        reverse("admin:articles_article_review_queue"),
    ]:
        page = admin_client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
    a.permalink = "javascript:alert(3)"
    a.save()
    page = admin_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "javascript:alert(3)" not in page.split('href="javascript')[0] and 'href="javascript:' not in page


def test_services_handle_more_ids_than_one_statement_may_bind(make_article, tickers, refresh, reviewer):
    from articles import review

    articles = [make_article(["GME"], label="negative") for _ in range(3)]
    refresh()
    real = [a.pk for a in articles]
    # SQLite binds at most 32,766 parameters per statement; unknown ids are ignored.
    many = real + list(range(10_000_000, 10_000_000 + 33_000))
    assert review.review_mark(article_ids=many, label="positive", reviewer=reviewer) == 3
    assert _hourly("GME").positive == 3
    some = real + list(range(10_000_000, 10_000_000 + 2_500))  # several chunks
    assert review.review_mark(article_ids=some, label="neutral", reviewer=reviewer, only_unreviewed=True) == 0
    assert review.review_clear(article_ids=some) == 3
    assert review.review_requeue(article_ids=some) == 3
    assert (
        review.mention_unlink(mention_ids=[m.pk for m in Mention.objects.all()] + list(range(10**7, 10**7 + 2_500)))
        == 3
    )
    assert not TickerHourly.objects.exists()
    with pytest.raises(ValueError):
        review.review_mark(article_ids=real, label="bullish", reviewer=reviewer)


def test_changelist_count_is_capped(admin_client, make_article, tickers, monkeypatch):
    from articles import admin_filters

    monkeypatch.setattr(admin_filters, "COUNT_CAP", 5)
    for _ in range(8):
        make_article(["GME"])
    response = admin_client.get(reverse("admin:articles_article_changelist"))
    assert response.context["cl"].result_count == 6  # "more than 5": the count stopped at cap + 1
    monkeypatch.setattr(admin_filters, "COUNT_CAP", 100)
    response = admin_client.get(reverse("admin:articles_article_changelist"))
    assert response.context["cl"].result_count == 8
