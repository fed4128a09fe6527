"""The site in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Never downloads a browser: it launches the system binary and skips, loudly, only when
that binary is absent (`.ci/pre.d/10-chromium.sh` installs it in CI).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(browser, **context_kwargs):
    context = browser.new_context(**context_kwargs)
    page = context.new_page()
    events = {"console": [], "dialogs": [], "errors": []}
    page.on("console", lambda m: events["console"].append(m.text))
    page.on("pageerror", lambda e: events["errors"].append(str(e)))

    def on_dialog(dialog):
        events["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return context, page, events


def _svg_size(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} not rendered"
    return box["width"], box["height"]


def test_home_ticker_and_admin_login_in_chromium(seeded_live_server, browser, settings):
    base, _data = seeded_live_server
    context, page, events = _open(browser)

    response = page.goto(base + "/")
    assert response.status == 200
    assert page.locator("table.board tbody tr").count() == 3
    assert page.locator("table.board tbody tr").first.locator("th a").inner_text() == "TSLA"
    w, h = _svg_size(page, "svg.spark")
    assert w > 0 and h > 0
    assert page.locator("svg.spark").first.locator("title").text_content().startswith("TSLA: mentions per hour")
    # The stylesheet came through (static files, same origin, allowed by the CSP).
    assert page.evaluate("getComputedStyle(document.querySelector('svg.spark')).width") == "96px"

    page.click("text=TSLA")
    page.wait_for_url("**/t/TSLA/")
    w, h = _svg_size(page, "svg.chart")
    assert w > 300 and h > 50
    assert page.locator("svg.chart rect.bar").count() == 168
    assert page.locator("svg.split rect").count() >= 1
    # The hostile title is shown as text, and none of its payloads ran.
    assert page.get_by_text('<script>window.__xss=1;console.log("XSS")</script>', exact=False).count() == 1
    assert page.evaluate("window.__xss") is None
    page.goto(base + "/t/TSLA/?label=negative&kind=post")
    assert page.evaluate("window.__xss") is None

    response = page.goto(base + "/" + settings.ADMIN_URL)
    assert response.status == 200
    assert page.locator("input[name=username]").count() == 1 and page.locator("input[name=password]").count() == 1
    assert "Log in" in page.content()

    assert not events["dialogs"], events["dialogs"]
    assert not events["errors"], events["errors"]
    assert not [m for m in events["console"] if "XSS" in m], events["console"]
    public_csp_violations = [m for m in events["console"] if "Content Security Policy" in m and "admin" not in m]
    assert not public_csp_violations, public_csp_violations
    context.close()


def test_phone_width_and_dark_mode(seeded_live_server, browser):
    base, _ = seeded_live_server
    context, page, _events = _open(browser, viewport={"width": 375, "height": 740}, color_scheme="dark")
    for path in ("/", "/t/TSLA/?range=90d"):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
    w, _h = _svg_size(page, "svg.chart")
    assert 200 < w <= 375
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    context, page, _events = _open(browser, color_scheme="light")
    page.goto(base + "/")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert dark_bg == "rgb(15, 19, 24)" and light_bg == "rgb(255, 255, 255)"
