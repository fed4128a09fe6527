"""Public pages: the leaderboard (/) under its "Surging now" strip, a ticker (/t/SYMBOL/) with
its surges on the chart and in a table, browse/search (/tickers/).

Thin views: parse parameters (the typed models of `articles.schemas`, shared with
the API), call `selectors`, shape chart
geometry (`charts`), render. Aggregates come from the rollups only. Cache-Control,
ETag/304 and the CSP header are added by `marketpulse.middleware`.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from pydantic import ValidationError

from articles import charts, leaderboard, schemas, selectors
from articles.models import LABEL_TO_STANCE, Surge
from articles.surges import selectors as surge_selectors
from articles.templatetags import mp_format
from marketpulse.runs import scraper_freshness


def _bad_request(request: HttpRequest, parameter: str, message: str) -> HttpResponse:
    context = {"error": message, "parameter": parameter, "freshness": scraper_freshness()}
    return render(request, "articles/bad_request.html", context, status=400)


def _params(model: type[schemas.Schema], request: HttpRequest):
    """(params, None), or (None, the 400 page) for the first bad parameter."""
    try:
        return model.model_validate(request.GET.dict()), None
    except ValidationError as exc:
        return None, _bad_request(request, *schemas.first_bad_parameter(exc))


def _query(request: HttpRequest, **changes) -> str:
    """The current query string with `changes` applied (None removes a key)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    params, bad = _params(schemas.TickerListParams, request)
    if bad:
        return bad
    window, page, include_etfs = params.window, params.page, params.etfs
    board = leaderboard.ticker_leaderboard(window=window, include_etfs=include_etfs, page=page, page_size=50)
    context = {
        "board": board,
        "surging": [surge_card(s) for s in surge_selectors.surges_now()],
        "mood_bar": charts.split_bar(
            positive=board.mood.positive, neutral=board.mood.neutral, negative=board.mood.negative
        ),
        "freshness": scraper_freshness(),
        "windows": [(w, _query(request, window=w, page=None)) for w in leaderboard.WINDOWS],
        "etf_toggle": _query(request, etfs="0" if include_etfs else "1", page=None),
        "next_page": _query(request, page=str(page + 1)) if board.has_next else None,
        "prev_page": _query(request, page=str(page - 1)) if page > 1 else None,
        "first_page": _query(request, page=None),
    }
    return render(request, "articles/home.html", context)


def surge_split(surge: Surge, *, width: int = 300, height: int = 16) -> dict:
    """The bull / neutral / bear split of a surge's scored mentions, for `_split.svg.html`."""
    return charts.split_bar(
        positive=surge.bullish, neutral=surge.neutral, negative=surge.bearish, width=width, height=height
    )


def surge_card(surge: Surge) -> dict:
    """What the home page's "Surging now" strip shows of one surge."""
    return {"surge": surge, "split": surge_split(surge, width=100, height=8), "split_id": f"surge-split-{surge.pk}"}


