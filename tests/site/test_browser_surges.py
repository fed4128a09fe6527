"""The "Surging now" strip in real headless Chromium, at desktop and phone widths (issue 29, section 3).

Launched as in test_browser.py (the system /usr/bin/chromium through Playwright; skipped,
loudly, only when it is absent).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from articles.models import Ticker

from .conftest import make_surge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def surging_live_server(seeded_live_server):
    """The site's data plus eight current surges (long names and big numbers: the strip must wrap)."""
    base, data = seeded_live_server
    now = data.now
    extra = [
        Ticker.objects.create(symbol=f"LONG{i}", name=f"Very Long Company Name Number {i}", exchange="NYSE")
        for i in range(5)
    ]
    make_surge(data.tickers["TSLA"], started=now - timedelta(hours=2), ongoing=True, authors=31, expected=5.0)
    make_surge(data.tickers["GME"], started=now - timedelta(hours=7), hours=5, authors=1200, expected=3.0)
    make_surge(data.tickers["NVDA"], started=now - timedelta(hours=4), ongoing=True, bullish=0, bearish=0, neutral=0)
    for i, ticker in enumerate(extra):
        make_surge(ticker, started=now - timedelta(hours=3 + i), ongoing=True, authors=99999, expected=1.5)
    return base, data


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_surging_now_strip_in_chromium(surging_live_server, browser, width):
    base, _data = surging_live_server
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        assert page.goto(base + "/").status == 200
        strip = page.locator("section.surging")
        assert strip.is_visible()
        assert page.locator("section.surging h2").inner_text().startswith("Surging now")
        cards = page.locator(".surge-card")
        assert cards.count() == 8
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"the home page scrolls sideways at {w}px: {sizes}"
        for i in range(cards.count()):
            box = cards.nth(i).bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= w + 0.5, (i, box)
        # The strip comes before the leaderboard, and the stance bar is drawn.
        strip_box, board_box = strip.bounding_box(), page.locator("table.board").bounding_box()
        assert strip_box["y"] + strip_box["height"] <= board_box["y"]
        mini = page.locator(".surge-card svg.split.mini").first.bounding_box()
        assert mini and mini["width"] > 20 and mini["height"] > 2
        first = cards.first
        assert first.locator("a.sym").inner_text() == "TSLA"
        assert "6.2\u00d7 usual" in first.inner_text()
        assert first.locator("time").get_attribute("title").startswith("Since ")
        with page.expect_navigation():
            first.locator("a.sym").click()
        assert page.url == base + "/t/TSLA/"
        assert page.locator("svg.chart rect.surge-band").count() == 1
        assert page.locator("table.surges-table tbody tr").count() == 1
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"the ticker page scrolls sideways at {w}px: {sizes}"
        assert not errors, errors
    finally:
        context.close()
