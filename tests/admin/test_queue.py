"""The "Needs review" queue: its ordering (hand-computed values) and the plain-HTML flow."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import review
from articles.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_set(make_article, tickers, refresh, monkeypatch, reviewer):
    monkeypatch.setattr(review, "QUEUE_TOP_N", 1)
    # GME is today's top ticker: twelve reviewed articles (not in the queue) make it so.
    for _ in range(12):
        a = make_article(["GME"], label="positive", confidence=0.99)
        review.review_mark(article_ids=[a.pk], label="positive", reviewer=reviewer)
    arts = {
        "A": make_article(["TSLA"], label="positive", confidence=0.45, score=0),
        "B": make_article(["TSLA"], label="positive", confidence=0.9, vader="negative", score=0),
        "C": make_article(["TSLA"], label="neutral", confidence=0.9, score=1000),
        "D": make_article(["GME"], label="negative", confidence=0.8, score=0),
        "E": make_article(["TSLA"], label="neutral", confidence=1.0, vader="neutral", score=99),
        "F": make_article(["TSLA"], label="neutral", confidence=0.2, score=-50, vader="neutral"),
    }
    # Not in the queue: removed, unscored, reviewed, older than QUEUE_DAYS.
    make_article(
        ["TSLA"],
        confidence=0.05,
        vader="negative",
        score=5000,
        created=timezone.now() - timedelta(days=review.QUEUE_DAYS, hours=1),
    )
    make_article(["TSLA"], confidence=0.1, is_removed=True, body="", title="")
    make_article(["TSLA"], scored=False)
    done = make_article(["TSLA"], confidence=0.1)
    review.review_mark(article_ids=[done.pk], label="neutral", reviewer=reviewer)
    refresh()
    return arts


def test_queue_order_and_values(queue_set, tickers):
    assert review.top_ticker_ids() == [tickers["GME"].pk]
    rows = list(review.review_queue())
    by_id = {a.pk: name for name, a in queue_set.items()}
    # Hand-computed: 2(1-conf) + 1.5[VADER disagrees] + min(1, ln(1+max(up,0))/ln 1001) + 1[top ticker]
    expected = {
        "B": 2 * 0.1 + 1.5,  # 1.7
        "F": 2 * 0.8,  # 1.6 (negative upvotes count as 0)
        "D": 2 * 0.2 + 1.0,  # 1.4
        "C": 2 * 0.1 + 1.0,  # 1.2
        "A": 2 * 0.55,  # 1.1
        "E": math.log(100) / math.log(1001),  # 0.667
    }
    assert [by_id[a.pk] for a in rows] == ["B", "F", "D", "C", "A", "E"]
    top = review.top_ticker_ids()
    for a in rows:
        assert a.review_value == pytest.approx(expected[by_id[a.pk]], abs=1e-9), by_id[a.pk]
        # The display split adds up to what SQL computed.
        assert sum(review.review_value_parts(a, top_ids=top).values()) == pytest.approx(a.review_value, abs=1e-9)


def test_queue_page_reviews_and_skips_without_javascript(reviewer_client, reviewer, queue_set):
    url = reverse("admin:articles_article_review_queue")
    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert page.context["current"].pk == queue_set["B"].pk
    html = page.content.decode()
    assert 'name="label" value="positive"' in html and 'data-key="1"' in html and 'name="skip"' in html
    assert "admin-review/queue.js" in html and "<script>" not in html.split("</head>")[1]

    response = reviewer_client.post(url, {"article_id": queue_set["B"].pk, "label": "negative", "offset": "0"})
    assert response.status_code == 302 and response["Location"] == url
    b = Article.objects.get(pk=queue_set["B"].pk)
    assert (b.reviewed_label, b.reviewed_by, b.sentiment_label) == ("negative", reviewer, "positive")
    assert reviewer_client.get(url).context["current"].pk == queue_set["F"].pk

    response = reviewer_client.post(url, {"skip": "1", "offset": "0"})
    assert response["Location"] == url + "?offset=1"
    assert reviewer_client.get(response["Location"]).context["current"].pk == queue_set["D"].pk

    # Reviewing an already reviewed article leaves it alone; a bad label does nothing.
    reviewer_client.post(url, {"article_id": queue_set["B"].pk, "label": "positive"})
    assert Article.objects.get(pk=queue_set["B"].pk).reviewed_label == "negative"
    reviewer_client.post(url, {"article_id": queue_set["F"].pk, "label": "bullish"})
    assert Article.objects.get(pk=queue_set["F"].pk).reviewed_label == ""
    assert reviewer_client.get(url + "?offset=junk").status_code == 200
    assert reviewer_client.get(url + "?offset=500").context["current"] is None


def test_queue_page_is_a_fixed_number_of_queries(
    reviewer_client, queue_set, make_article, django_assert_max_num_queries
):
    url = reverse("admin:articles_article_review_queue")
    reviewer_client.get(url)
    # 11: the current article's mentions with their stances (one query) came with per-ticker review.
    with django_assert_max_num_queries(11):
        reviewer_client.get(url)
    for _ in range(30):
        make_article(["TSLA", "SPY"], confidence=0.5)
    with django_assert_max_num_queries(11):
        assert len(reviewer_client.get(url).context["upcoming"]) == 20
