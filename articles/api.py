"""JSON API v1 on django-ninja: /api/v1/tickers, /api/v1/tickers/SYMBOL, /api/v1/tickers/SYMBOL/articles,
/api/v1/surges, /api/v1/status.

Operations take typed query parameters (`articles.schemas`, `Query[...]`) and return
typed schemas; django-ninja generates the OpenAPI document at /api/v1/openapi.json
from them, and the test suite checks every response against it with schemathesis.
What clients see did not change in the move (tests/site/test_api_golden.py): bad
parameters get 400 `{"error": ..., "parameter": ...}`, unknown tickers and paths a
JSON 404 (an unknown ticker wins over a bad parameter), other methods a JSON 405,
too many requests a 429 with Retry-After (`marketpulse.ratelimit`). Reads go through
`articles.selectors`,
`articles.leaderboard`, `articles.surges.selectors` and `marketpulse.runs`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import path, reverse
from ninja import NinjaAPI, Query
from ninja.errors import Throttled, ValidationError
from ninja.openapi.docs import Swagger

from articles import leaderboard, schemas, selectors
from articles.models import SYMBOL_RE, Article, Surge
from articles.prices import selectors as price_selectors
from articles.surges import selectors as surge_selectors
from marketpulse import runs
from marketpulse.ratelimit import ClientRateThrottle

PAGE_SIZE = 50
ARTICLES_PAGE_SIZE = 25
SURGES_PAGE_SIZE = surge_selectors.PAGE_SIZE
BODY_CHARS = 1000
ALLOWED_METHODS = ("GET", "HEAD")


class ApiError(Exception):
    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameter = status, message, parameter


class MarketPulseAPI(NinjaAPI):
    def get_content_type(self) -> str:
        return "application/json"  # as JsonResponse always said; clients may compare it

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        limit = settings.API_RATE_LIMIT
        for item in schema["paths"].values():
            for operation in item.values():
                operation["responses"].setdefault(
                    "405", {"description": f"Method not allowed (the API is read-only: {', '.join(ALLOWED_METHODS)})"}
                )
                if limit:
                    operation["responses"]["429"] = {
                        "description": f"Rate limit ({limit} per client address) exceeded; wait Retry-After seconds.",
                        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
        return schema


class LocalSwagger(Swagger):
    """django-ninja's Swagger UI page (its own templates and static files, no CDN: `ninja` is
    an installed app), pointed at our name for the document's URL."""

    def get_openapi_url(self, api: NinjaAPI, path_params: dict) -> str:
        return reverse("articles:api-openapi")


api = MarketPulseAPI(
    title="Market Pulse API",
    version="1.0.0",
    description=(
        "Reddit stock mentions and sentiment, from hourly rollups. Responses carry Cache-Control and ETag; "
        "send If-None-Match for a 304. Requests are rate-limited per client address (429 with Retry-After)."
    ),
    urls_namespace="articles",
    docs_url="/docs",
    docs=LocalSwagger(settings={"tryItOutEnabled": False, "defaultModelsExpandDepth": 0}),
    throttle=[ClientRateThrottle()],
)


