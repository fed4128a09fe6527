"""Surges on the pages (issue 29, section 3): the home page's "Surging now" strip, the ticker
page's shaded chart bands and its table of surges, and the chart geometry behind the bands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from articles import charts, selectors
from articles.surges import selectors as surge_selectors
from articles.templatetags.mp_format import ago, times

from .conftest import make_surge


def strip(html: str) -> str:
    assert '<section class="surging"' in html
    return html.split('<section class="surging"', 1)[1].split("</section>", 1)[0]


def cards(html: str) -> list[str]:
    return re.findall(r'<a class="sym" href="/t/([A-Z0-9.\-]+)/">', strip(html))


def bands(html: str) -> list[str]:
    """The tooltips of the chart's shaded surge bands, left to right."""
    chart = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r'<rect class="surge-band"[^>]*><title>([^<]*)</title></rect>', chart)


def table_rows(html: str) -> list[str]:
    if '<table class="board surges-table">' not in html:
        return []
    body = html.split('<table class="board surges-table">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("</tr>")[:-1]


# --- Home: "Surging now" ---------------------------------------------------------------------------


def test_no_strip_when_nothing_surges(client, site_data):
    old = site_data.now - timedelta(days=2)
    make_surge(site_data.tickers["GME"], started=old)  # ended long ago: not "now"
    html = client.get("/").content.decode()
    assert "Surging now" not in html and 'class="surging"' not in html
    assert '<table class="board">' in html  # the leaderboard as before


def test_the_strip_lists_current_surges_above_the_leaderboard(client, site_data):
    now = site_data.now
    t = site_data.tickers
    make_surge(t["TSLA"], started=now - timedelta(hours=3), ongoing=True, authors=31, expected=5.0)
    make_surge(t["GME"], started=now - timedelta(hours=8), hours=6, authors=12, expected=3.0)  # ended ~2 h ago
    make_surge(t["NVDA"], started=now - timedelta(hours=20), hours=4)  # ended ~16 h ago: gone
    html = client.get("/").content.decode()
    assert html.index('<section class="surging"') < html.index('<table class="board">')
    assert cards(html) == ["TSLA", "GME"]  # newest first
    tsla, gme = strip(html).split('<li class="surge-card">')[1:]
    assert "6.2\u00d7 usual" in tsla and "4.0\u00d7 usual" in gme
    started = t["TSLA"].surges.get().started_at
    assert f'since <time datetime="{started.isoformat()}" title="Since {started:%Y-%m-%d %H:%M} UTC">' in tsla
    assert re.search(r">\d h ago</time>", tsla)
    assert "ended <time" in gme and "h ago</time>" in gme
    assert '<svg class="split mini"' in tsla and "Stance during the surge: bullish" in tsla
    assert '<span class="pos">56%</span>&nbsp;/&nbsp;<span class="neg">17%</span>' in tsla  # 10 and 3 of 18 scored
    assert client.get("/t/TSLA/").status_code == 200  # the card's link


def test_the_strip_shows_at_most_a_few(client, site_data):
    for i in range(12):
        make_surge(site_data.tickers["TSLA"], started=site_data.now - timedelta(hours=2 + i), hours=3 + i, ongoing=True)
    assert len(cards(client.get("/").content.decode())) == surge_selectors.NOW_LIMIT


def test_surges_now_selector(db, site_data):
    now = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    tsla, gme = site_data.tickers["TSLA"], site_data.tickers["GME"]
    ongoing = make_surge(tsla, started=now - timedelta(days=2), hours=48, ongoing=True)  # judged until 1 h ago
    make_surge(gme, started=now - timedelta(days=9), ongoing=True)  # left open 9 days ago: stale, not "now"
    recent = make_surge(gme, started=now - timedelta(hours=9), hours=4)  # ended 4.5 h before now
    make_surge(gme, started=now - timedelta(hours=20), hours=4)  # ended 15.5 h before
    make_surge(tsla, started=now + timedelta(hours=2), ongoing=True)  # after `now` (a replay's future)
    assert surge_selectors.surges_now(now=now) == [recent, ongoing]
    assert surge_selectors.surges_now(now=now, hours=2) == [ongoing]


def test_filters():
    assert times(6.25) == "6.2\u00d7" and times(None) == "\u2013"
    from django.utils import timezone

    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - timedelta(minutes=12, seconds=5)) == "12 min ago"
    assert ago(now - timedelta(hours=3, minutes=1)) == "3 h ago"
    assert ago(now - timedelta(days=3, minutes=1)) == "3 days ago"


# --- Ticker page: bands and table ------------------------------------------------------------------


