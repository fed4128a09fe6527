"""Geometry for the server-rendered inline SVG charts (no JavaScript, no CDN).

The geometry functions compute numbers (unit-tested); the `render_*` functions turn
the big, repetitive charts into markup with `format_html`, so every text that ends
up in the SVG (titles, labels) is escaped; the small split bar is drawn by a
template (`_split.svg.html`, autoescaped). Colours come from CSS classes, so dark
mode is a stylesheet concern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from articles.leaderboard import mood_label


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: int | float
    label: str = ""
    css: str = ""


def sparkline(values: Sequence[int], *, width: int = 96, height: int = 24, gap: float = 1.0) -> dict:
    """Bars for a small sparkline; a zero value still draws a 1px baseline tick."""
    n = max(1, len(values))
    top = max(values) if values else 0
    slot = width / n
    w = round(max(slot - gap, 0.5), 2)
    scale = (height - 1) / top if top else 0.0
    bars = []
    for i, v in enumerate(values):
        h = round(scale * v + 1, 2)
        bars.append(Bar(x=round(i * slot, 2), y=round(height - h, 2), w=w, h=h, value=v))
    return {"width": width, "height": height, "bars": bars, "max": top, "total": sum(values)}


def _fmt_time(moment: datetime, granularity: str) -> str:
    return moment.strftime("%b %d") if granularity == "day" else moment.strftime("%b %d %H:00")


@dataclass
class Band:
    """A shaded span of the chart (a surge's hours), with its tooltip."""

    x: float
    w: float
    label: str


MIN_BAND_WIDTH = 3.0  # a one-hour surge on a 90-day chart is still visible


def time_bands(
    spans: Sequence[tuple[datetime, datetime, str]],
    *,
    start: datetime,
    end: datetime,
    left: float,
    right: float,
) -> list[Band]:
    """Each `(from, to, label)` span as an x range over a plot from `left` (at `start`) to
    `right` (at `end`), clipped to it; spans wholly outside are dropped."""
    total = (end - start).total_seconds()
    bands = []
    for begin, finish, label in spans:
        if total <= 0 or finish <= start or begin >= end:
            continue
        x0 = left + (right - left) * max(0.0, (begin - start).total_seconds() / total)
        x1 = left + (right - left) * min(1.0, (finish - start).total_seconds() / total)
        w = max(x1 - x0, MIN_BAND_WIDTH)
        x0 = min(x0, right - w)
        bands.append(Band(x=round(x0, 2), w=round(w, 2), label=label))
    return bands


def timeline_chart(
    points: Sequence,
    *,
    granularity: str,
    width: int = 720,
    height: int = 240,
    bands: Sequence[tuple[datetime, datetime, str]] = (),
) -> dict:
    """Mention bars plus a net-sentiment line (-1..1) for a ticker's timeline.

    `points` are `selectors.TimelinePoint`s. Returns the bars (each with its own
    label for a `<title>` tooltip); the sentiment line as `segments` (SVG points
    strings), broken wherever an hour or day had nothing scored, so the line never
    invents a trend across a gap, and `dots` for a scored point with no scored
    neighbour; the zero line; the bars' scale on the left, the line's (-1..+1) on the
    right; a few x-axis labels; `bands` (`(from, to, label)`: the ticker's surges) as
    shaded x ranges behind the bars. The margins leave room for labels at the size a phone
    needs (the stylesheet enlarges them on narrow screens).
    """
    pad_left, pad_right, pad_top, pad_bottom = 44, 40, 14, 32
    plot_w = width - pad_left - pad_right
    plot_h = height - pad_top - pad_bottom
    n = max(1, len(points))
    slot = plot_w / n
    top = max((p.mentions for p in points), default=0)
    bars: list[Bar] = []
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(points):
        x = pad_left + i * slot
        h = plot_h * p.mentions / top if top else 0
        net = p.sentiment
        mood = {"bullish": "pos", "bearish": "neg"}.get(mood_label(net), "neu")
        label = f"{_fmt_time(p.start, granularity)}: {p.mentions} mentions"
        if net is not None:
            label += f", net sentiment {net:+.2f}"
        bars.append(
            Bar(
                x=round(x + 0.5, 2),
                y=round(pad_top + plot_h - h, 2),
                w=round(max(slot - 1, 0.5), 2),
                h=round(h, 2),
                value=p.mentions,
                label=label,
                css=mood,
            )
        )
        if net is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x + slot / 2, pad_top + plot_h * (1 - (net + 1) / 2)))
    segments = [" ".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs if len(run) > 1]
    dots = [{"x": round(run[0][0], 1), "y": round(run[0][1], 1)} for run in runs if len(run) == 1]
    ticks = []
    if points:
        last = len(points) - 1
        for index in sorted({0, len(points) // 2, last}):
            # The end labels hug the plot's edges so they are never clipped.
            anchor = "start" if index == 0 else "end" if index == last else "middle"
            x = (
                pad_left
                if anchor == "start"
                else width - pad_right
                if anchor == "end"
                else pad_left + index * slot + slot / 2
            )
            ticks.append({"x": round(x, 1), "label": _fmt_time(points[index].start, granularity), "anchor": anchor})
    shaded: list[Band] = []
    if points and bands:
        step = timedelta(days=1) if granularity == "day" else timedelta(hours=1)
        first = points[0].start
        shaded = time_bands(bands, start=first, end=first + step * len(points), left=pad_left, right=width - pad_right)
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "bands": shaded,
        "segments": segments,
        "dots": dots,
        "zero_y": round(pad_top + plot_h / 2, 1),
        "plot_left": pad_left,
        "plot_right": width - pad_right,
        "plot_top": pad_top,
        "plot_bottom": pad_top + plot_h,
        "max": top,
        "ticks": ticks,
        "axis_y": height - 8,
    }


def split_bar(*, positive: int, neutral: int, negative: int, width: int = 300, height: int = 16) -> dict:
    """One horizontal bar split into bullish / neutral / bearish shares."""
    total = positive + neutral + negative
    segments = []
    x = 0.0
    for css, label, value in (("pos", "bullish", positive), ("neu", "neutral", neutral), ("neg", "bearish", negative)):
        w = width * value / total if total else 0
        if w > 0:
            pct = 100.0 * value / total
            segments.append({"x": round(x, 2), "w": round(w, 2), "css": css, "label": f"{label} {pct:.0f}% ({value})"})
        x += w
    return {"width": width, "height": height, "segments": segments, "total": total}


# --- Rendering -------------------------------------------------------------------------------
# The SVG markup is built here rather than in template loops: a page has up to 50
# sparklines x 24 bars and a 168-bar chart, and Django's template engine spends
# ~5 us per node, which made the home page render in ~250 ms. Every text that goes
# into the markup passes through `escape`/`format_html`; numbers are formatted by us.


def _num(value: float) -> str:
    return f"{value:g}"


def render_sparkline(chart: dict, *, title: str, title_id: str) -> SafeString:
    rects = "".join(f'<rect x="{b.x:g}" y="{b.y:g}" width="{b.w:g}" height="{b.h:g}"/>' for b in chart["bars"])
    return format_html(
        '<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{tid}">'
        '<title id="{tid}">{title}</title>{rects}</svg>',
        w=chart["width"],
        h=chart["height"],
        tid=title_id,
        title=title,
        rects=mark_safe(rects),
    )


def render_timeline(chart: dict, *, title: str, desc: str) -> SafeString:
    # Bar labels are escaped one by one; classes and coordinates are ours (fixed words, numbers).
    bars = "".join(
        f'<rect class="bar {b.css}" x="{b.x:g}" y="{b.y:g}" width="{b.w:g}" height="{b.h:g}"><title>{escape(b.label)}</title></rect>'
        for b in chart["bars"]
    )
    ticks = "".join(
        format_html(
            '<text class="tick" x="{}" y="{}" text-anchor="{}">{}</text>',
            _num(t["x"]),
            chart["axis_y"],
            t["anchor"],
            t["label"],
        )
        for t in chart["ticks"]
    )
    left_x, right_x = chart["plot_left"] - 4, chart["plot_right"] + 4
    top, zero, bottom = chart["plot_top"], chart["zero_y"], chart["plot_bottom"]
    # Mentions on the left (the bars), net sentiment on the right (the line); the
    # labels sit on their gridlines (dominant-baseline: central).
    scales = format_html(
        '<text class="tick scale-left" x="{lx}" y="{t}" text-anchor="end">{max}</text>'
        '<text class="tick scale-left" x="{lx}" y="{b}" text-anchor="end">0</text>'
        '<text class="tick scale-right" x="{rx}" y="{t}">+1</text>'
        '<text class="tick scale-right" x="{rx}" y="{z}">0</text>'
        '<text class="tick scale-right" x="{rx}" y="{b}">\u22121</text>',
        lx=_num(left_x),
        rx=_num(right_x),
        t=top,
        z=_num(zero),
        b=bottom,
        max=chart["max"],
    )
    top_y, plot_h = chart["plot_top"], chart["plot_bottom"] - chart["plot_top"]
    bands = "".join(
        f'<rect class="surge-band" x="{b.x:g}" y="{top_y:g}" width="{b.w:g}" height="{plot_h:g}">'
        f"<title>{escape(b.label)}</title></rect>"
        f'<rect class="surge-cap" x="{b.x:g}" y="{top_y:g}" width="{b.w:g}" height="3"/>'  # visible when thin
        for b in chart.get("bands", ())
    )
    lines = "".join(format_html('<polyline class="line" points="{}"/>', points) for points in chart["segments"])
    dots = "".join(
        format_html('<circle class="dot" cx="{}" cy="{}" r="2.5"/>', _num(d["x"]), _num(d["y"])) for d in chart["dots"]
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="timeline-title timeline-desc">'
        '<title id="timeline-title">{title}</title><desc id="timeline-desc">{desc}</desc>'
        '<line class="axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="zero" x1="{l}" y1="{z}" x2="{r}" y2="{z}"/>'
        "{bands}{scales}{bars}{lines}{dots}{ticks}</svg>",
        w=chart["width"],
        h=chart["height"],
        title=title,
        desc=desc,
        l=chart["plot_left"],
        r=chart["plot_right"],
        b=chart["plot_bottom"],
        z=_num(chart["zero_y"]),
        scales=scales,
        bands=mark_safe(bands),
        bars=mark_safe(bars),
        lines=mark_safe(lines),
        dots=mark_safe(dots),
        ticks=mark_safe(ticks),
    )
