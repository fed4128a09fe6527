"""The ticker chart reads on its own (issue 13): a legend, a scale for the sentiment line,
a line that breaks where nothing was scored, axis labels that stay legible on a phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from articles import charts
from articles.selectors import TimelinePoint

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 1, tzinfo=UTC)


def _points(nets: list[float | None]) -> list[TimelinePoint]:
    out = []
    for i, net in enumerate(nets):
        if net is None:
            out.append(TimelinePoint(start=START + timedelta(hours=i), mentions=1))
        else:
            # net = (bullish - bearish) / scored, over 10 scored mentions
            bullish, bearish = max(0, round(10 * net)), max(0, round(-10 * net))
            out.append(
                TimelinePoint(
                    start=START + timedelta(hours=i),
                    mentions=10,
                    scored=10,
                    positive=bullish,
                    negative=bearish,
                    neutral=10 - bullish - bearish,
                )
            )
    return out


def test_the_line_breaks_where_nothing_was_scored():
    chart = charts.timeline_chart(_points([0.5, 0.2, None, None, -0.3, -0.1, None, 0.9]), granularity="hour")
    assert [len(s.split()) for s in chart["segments"]] == [2, 2]  # hours 0-1 and 4-5
    assert len(chart["dots"]) == 1  # hour 7 stands alone: a dot, not a line to hour 5
    svg = str(charts.render_timeline(chart, title="t", desc="d"))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1


def test_one_scored_hour_is_still_drawn():
    chart = charts.timeline_chart(_points([None, 0.4, None]), granularity="hour")
    assert chart["segments"] == [] and len(chart["dots"]) == 1


def test_the_sentiment_line_has_its_own_scale_and_the_bars_theirs():
    chart = charts.timeline_chart(_points([0.5, -0.5]), granularity="hour")
    svg = str(charts.render_timeline(chart, title="t", desc="d"))
    right = re.findall(r'<text class="tick scale-right"[^>]*>([^<]+)</text>', svg)
    assert right == ["+1", "0", "\u22121"]
    left = re.findall(r'<text class="tick scale-left"[^>]*>([^<]+)</text>', svg)
    assert left == ["10", "0"]
    # The right scale sits outside the plot, the line inside it.
    xs = [float(x) for x in re.findall(r'class="tick scale-right" x="([\d.]+)"', svg)]
    assert min(xs) > chart["plot_right"]


def test_the_ticker_page_has_a_legend(client, site_data):
    html = client.get("/t/TSLA/").content.decode()
    legend = html.split('<ul class="chart-legend"', 1)[1].split("</ul>", 1)[0]
    assert "Mentions per hour" in legend and "left scale" in legend
    assert "Net sentiment" in legend and "right scale" in legend
    assert "bullish" in legend and "bearish" in legend
    assert "Mentions per day" in client.get("/t/TSLA/?range=90d").content.decode()


def test_axis_labels_grow_on_a_narrow_screen():
    css = (ROOT / "static" / "css" / "site.css").read_text()
    narrow = re.search(r"@media \(max-width: 480px\)\s*\{(.*?)\n\}", css, re.S)
    assert narrow and re.search(r"svg\.chart \.tick\s*\{\s*font-size:\s*2\dpx", narrow.group(1))