@require_safe
def ticker_detail(request: HttpRequest, symbol: str) -> HttpResponse:
    ticker = selectors.ticker_get(symbol=symbol)
    if ticker is None:
        context = {"symbol": symbol[:20], "freshness": scraper_freshness()}
        return render(request, "articles/ticker_404.html", context, status=404)
    if ticker.symbol != symbol:
        return redirect("articles:ticker", symbol=ticker.symbol, permanent=True)
    params, bad = _params(schemas.TickerPageParams, request)
    if bad:
        return bad
    range_, sort, label, kind, cursor = (
        params.range,
        params.sort,
        params.label_or_none,
        params.kind_or_none,
        params.cursor,
    )
    if cursor:
        try:
            selectors.decode_cursor(cursor, sort=sort)  # a bad cursor is a 400 here, before any cache lookup
        except selectors.InvalidCursor as exc:
            return _bad_request(request, "cursor", str(exc))
    # Rollups are refreshed after every write to articles, mentions, scores and reviews
    # (the jobs' contract), so their version also dates the article list.
    version = leaderboard.rollups_version()
    span_start, _end, _step = selectors.timeline_span(range_)
    surges = surge_selectors.ticker_surges(ticker=ticker, since=span_start)  # the chart's bands and the table
    timeline, chart_svg = _timeline_and_chart(ticker, range_, version, surges)
    end = leaderboard.window_end()
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
    articles_key = f"mp:arts:{ticker.pk}:{end.timestamp():.0f}:{version}:{query}"
    articles_html = cache.get(articles_key)
    if articles_html is None:
        since = end - timedelta(hours=selectors.RANGES[range_]) if sort == "top" else None
        page = selectors.ticker_articles(ticker=ticker, sort=sort, label=label, kind=kind, cursor=cursor, since=since)
        articles_html = render_to_string(
            "articles/_articles.html",
            {
                "page": page,
                "next_page": _query(request, cursor=page.next_cursor) if page.next_cursor else None,
                "first_page": _query(request, cursor=None) if cursor else None,
            },
        )
        cache.set(articles_key, articles_html, leaderboard.LEADERBOARD_CACHE_SECONDS)
    context = {
        "ticker": ticker,
        "timeline": timeline,
        "chart_svg": chart_svg,
        "split": charts.split_bar(
            positive=timeline.totals.positive, neutral=timeline.totals.neutral, negative=timeline.totals.negative
        ),
        "articles_html": articles_html,
        "surges": [
            {"surge": s, "split": surge_split(s, width=60, height=8), "split_id": f"surge-split-{s.pk}"} for s in surges
        ],
        "range": range_,
        "sort": sort,
        "label": label or "all",
        "kind": kind or "all",
        "ranges": [(r, _query(request, range=r, cursor=None)) for r in selectors.RANGES],
        "sorts": [(s, _query(request, sort=s, cursor=None)) for s in selectors.SORTS],
        # The filter is on each mention's stance on this ticker; `label=` keeps the API's values
        # (positive = bullish), the links say what they filter.
        "labels": [
            (x, LABEL_TO_STANCE.get(x, x), _query(request, label=None if x == "all" else x, cursor=None))
            for x in ("all", *selectors.LABELS)
        ],
        "kinds": [(x, _query(request, kind=None if x == "all" else x, cursor=None)) for x in ("all", *selectors.KINDS)],
        "freshness": scraper_freshness(),
        "top_candidates": f"{selectors.TOP_CANDIDATES:,}",
    }
    return render(request, "articles/ticker.html", context)


def surge_band(surge: Surge) -> tuple:
    """A surge as a shaded span of the ticker chart: `(from, to, tooltip)`."""
    start, end = surge_selectors.surge_span(surge)
    until = "ongoing" if surge.ended_at is None else f"to {surge.ended_at:%b %d %H:00}"
    label = (
        f"Surge: {surge.ticker.symbol} at {mp_format.times(surge.ratio)} its usual level, {start:%b %d %H:00} {until}"
    )
    return start, end, label


def _bands_desc(count: int) -> str:
    if not count:
        return ""
    return f" Shaded bands mark {count} surge{'' if count == 1 else 's'} (talked about far above its usual level)."


def _timeline_and_chart(ticker, range_: str, version: str, surges: list[Surge]) -> tuple[selectors.Timeline, str]:
    """The timeline and its rendered SVG chart (the surges shaded), cached together under the
    rollups' version and the surges' fingerprint."""
    key = selectors.timeline_cache_key(ticker=ticker, range_=range_, version=version)
    key += f":svg:{surge_selectors.surges_fingerprint(surges)}"
    bundle = cache.get(key)
    if bundle is None:
        timeline = selectors.ticker_timeline(ticker=ticker, range_=range_)
        chart = charts.timeline_chart(
            timeline.points, granularity=timeline.granularity, bands=[surge_band(s) for s in surges]
        )
        svg = charts.render_timeline(
            chart,
            title=f"{ticker.symbol}: mentions per {timeline.granularity} and net sentiment, last {range_}",
            desc=(
                f"{timeline.totals.mentions} mentions in total, at most {chart['max']} in one {timeline.granularity}; "
                "bars are mentions, coloured by net sentiment; the line is net sentiment from -1 (bottom) to +1 (top)."
                + _bands_desc(len(chart["bands"]))
            ),
        )
        bundle = (timeline, svg)
        cache.set(key, bundle, leaderboard.LEADERBOARD_CACHE_SECONDS)
    return bundle


@require_safe
def ticker_list(request: HttpRequest) -> HttpResponse:
    params, bad = _params(schemas.SearchParams, request)
    if bad:
        return bad
    q = params.q
    tickers = selectors.ticker_search(q=q, limit=100)
    context = {"q": q, "tickers": tickers, "freshness": scraper_freshness(), "limit": 100}
    return render(request, "articles/ticker_list.html", context)


@functools.cache
def _favicon_svg() -> bytes:
    path = finders.find("favicon.svg")
    return Path(path).read_bytes() if path else b""


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and crawlers ask for whatever a page links: the site's SVG icon.

    Served here, not by a redirect to /static/, so it also works before collectstatic;
    a day of caching keeps it off the access log.
    """
    icon = _favicon_svg()
    response = HttpResponse(icon, content_type="image/svg+xml") if icon else HttpResponse(status=204)
    patch_cache_control(response, public=True, max_age=86400)
    return response