def error(status: int, message: str, parameter: str | None = None) -> HttpResponse:
    payload: dict = {"error": message}
    if parameter:
        payload["parameter"] = parameter
    return api.create_response(None, payload, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error(exc.status, exc.message, exc.parameter)


@api.exception_handler(ValidationError)
def _bad_parameter(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    match = request.resolver_match
    symbol = (match.kwargs if match else {}).get("symbol")
    if symbol is None and match and match.url_name == "api-surges":
        symbol = request.GET.get("symbol", "").strip().upper()  # a filter: only a well-formed one can be unknown
        symbol = symbol if SYMBOL_RE.fullmatch(symbol) else None
    if symbol is not None and selectors.ticker_get(symbol=symbol) is None:
        return error(404, "unknown ticker", "symbol")  # the ticker is checked before its parameters
    parameter, message = schemas.first_bad_parameter(exc.errors)
    return error(400, message, parameter)


@api.exception_handler(selectors.InvalidCursor)
def _bad_cursor(request: HttpRequest, exc: selectors.InvalidCursor) -> HttpResponse:
    return error(400, str(exc), "cursor")


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return error(429, f"too many requests: at most {settings.API_RATE_LIMIT} per client address")


def _absolute_query(request: HttpRequest, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{request.path}?{params.urlencode()}"


_ERRORS = {400: schemas.Error, 404: schemas.Error}


@api.get(
    "/tickers",
    response={200: schemas.TickerList, 400: schemas.Error},
    url_name="api-tickers",
    operation_id="listTickers",
    summary="Top tickers by mentions in a window, with rank and change vs the previous window",
)
def tickers(request: HttpRequest, params: Query[schemas.TickerListParams]):
    """The leaderboard, 50 a page (follow `next`), and the window's mood."""
    board = leaderboard.ticker_leaderboard(
        window=params.window, include_etfs=params.etfs, page=params.page, page_size=PAGE_SIZE
    )
    mood = board.mood
    return {
        "window": params.window,
        "start": board.start,
        "end": board.end,
        "page": params.page,
        "pages": board.pages,
        "page_size": PAGE_SIZE,
        "total": board.total,
        "next": _absolute_query(request, page=params.page + 1) if board.has_next else None,
        "mood": mood,
        "results": [
            {
                "rank": r.rank,
                "rank_prev": r.rank_prev,
                "rank_change": r.rank_change,
                "symbol": r.symbol,
                "name": r.name,
                "is_etf": r.is_etf,
                "mentions": r.mentions,
                "mentions_prev": r.mentions_prev,
                "mentions_change_pct": r.mentions_change_pct,
                "upvotes": r.upvotes,
                "scored": r.scored,
                "bullish_pct": r.bullish_pct,
                "bearish_pct": r.bearish_pct,
                "sentiment": r.sentiment,
                "sparkline": r.spark,
            }
            for r in board.rows
        ],
    }


def _ticker_or_404(symbol: str):
    ticker = selectors.ticker_get(symbol=symbol)
    if ticker is None:
        raise ApiError(404, "unknown ticker", "symbol")
    return ticker


@api.get(
    "/tickers/{symbol}",
    response={200: schemas.TickerDetail, **_ERRORS},
    url_name="api-ticker",
    operation_id="getTicker",
    summary="One ticker: summary and timeline over a range",
)
def ticker_detail(request: HttpRequest, symbol: str, params: Query[schemas.RangeParams]):
    """One ticker: summary and timeline over a range. The symbol is case-insensitive (e.g. TSLA)."""
    ticker = _ticker_or_404(symbol)
    timeline = selectors.ticker_timeline_cached(ticker=ticker, range_=params.range)
    t = timeline.totals
    return {
        "symbol": ticker.symbol,
        "name": ticker.name,
        "exchange": ticker.exchange,
        "is_etf": ticker.is_etf,
        "url": request.build_absolute_uri(reverse("articles:ticker", args=[ticker.symbol])),
        "range": params.range,
        "granularity": timeline.granularity,
        "start": timeline.start,
        "end": timeline.end,
        "price": price_selectors.latest_price(ticker),
        "summary": {
            "mentions": t.mentions,
            "posts": t.posts,
            "comments": t.comments,
            "upvotes": t.upvotes,
            "scored": t.scored,
            "positive": t.positive,
            "negative": t.negative,
            "neutral": t.neutral,
            "bullish_pct": timeline.bullish_pct,
            "bearish_pct": timeline.bearish_pct,
            "neutral_pct": timeline.neutral_pct,
            "sentiment": t.sentiment,
            "mood": timeline.mood,
        },
        "timeline": timeline.points,
    }


def article_json(article: Article) -> dict:
    return {
        "reddit_id": article.reddit_id,
        "kind": article.kind,
        "subreddit": article.subreddit,
        "title": article.title,
        "body": article.body[:BODY_CHARS],
        "author": article.author,
        "upvotes": article.score,
        "num_comments": article.num_comments,
        "is_removed": article.is_removed,
        "created_utc": article.created_utc,
        "url": article.reddit_url,
        "label": article.effective_label or None,
        "reviewed": bool(article.reviewed_label),
        # Its stance on the ticker asked for (what ?label= filters on and the summary counts).
        "stance": getattr(article, "ticker_stance", "") or None,
        "sentiment": article.sentiment_score,
    }


@api.get(
    "/tickers/{symbol}/prices",
    response={200: schemas.PriceList, **_ERRORS},
    url_name="api-ticker-prices",
    operation_id="listTickerPrices",
    summary="A ticker's price bars, oldest first",
)
def ticker_prices(request: HttpRequest, symbol: str, params: Query[schemas.PriceParams]):
    """A ticker's daily (or intraday) price bars from `since`, oldest first, at most 1,000."""
    ticker = _ticker_or_404(symbol)
    bars = price_selectors.ticker_bars(ticker=ticker, since=params.since, interval=params.interval)
    return {"symbol": ticker.symbol, "interval": params.interval, "results": bars}


@api.get(
    "/tickers/{symbol}/articles",
    response={200: schemas.ArticlePage, **_ERRORS},
    url_name="api-ticker-articles",
    operation_id="listTickerArticles",
    summary="Articles that mention a ticker, cursor-paginated",
)
def ticker_articles(request: HttpRequest, symbol: str, params: Query[schemas.ArticleListParams]):
    """Articles that mention a ticker, cursor-paginated (follow `next`)."""
    ticker = _ticker_or_404(symbol)
    sort = params.sort
    since = leaderboard.window_end() - timedelta(hours=selectors.RANGES[params.range]) if sort == "top" else None
    page = selectors.ticker_articles(
        ticker=ticker,
        sort=sort,
        label=params.label_or_none,
        kind=params.kind_or_none,
        cursor=params.cursor,
        since=since,
        limit=ARTICLES_PAGE_SIZE,
    )
    return {
        "symbol": ticker.symbol,
        "sort": sort,
        "next_cursor": page.next_cursor,
        "next": _absolute_query(request, cursor=page.next_cursor) if page.next_cursor else None,
        "results": [article_json(a) for a in page.articles],
    }


def surge_json(request: HttpRequest, surge: Surge) -> dict:
    ticker = surge.ticker
    ratio = surge.ratio
    return {
        "symbol": ticker.symbol,
        "name": ticker.name,
        "url": request.build_absolute_uri(reverse("articles:ticker", args=[ticker.symbol])),
        "started_at": surge.started_at,
        "ended_at": surge.ended_at,
        "ongoing": surge.ended_at is None,
        "peak_at": surge.peak_at,
        "last_hour": surge.last_hour,
        "mentions": surge.mentions,
        "expected_mentions": round(surge.expected_mentions, 3),
        "unique_authors": surge.unique_authors,
        "expected": round(surge.expected, 3),
        "ratio": None if ratio is None else round(ratio, 2),
        "score": round(surge.score, 2),
        "bullish": surge.bullish,
        "bearish": surge.bearish,
        "neutral": surge.neutral,
        "bullish_pct": _pct(surge.bullish_pct),
        "bearish_pct": _pct(surge.bearish_pct),
        "usual_bullish_pct": _pct(surge.usual_bullish_pct),
        "usual_bearish_pct": _pct(surge.usual_bearish_pct),
        "detected_at": surge.detected_at,
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@api.get(
    "/surges",
    response={200: schemas.SurgePage, **_ERRORS},
    url_name="api-surges",
    operation_id="listSurges",
    summary="Surges: tickers talked about far above their usual level, newest first, cursor-paginated",
)
def surges(request: HttpRequest, params: Query[schemas.SurgeListParams]):
    """Recorded surges, newest first (by `started_at`), 50 a page (follow `next`).

    `since`/`until` bound `started_at`; `symbol` keeps one ticker's (a well-formed but
    unknown symbol is a 404, as everywhere in this API; a known one without surges is an
    empty list).
    """
    ticker = _ticker_or_404(params.symbol) if params.symbol else None
    if params.since and params.until and params.until <= params.since:
        raise ApiError(400, "until must be after since", "until")
    page = surge_selectors.surges_page(
        since=params.since, until=params.until, ticker=ticker, cursor=params.cursor, limit=SURGES_PAGE_SIZE
    )
    next_url = None
    if page.next_cursor:
        next_url = request.build_absolute_uri(_absolute_query(request, cursor=page.next_cursor))
    return {
        "next_cursor": page.next_cursor,
        "next": next_url,
        "results": [surge_json(request, s) for s in page.surges],
    }


@api.get(
    "/status",
    response=schemas.Status,
    url_name="api-status",
    operation_id="getStatus",
    summary="Last run of each job, the scoring backlog, scraper freshness",
)
def status(request: HttpRequest):
    """Last run of each job, the scoring backlog, scraper freshness. Four queries."""
    fresh = runs.scraper_freshness()
    return {
        "scraper": {
            "last_success": fresh.last_success_at,
            "minutes_ago": fresh.minutes_ago,
            "stale": fresh.is_stale,
            "stale_after_minutes": fresh.stale_after_minutes,
        },
        "backlog": selectors.articles_backlog_count(),
        "jobs": [
            {
                "command": run.command,
                "status": run.status,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "duration_seconds": run.duration_seconds,
                "counters": run.counters if isinstance(run.counters, dict) else {},
                "error": run.error[:500],
            }
            for run in (summary.last for summary in runs.job_runs_latest())
        ],
    }


def index(request: HttpRequest) -> HttpResponse:
    """/api/v1/: what the API is and where everything is (the docs, the document, each endpoint)."""
    document = api.get_openapi_schema(path_prefix=reverse("articles:api-root"))
    endpoints = [
        {
            "method": method.upper(),
            "path": route,
            "url": request.build_absolute_uri(route),
            "operation_id": operation.get("operationId", ""),
            "summary": operation.get("summary", ""),
        }
        for route, item in document["paths"].items()
        for method, operation in item.items()
    ]
    return api.create_response(
        request,
        {
            "name": api.title,
            "version": api.version,
            "description": api.description,
            "docs": request.build_absolute_uri(reverse("articles:api-docs")),
            "openapi": request.build_absolute_uri(reverse("articles:api-openapi")),
            "endpoints": endpoints,
        },
        status=200,
    )


def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error(404, "no such API endpoint")


def read_only(view: Callable) -> Callable:
    """GET and HEAD (answered as GET; the server drops the body); any other method a JSON 405."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method not in ALLOWED_METHODS:
            response = error(405, f"method {request.method} not allowed")
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return response
        if request.method == "HEAD":
            request.method = "GET"
            try:
                return view(request, *args, **kwargs)
            finally:
                request.method = "HEAD"
        return view(request, *args, **kwargs)

    wrapper.csrf_exempt = True  # read-only; other methods get the JSON 405, not the CSRF 403 page
    return wrapper


NAMES = {"openapi-json": "api-openapi", "openapi-view": "api-docs"}


def urlpatterns(prefix: str = "api/v1/") -> list:
    """django-ninja's URL patterns under `prefix`, each read-only: its root (the base of the
    document's paths) is the JSON index, `docs` the Swagger UI; `prefix` without its slash
    redirects to the index."""
    patterns = []
    for pattern in api.urls[0]:
        view = index if pattern.name == "api-root" else pattern.callback
        patterns.append(
            path(prefix + str(pattern.pattern), read_only(view), name=NAMES.get(pattern.name, pattern.name))
        )
    patterns.append(path(prefix.rstrip("/"), read_only(lambda request: HttpResponsePermanentRedirect("/" + prefix))))
    return patterns
