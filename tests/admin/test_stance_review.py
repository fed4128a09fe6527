"""Per-ticker stance review: the queue's rows and flow (plain HTML), the services, the Mention admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from articles import review
from articles.models import Article, Mention, TickerHourly

pytestmark = pytest.mark.django_db

QUEUE = "admin:articles_article_review_queue"


def _hourly(symbol: str) -> TickerHourly:
    return TickerHourly.objects.get(ticker__symbol=symbol)


def _mention(article: Article, symbol: str) -> Mention:
    return Mention.objects.get(article=article, ticker__symbol=symbol)


def _cues(article: Article, symbol: str, cues) -> None:
    Mention.objects.filter(article=article, ticker__symbol=symbol).update(stance_cues=cues, stance_model="cues+vader")


def test_multi_ticker_article_is_reviewed_ticker_by_ticker_then_as_a_whole(
    reviewer_client, make_article, tickers, refresh
):
    pair = make_article(["GME", "TSLA"], label="negative", confidence=0.3, body="Sold my TSLA, all in GME calls")
    _cues(pair, "GME", [["all in", 0.5], ["calls", 0.6]])
    refresh()
    url = reverse(QUEUE)
    page = reviewer_client.get(url)
    rows = page.context["rows"]
    assert [(r.kind, r.title.split()[0], r.focus) for r in rows] == [
        ("ticker", "GME", True),
        ("ticker", "TSLA", False),
        ("text", "The", False),
    ]
    html = page.content.decode()
    assert "calls +0.60, all in +0.50" in html  # the cues that fired, strongest first
    gme_before, tsla_before = _hourly("GME"), _hourly("TSLA")
    assert (gme_before.negative, tsla_before.negative) == (1, 1)

    # 1 on the focused GME row: GME bullish; TSLA's rollup row is not even rewritten.
    gme = _mention(pair, "GME")
    response = reviewer_client.post(url, {"article_id": pair.pk, "offset": 0, "mention_stance": f"{gme.pk}:bullish"})
    assert response.status_code == 302 and response["Location"] == url
    gme_after, tsla_after = _hourly("GME"), _hourly("TSLA")
    assert (gme_after.positive, gme_after.negative, gme_after.sentiment_sum) == (1, 0, 1.0)
    assert (tsla_after.negative, tsla_after.updated_at) == (1, tsla_before.updated_at)
    pair.refresh_from_db()
    assert pair.reviewed_label == ""  # the article stays in the queue for its other rows

    # The same article comes back with the focus on the next row.
    page = reviewer_client.get(url)
    assert page.context["current"].pk == pair.pk
    assert [(r.reviewed, r.focus) for r in page.context["rows"]] == [("bullish", False), ("", True), ("", False)]
    tsla = _mention(pair, "TSLA")
    reviewer_client.post(url, {"article_id": pair.pk, "offset": 0, "mention_stance": f"{tsla.pk}:bearish"})
    page = reviewer_client.get(url)
    assert [r.focus for r in page.context["rows"]] == [False, False, True]

    # The whole text's label: the article leaves the queue; the stances stay as reviewed.
    reviewer_client.post(url, {"article_id": pair.pk, "offset": 0, "label": "neutral"})
    pair.refresh_from_db()
    assert pair.reviewed_label == "neutral"
    assert {m.ticker.symbol: m.effective_stance for m in pair.mentions.select_related("ticker")} == {
        "GME": "bullish",
        "TSLA": "bearish",
    }
    assert reviewer_client.get(url).context["current"] is None


def test_single_ticker_article_is_one_decision(reviewer_client, make_article, tickers, refresh):
    one = make_article(["TSLA"], label="positive", confidence=0.3)
    refresh()
    url = reverse(QUEUE)
    rows = reviewer_client.get(url).context["rows"]
    assert [(r.kind, r.focus) for r in rows] == [("both", True)]
    assert [b[1:] for b in rows[0].buttons] == [
        ("positive", "Bullish (positive)", "1"),
        ("negative", "Bearish (negative)", "2"),
        ("neutral", "Neutral (neutral)", "3"),
    ]
    reviewer_client.post(url, {"article_id": one.pk, "offset": 0, "label": "negative"})
    one.refresh_from_db()
    mention = _mention(one, "TSLA")
    assert (one.reviewed_label, mention.reviewed_stance, mention.stance) == ("negative", "bearish", "bullish")
    assert (_hourly("TSLA").positive, _hourly("TSLA").negative) == (0, 1)


def test_a_stance_for_a_mention_of_another_article_is_refused(reviewer_client, make_article, tickers, refresh):
    a = make_article(["GME", "TSLA"], label="neutral", confidence=0.1)
    b = make_article(["GME", "TSLA"], label="neutral", confidence=0.2)
    refresh()
    other = _mention(b, "GME")
    url = reverse(QUEUE)
    for value in [f"{other.pk}:bullish", f"{_mention(a, 'GME').pk}:sideways", "x:bullish"]:
        response = reviewer_client.post(url, {"article_id": a.pk, "offset": 0, "mention_stance": value}, follow=True)
        assert response.status_code == 200
    assert not Mention.objects.exclude(reviewed_stance="").exists()


def test_clear_review_clears_every_stance_review_of_the_article(reviewer, make_article, tickers, refresh):
    pair = make_article(["GME", "TSLA"], label="negative")
    refresh()
    review.stance_mark(mention_ids=[_mention(pair, "GME").pk], stance="bullish")
    review.review_mark(article_ids=[pair.pk], label="positive", reviewer=reviewer)
    assert _hourly("GME").positive == 1
    assert review.review_clear(article_ids=[pair.pk]) == 1
    assert not Mention.objects.exclude(reviewed_stance="").exists()
    assert (_hourly("GME").positive, _hourly("GME").negative) == (0, 1)


def test_mention_admin_shows_stance_and_cues_and_reviews_them(reviewer_client, make_article, tickers, refresh):
    pair = make_article(["GME", "TSLA"], label="negative", body="Sold my TSLA, all in GME calls")
    _cues(pair, "TSLA", [["sold my", -0.5]])
    refresh()
    changelist = reverse("admin:articles_mention_changelist")
    html = reviewer_client.get(changelist).content.decode()
    assert "sold my -0.50" in html and "bearish -0.80" in html and "cues+vader" in html
    tsla = _mention(pair, "TSLA")
    response = reviewer_client.post(changelist, {"action": "stance_bullish", "_selected_action": [tsla.pk]})
    assert response.status_code == 302
    tsla.refresh_from_db()
    assert tsla.reviewed_stance == "bullish" and tsla.stance_reviewed_at is not None
    assert (_hourly("TSLA").positive, _hourly("GME").negative) == (1, 1)
    html = reviewer_client.get(reverse("admin:articles_article_change", args=[pair.pk])).content.decode()
    assert "bullish (reviewed; model: bearish -0.80)" in html and "sold my -0.50" in html
    reviewer_client.post(changelist, {"action": "clear_stance_review", "_selected_action": [tsla.pk]})
    tsla.refresh_from_db()
    assert tsla.reviewed_stance == "" and _hourly("TSLA").negative == 1
    # Staff outside the reviewers group cannot.
    outsider = Client()
    outsider.force_login(User.objects.create_user("sam", password="staff-pass-123", is_staff=True))
    assert outsider.post(changelist, {"action": "stance_bullish", "_selected_action": [tsla.pk]}).status_code == 403
    tsla.refresh_from_db()
    assert tsla.reviewed_stance == ""
