"""Chart geometry (the SVG numbers the templates draw) and the number formatters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from articles import charts
from articles.selectors import TimelinePoint
from articles.templatetags import mp_format


def test_sparkline_scales_to_the_peak_and_keeps_a_baseline():
    chart = charts.sparkline([0, 5, 10], width=30, height=21)
    heights = [b.h for b in chart["bars"]]
    assert heights == [1, 11.0, 21.0]
    assert [b.y + b.h for b in chart["bars"]] == [21, 21, 21]  # bars stand on the bottom edge
    assert chart["max"] == 10 and chart["total"] == 15
    assert charts.sparkline([0, 0])["bars"][0].h == 1  # empty data still draws a tick


def test_timeline_chart_bars_line_and_labels():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    points = [
        TimelinePoint(start=start, mentions=4, scored=2, positive=2),
        TimelinePoint(start=start + timedelta(hours=1), mentions=2, scored=2, negative=2),
        TimelinePoint(start=start + timedelta(hours=2)),
    ]
    chart = charts.timeline_chart(points, granularity="hour", width=136, height=130)
    bars = chart["bars"]
    assert [b.css for b in bars] == ["pos", "neg", "neu"]
    assert bars[0].h == 84 and bars[1].h == 42 and bars[2].h == 0  # plot height 130-14-32
    assert bars[0].label == "Jan 01 00:00: 4 mentions, net sentiment +1.00"
    assert bars[2].label == "Jan 01 02:00: 0 mentions"
    # Net +1 at the top of the plot, -1 at the bottom; no point where nothing was scored.
    # plot x from 44 to 96 (52 wide), 3 slots of 17.33: centres at 52.7 and 70.0
    assert chart["segments"] == ["52.7,14.0 70.0,98.0"] and chart["dots"] == []
    assert [t["label"] for t in chart["ticks"]] == ["Jan 01 00:00", "Jan 01 01:00", "Jan 01 02:00"]
    assert [(t["x"], t["anchor"]) for t in chart["ticks"]] == [(44, "start"), (70.0, "middle"), (96, "end")]


def test_split_bar_shares():
    split = charts.split_bar(positive=1, neutral=1, negative=2, width=100)
    assert [(s["css"], s["w"]) for s in split["segments"]] == [("pos", 25.0), ("neu", 25.0), ("neg", 50.0)]
    assert split["segments"][2]["label"] == "bearish 50% (2)"
    assert charts.split_bar(positive=0, neutral=0, negative=0)["segments"] == []


def test_formatters():
    assert mp_format.rank_move(3) == "\u25b23" and mp_format.rank_move(-2) == "\u25bc2"
    assert mp_format.rank_move(None) == "new" and mp_format.rank_move(0) == "="
    assert mp_format.compact(999) == "999" and mp_format.compact(1234) == "1.2k"
    assert mp_format.compact(56789) == "57k" and mp_format.compact(2_500_000) == "2.5M"
    assert mp_format.net(0.1234) == "+0.12" and mp_format.net(None) == "\u2013"
    assert mp_format.net(-0.001) == "+0.00" and mp_format.signed_pct(-0.3) == "+0%"  # no "-0.00"
    assert mp_format.pct(33.3) == "33%" and mp_format.signed_pct(-40.7) == "-41%"
    assert mp_format.tone(0.2) == "pos" and mp_format.tone(-0.2) == "neg" and mp_format.tone(0.01) == "neu"