def test_surges_are_shaded_on_the_chart_and_listed_under_it(client, site_data):
    t = site_data.tickers["TSLA"]
    now = site_data.now
    make_surge(
        t, started=now - timedelta(hours=5), ongoing=True, authors=31, expected=5.0, bullish=12, bearish=4, neutral=4
    )
    make_surge(t, started=now - timedelta(days=3), hours=4, authors=9, expected=2.0, bullish=0, bearish=0, neutral=0)
    make_surge(t, started=now - timedelta(days=20), hours=2)  # outside 7d
    make_surge(site_data.tickers["GME"], started=now - timedelta(hours=4), ongoing=True)  # another ticker
    html = client.get("/t/TSLA/").content.decode()
    tips = bands(html)
    assert len(tips) == 2
    assert tips[0].startswith("Surge: TSLA at 6.2\u00d7 its usual level") and tips[0].endswith("ongoing")
    assert "4.5\u00d7" in tips[1] and " to " in tips[1]
    assert "Shaded bands mark 2 surges" in html  # the chart's <desc>
    assert '<span class="key surge-band"></span> Surges' in html  # the legend
    rows = table_rows(html)
    assert len(rows) == 2
    assert "<strong>ongoing</strong>" in rows[0] and "31 / 5.0" in rows[0] and "6.2\u00d7" in rows[0]
    assert '<span class="pos">60%</span> / <span class="neg">20%</span>' in rows[0]  # 12 and 4 of 20 scored
    assert "ongoing" not in rows[1] and "9 / 2.0" in rows[1] and "4.5\u00d7" in rows[1] and "\u2013" in rows[1]
    # 30 days: the third one too; 24 hours: only the open one.
    assert len(bands(client.get("/t/TSLA/?range=30d").content.decode())) == 3
    day = client.get("/t/TSLA/?range=24h").content.decode()
    assert len(bands(day)) == len(table_rows(day)) == 1


def test_band_geometry_follows_the_surges_hours(client, site_data):
    t = site_data.tickers["TSLA"]
    start, _end, _step = selectors.timeline_span("24h")
    make_surge(t, started=start + timedelta(hours=6), hours=6)  # the 7th to the 12th of 24 hours
    html = client.get("/t/TSLA/?range=24h").content.decode()
    x, w = map(float, re.search(r'<rect class="surge-band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', html).groups())
    left, right = 44, 720 - 40  # the chart's plot margins
    slot = (right - left) / 24
    assert x == pytest.approx(left + 6 * slot, abs=0.01) and w == pytest.approx(6 * slot, abs=0.01)


def test_no_surges_says_so_and_draws_no_band(client, site_data):
    html = client.get("/t/GME/").content.decode()
    assert "No surges in the last 7d." in html
    assert bands(html) == [] and "surge-band" not in html.split("</svg>", 1)[0].split('<svg class="chart"')[-1]
    assert '<span class="key surge-band">' not in html


def test_a_new_surge_shows_at_once_despite_the_chart_cache(client, site_data):
    t = site_data.tickers["TSLA"]
    assert bands(client.get("/t/TSLA/").content.decode()) == []
    surge = make_surge(t, started=site_data.now - timedelta(hours=3), ongoing=True)
    assert len(bands(client.get("/t/TSLA/").content.decode())) == 1
    surge.ended_at = surge.last_hour + timedelta(hours=1)
    surge.save()  # the detector closes it: the cached chart is not reused
    assert "ongoing" not in bands(client.get("/t/TSLA/").content.decode())[0]


def test_chart_and_table_come_from_one_selector_call(client, site_data, monkeypatch):
    t = site_data.tickers["TSLA"]
    surge = make_surge(t, started=site_data.now - timedelta(hours=3), ongoing=True)
    calls = []
    real = surge_selectors.ticker_surges

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(surge_selectors, "ticker_surges", spy)
    html = client.get("/t/TSLA/").content.decode()
    assert len(calls) == 1 and calls[0]["ticker"] == t
    assert len(bands(html)) == len(table_rows(html)) == 1
    assert surge.peak_at.strftime("%Y-%m-%d %H:%M") in table_rows(html)[0]


# --- Geometry ----------------------------------------------------------------------------------------


def test_time_bands_clip_drop_and_keep_a_minimum_width():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(hours=100)
    spans = [
        (start - timedelta(hours=10), start + timedelta(hours=10), "clipped left"),
        (start + timedelta(hours=50), start + timedelta(hours=50, minutes=1), "thin"),
        (start + timedelta(hours=95), end + timedelta(hours=5), "clipped right"),
        (end, end + timedelta(hours=1), "after"),
        (start - timedelta(hours=2), start, "before"),
    ]
    got = charts.time_bands(spans, start=start, end=end, left=0, right=100)
    assert [(b.label, b.x, b.w) for b in got] == [
        ("clipped left", 0, 10),
        ("thin", 50, charts.MIN_BAND_WIDTH),
        ("clipped right", 95, 5),
    ]


def test_band_titles_are_escaped():
    point = type("P", (), {"start": datetime(2026, 11, 1, tzinfo=UTC), "mentions": 1, "sentiment": None})
    chart = charts.timeline_chart(
        [point], granularity="hour", bands=[(point.start, point.start + timedelta(hours=1), "<script>x</script>")]
    )
    svg = charts.render_timeline(chart, title="t", desc="d")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
