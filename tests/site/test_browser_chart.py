"""The ticker chart in headless Chromium on a phone and a desktop (issue 13): legend visible,
axis labels legible, no sideways scroll. Screenshots land in the session's TEST_STATE_DIR/screenshots/."""

from __future__ import annotations

import pytest

from tests.isolation import state_dir

from .test_browser import _open

SHOTS = state_dir() / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize(("name", "width"), [("phone", 390), ("desktop", 1100)])
def test_chart_reads_on_a_phone_and_a_desktop(seeded_live_server, browser, name, width):
    base, _ = seeded_live_server
    context, page, events = _open(browser, viewport={"width": width, "height": 900})
    page.goto(base + "/t/TSLA/?range=24h")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section.chart-box").screenshot(path=str(SHOTS / f"chart-{name}.png"))
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('svg.chart text.tick')).map(t => t.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 9, f"axis labels are {min(sizes):.1f}px tall at {width}px"
    assert page.locator("ul.chart-legend").is_visible()
    assert page.locator("svg.chart text.scale-right").count() == 3
    assert page.locator("svg.chart polyline.line").count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert not events["errors"], events["errors"]
    context.close()
