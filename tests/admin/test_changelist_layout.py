"""The article and job-run changelists fit a 1280 px window (issue 13): every column on screen.
Screenshots land in the session's TEST_STATE_DIR/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from marketpulse.models import JobRun
from tests.isolation import state_dir

SHOTS = state_dir() / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _login(browser, live_server):
    User.objects.create_superuser("ada", "ada@example.com", "layout-pass-123")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "layout-pass-123")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return context, page


def _columns_on_screen(page) -> dict[str, float]:
    """Each header's right edge, for the headers that end past the window (or the table scrolls sideways)."""
    return page.evaluate(
        """() => {
        const out = {};
        const width = document.documentElement.clientWidth;
        for (const th of document.querySelectorAll('#result_list thead th')) {
            const r = th.getBoundingClientRect();
            if (r.right > width + 1 || r.width < 8) out[th.className || th.textContent.trim()] = r.right;
        }
        const scroll = document.documentElement.scrollWidth - width;
        if (scroll > 1) out['page scrolls sideways by'] = scroll;
        const box = document.querySelector('.results');
        if (box && box.scrollWidth - box.clientWidth > 1) out['results box scrolls by'] = box.scrollWidth - box.clientWidth;
        return out;
    }"""
    )


def test_article_changelist_fits_1280(browser, live_server, transactional_db, tickers, make_article):
    for i in range(12):
        make_article(
            ["GME", "TSLA", "SPY"] if i % 2 else ["YOLO"],
            label=["positive", "negative", "neutral"][i % 3],
            title="A long title about short squeezes and gamma ramps, with a bit more text " * 2,
            **({"reviewed_label": "negative", "reviewed_at": timezone.now()} if i % 4 == 0 else {}),
            subreddit="wallstreetbetsELITE",
            score=123456,
        )
    context, page = _login(browser, live_server)
    page.goto(live_server.url + reverse("admin:articles_article_changelist"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-articles-1280.png"), full_page=False)
    hidden = _columns_on_screen(page)
    context.close()
    assert not hidden, hidden


def test_jobrun_changelist_fits_1280(browser, live_server, transactional_db):
    now = timezone.now()
    for i in range(10):
        JobRun.objects.create(
            command=["scrape_reddit", "analyze_sentiment", "refresh_rollups", "daily_status"][i % 4],
            status=["succeeded", "failed", "interrupted"][i % 3],
            started_at=now - timedelta(hours=i, minutes=7),
            finished_at=now - timedelta(hours=i),
            counters={
                "posts_new": 12,
                "posts_updated": 40,
                "comments_new": 1234,
                "comments_updated": 5678,
                "requests": 97,
                "mentions": 2222,
                "skipped": 3,
            },
            error="CommandError: scrape_reddit failed: wallstreetbets: Reddit answered 503 Service Unavailable"
            if i % 3 == 1
            else "",
        )
    context, page = _login(browser, live_server)
    page.goto(live_server.url + reverse("admin:marketpulse_jobrun_changelist"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-jobruns-1280.png"), full_page=False)
    hidden = _columns_on_screen(page)
    context.close()
    assert not hidden, hidden
