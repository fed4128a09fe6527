"""A reviewer works the queue with the keyboard in real headless Chromium, and the
public ticker page follows.

Drives Debian's /usr/bin/chromium through Playwright (no downloaded browser);
skips, saying so, only when that binary is absent.
"""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse

from articles.models import Article, TickerHourly

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _split_text(browser, url: str) -> str:
    """The ticker page's label split sentence, read by a fresh visitor (no cache)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 200
        return " ".join(page.locator(".split-box p").first.inner_text().split())
    finally:
        context.close()


def test_reviewer_reviews_three_articles_with_the_keyboard(
    browser, live_server, transactional_db, make_article, tickers, refresh, reviewers_group
):
    from django.contrib.auth.models import User

    reviewer = User.objects.create_user("kim", password="kim-review-pass-1", is_staff=True)
    reviewer.groups.add(reviewers_group)
    # Three unsure, disagreeing, bearish-by-model GME posts top the queue; one confident bullish one trails.
    queued = [
        make_article(
            ["GME"], label="negative", confidence=0.40 + i / 100, vader="positive", score=50 - i, title=f"GME post {i}"
        )
        for i in range(3)
    ]
    calm = make_article(["GME"], label="positive", confidence=0.99, vader="positive", score=1, title="GME calm post")
    refresh()
    ticker_url = live_server.url + reverse("articles:ticker", kwargs={"symbol": "GME"})
    before = _split_text(browser, ticker_url)
    assert re.search(r"\b75% bearish\b", before) and re.search(r"\bof 4 scored\b", before), before
    hourly_before = TickerHourly.objects.get(ticker__symbol="GME")
    assert (hourly_before.positive, hourly_before.negative) == (1, 3)

    context = browser.new_context()
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "kim")
    page.fill("#id_password", "kim-review-pass-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:articles_article_review_queue"))

    seen = []
    for key in ["1", "j", "1", "3"]:
        current = page.locator("#review-current").get_attribute("data-article-id")
        seen.append(int(current))
        with page.expect_navigation():
            page.keyboard.press(key)
    # 1 on the first; j skipped the second (offset 1); 1 on the third; the skipped one
    # stays at offset 0, so 3 lands on the calm post.
    assert seen == [queued[0].pk, queued[1].pk, queued[2].pk, calm.pk]
    assert (
        "positive" in page.locator(".messagelist").inner_text()
        or "neutral" in page.locator(".messagelist").inner_text()
    )
    context.close()
    assert csp_errors == []

    reviewed = {a.pk: a for a in Article.objects.exclude(reviewed_label="")}
    assert {pk: a.reviewed_label for pk, a in reviewed.items()} == {
        queued[0].pk: "positive",
        queued[2].pk: "positive",
        calm.pk: "neutral",
    }
    assert all(a.reviewed_by_id == reviewer.pk for a in reviewed.values())
    model_labels = {a.pk: a.sentiment_label for a in Article.objects.all()}
    assert model_labels == {**{q.pk: "negative" for q in queued}, calm.pk: "positive"}  # model output untouched

    hourly_after = TickerHourly.objects.get(ticker__symbol="GME")
    assert (hourly_after.positive, hourly_after.negative, hourly_after.neutral) == (2, 1, 1)
    after = _split_text(browser, ticker_url)
    assert after != before
    assert re.search(r"\b50% bullish\b", after) and re.search(r"\b25% bearish\b", after), after


def test_queue_works_without_javascript(
    browser, live_server, transactional_db, make_article, tickers, refresh, reviewers_group
):
    from django.contrib.auth.models import User

    user = User.objects.create_user("lee", password="lee-review-pass-1", is_staff=True)
    user.groups.add(reviewers_group)
    a = make_article(["TSLA"], label="neutral", confidence=0.3)
    b = make_article(["TSLA"], label="neutral", confidence=0.6)
    refresh()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "lee")
    page.fill("#id_password", "lee-review-pass-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:articles_article_review_queue"))
    assert page.locator("#review-current").get_attribute("data-article-id") == str(a.pk)
    with page.expect_navigation():
        page.click("button[name=skip]")
    assert page.locator("#review-current").get_attribute("data-article-id") == str(b.pk)
    with page.expect_navigation():
        page.click("button[value=negative]")
    context.close()
    b.refresh_from_db()
    a.refresh_from_db()
    assert (b.reviewed_label, a.reviewed_label) == ("negative", "")
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == "true"


def test_reviewer_reviews_two_tickers_of_one_article_with_the_keyboard(
    browser, live_server, transactional_db, make_article, tickers, refresh, reviewers_group
):
    """ "Sold my TSLA, all in GME calls", scored bearish as a whole: the reviewer gives each
    ticker its own stance, then labels the whole text, with keys only; each ticker page follows."""
    from django.contrib.auth.models import User

    from articles.models import Mention

    reviewer = User.objects.create_user("noa", password="noa-review-pass-1", is_staff=True)
    reviewer.groups.add(reviewers_group)
    pair = make_article(["GME", "TSLA"], label="negative", confidence=0.2, vader="positive", score=90)
    make_article(["GME"], label="positive", confidence=0.99, score=1, title="GME calm post")
    refresh()
    gme_url = live_server.url + reverse("articles:ticker", kwargs={"symbol": "GME"})
    tsla_url = live_server.url + reverse("articles:ticker", kwargs={"symbol": "TSLA"})
    assert re.search(r"\b50% bullish\b.*\b50% bearish\b", _split_text(browser, gme_url))
    assert re.search(r"\b0% neutral\b.*\b100% bearish\b", _split_text(browser, tsla_url))

    context = browser.new_context()
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "noa")
    page.fill("#id_password", "noa-review-pass-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:articles_article_review_queue"))

    def focused() -> str:
        return " ".join(page.locator("tr.review-focus th").inner_text().split())

    assert page.locator("#review-current").get_attribute("data-article-id") == str(pair.pk)
    assert focused() == "GME"
    with page.expect_navigation():
        page.keyboard.press("1")  # GME bullish
    assert focused() == "TSLA" and "GME: bullish" in page.locator(".messagelist").inner_text()
    page.keyboard.press("ArrowDown")  # to the whole text, and back: no request
    assert focused().startswith("The whole text")
    page.keyboard.press("ArrowUp")
    assert focused() == "TSLA"
    with page.expect_navigation():
        page.keyboard.press("3")  # TSLA neutral
    assert focused().startswith("The whole text")
    with page.expect_navigation():
        page.keyboard.press("2")  # the whole text: negative; the article leaves the queue
    assert page.locator("#review-current").get_attribute("data-article-id") != str(pair.pk)
    context.close()
    assert csp_errors == []

    pair.refresh_from_db()
    assert (pair.reviewed_label, pair.sentiment_label) == ("negative", "negative")
    reviewed = dict(Mention.objects.filter(article=pair).values_list("ticker__symbol", "reviewed_stance"))
    assert reviewed == {"GME": "bullish", "TSLA": "neutral"}
    assert re.search(r"\b100% bullish\b.*\b0% bearish\b", _split_text(browser, gme_url))
    assert re.search(r"\b100% neutral\b.*\b0% bearish\b", _split_text(browser, tsla_url))
