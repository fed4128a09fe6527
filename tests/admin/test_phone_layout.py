"""The review queue and the stance-version tables in headless Chromium (issue 30, item 8):
no sideways scroll on a 390 px phone (scrollWidth <= clientWidth), every column of the
stance versions reachable, the versions' changelist whole at 1280 px, ids as stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from sentiment.models import StanceModelVersion

pytestmark = [pytest.mark.browser, pytest.mark.slow]

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LONG = "Gamma-squeeze-megathread-" * 6  # one unbroken 150-character word

OVERFLOW = """() => {
  const de = document.documentElement;
  const wide = [];
  for (const el of document.querySelectorAll('#content *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > de.clientWidth + 1 && !el.closest('.stance-versions, .results')) {
      wide.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`);
    }
  }
  return {scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, wide: wide.slice(0, 8)};
}"""

# A column is cut when its cells end past what its box can show or scroll to.
CUT_COLUMNS = """(selector) => {
  const table = document.querySelector(selector);
  if (!table) return ['no table ' + selector];
  const box = table.parentElement;
  const style = getComputedStyle(box);
  const scrolls = ['auto', 'scroll'].includes(style.overflowX);
  const reach = box.getBoundingClientRect().left + (scrolls ? box.scrollWidth : box.clientWidth);
  const cut = [];
  for (const th of table.querySelectorAll('thead th')) {
    const r = th.getBoundingClientRect();
    if (r.right > reach + 1 || r.width < 8) cut.push(th.textContent.trim().slice(0, 30));
  }
  return cut;
}"""


def _versions(n: int = 8) -> None:
    for i in range(n):
        StanceModelVersion.objects.create(
            version=f"20261130T{12 + i:02d}0000Z-abcdef{i:04d}",
            kind="linear",
            uri=f"var/stance-models/versions/v{i}",
            created_at=T0 + timedelta(hours=i),
            git_sha="0123456789abcdef",
            metrics={
                "macro_recall": 0.41,
                "directional_macro_recall": 0.40,
                "accuracy": 0.95,
                "per_class": {"bullish": {"precision": 0.41, "recall": 0.38}},
            },
            baseline_name="linear:20261130T120000Z-aaaaaaaaaa",
            baseline_metrics={"macro_recall": 0.9872},
            data_counts={
                "total": 306,
                "by_source": {"demo": {"bullish": 131, "bearish": 130}},
                "train": {"total": 244},
                "held_out": {"total": 62},
            },
            promoted=i == 3,
            decision="refused: macro recall 0.4100 is not above the current scorer's 0.9872",
        )


def _login(browser, live_server, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "layout-pass-123")
    with page.expect_navigation():
        page.click("input[type=submit]")
    return context, page


@pytest.fixture
def admin_data(transactional_db, tickers, make_article):
    User.objects.create_superuser("ada", "ada@example.com", "layout-pass-123")
    _versions()
    make_article(
        ["GME", "TSLA"],
        label="negative",
        confidence=0.40,
        vader="positive",
        title=f"{LONG} GME and TSLA both ripping",
        body=f"{LONG} " + "calls calls calls " * 30,
        score=5000,
    )
    for i in range(5):
        make_article(["GME"], label="neutral", confidence=0.5, title=f"{LONG}{i}", score=i)


def test_phone_390_nothing_scrolls_sideways(browser, live_server, admin_data):
    context, page = _login(browser, live_server, 390)
    try:
        for name in ("admin:articles_article_review_queue", "admin:articles_article_quality"):
            page.goto(live_server.url + reverse(name))
            measured = page.evaluate(OVERFLOW)
            assert measured["scrollWidth"] <= measured["clientWidth"], (name, measured)
            assert not measured["wide"], (name, measured)
        page.goto(live_server.url + reverse("admin:articles_article_review_queue"))
        # The queue's keys still work on the stacked rows.
        assert page.locator("tr.review-row.review-focus").count() == 1
        assert page.locator("tr.review-row").first.locator("button").first.is_visible()
        page.goto(live_server.url + reverse("admin:sentiment_stancemodelversion_changelist"))
        measured = page.evaluate(OVERFLOW)
        assert measured["scrollWidth"] <= measured["clientWidth"], measured
        assert page.evaluate(CUT_COLUMNS, "#stance-versions-table") == []
    finally:
        context.close()


def test_versions_changelist_shows_every_column_at_1280_with_ids_as_stored(browser, live_server, admin_data):
    context, page = _login(browser, live_server, 1280)
    try:
        page.goto(live_server.url + reverse("admin:sentiment_stancemodelversion_changelist"))
        measured = page.evaluate(OVERFLOW)
        assert measured["scrollWidth"] <= measured["clientWidth"], measured
        box = page.evaluate(
            "(() => { const b = document.querySelector('#changelist-form .results');"
            " return [b.scrollWidth, b.clientWidth]; })()"
        )
        assert box[0] <= box[1], f"the changelist hides {box[0] - box[1]} px of columns behind a scroll"
        assert page.evaluate(CUT_COLUMNS, "#stance-versions-table") == []
        header = page.locator("#stance-versions-table th[data-version]").first
        assert header.inner_text().startswith("20261130T190000Z-abcdef0007"), header.inner_text()
        page.goto(live_server.url + reverse("admin:articles_article_quality"))
        header = page.locator("#stance-versions-table th[data-version]").first
        assert header.inner_text().startswith("20261130T190000Z-abcdef0007"), header.inner_text()
    finally:
        context.close()
