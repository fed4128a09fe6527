"""JSON API v1: /api/v1/tickers, /api/v1/tickers/SYMBOL, /api/v1/tickers/SYMBOL/articles, /api/v1/status.

Described by the OpenAPI 3 document at /api/v1/openapi.json (`articles.openapi`),
which the test suite checks against these responses with schemathesis. Bad
parameters get 400 `{"error": ..., "parameter": ...}`; unknown tickers and paths a
JSON 404; other methods a JSON 405. Reads go through `articles.selectors`,
`articles.leaderboard` and `marketpulse.runs`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from articles import api_params, leaderboard, openapi, selectors
from articles.models import Article
from marketpulse import runs

PAGE_SIZE = 50
ARTICLES_PAGE_SIZE = 25
BODY_CHARS = 1000


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def error(status: int, message: str, parameter: str | None = None) -> JsonResponse:
    payload: dict = {"error": message}
    if parameter:
        payload["parameter"] = parameter
    return JsonResponse(payload, status=status)


def api_view(func: Callable) -> Callable:
    """GET/HEAD only; BadParameter and InvalidCursor become a 400 JSON error."""

    @csrf_exempt  # read-only endpoints; other methods get a JSON 405 below, not the CSRF 403 page
    @wraps(func)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = error(405, f"method {request.method} not allowed")
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return func(request, *args, **kwargs)
        except api_params.BadParameter as exc:
            return error(400, exc.message, exc.parameter)
        except selectors.InvalidCursor as exc:
            return error(400, str(exc), "cursor")

    return wrapper


def _absolute_query(request: HttpRequest, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{request.path}?{params.urlencode()}"


@api_view
def tickers(request: HttpRequest) -> JsonResponse:
    window = api_params.window(request.GET)
    page = api_params.page(request.GET)
    include_etfs = api_params.flag(request.GET, "etfs", True)
    board = leaderboard.ticker_leaderboard(window=window, include_etfs=include_etfs, page=page, page_size=PAGE_SIZE)
    mood = board.mood
    return JsonResponse(
        {
            "window": window,
            "start": _iso(board.start),
            "end": _iso(board.end),
            "page": page,
            "pages": board.pages,
            "page_size": PAGE_SIZE,
            "total": board.total,
            "next": _absolute_query(request, page=page + 1) if board.has_next else None,
            "mood": {
                "label": mood.label,
                "sentiment": mood.sentiment,
                "mentions": mood.mentions,
                "scored": mood.scored,
                "bullish_pct": mood.bullish_pct,
                "bearish_pct": mood.bearish_pct,
            },
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
    )


def _ticker_or_404(symbol: str):
    ticker = selectors.ticker_get(symbol=symbol)
    if ticker is None:
        return None, error(404, "unknown ticker", "symbol")
    return ticker, None


@api_view
def ticker_detail(request: HttpRequest, symbol: str) -> JsonResponse:
    ticker, missing = _ticker_or_404(symbol)
    if missing:
        return missing
    range_ = api_params.range_(request.GET)
    timeline = selectors.ticker_timeline_cached(ticker=ticker, range_=range_)
    t = timeline.totals
    return JsonResponse(
        {
            "symbol": ticker.symbol,
            "name": ticker.name,
            "exchange": ticker.exchange,
            "is_etf": ticker.is_etf,
            "url": request.build_absolute_uri(reverse("articles:ticker", args=[ticker.symbol])),
            "range": range_,
            "granularity": timeline.granularity,
            "start": _iso(timeline.start),
            "end": _iso(timeline.end),
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
            "timeline": [
                {
                    "start": _iso(p.start),
                    "mentions": p.mentions,
                    "posts": p.posts,
                    "comments": p.comments,
                    "upvotes": p.upvotes,
                    "scored": p.scored,
                    "positive": p.positive,
                    "negative": p.negative,
                    "neutral": p.neutral,
                    "sentiment": p.sentiment,
                }
                for p in timeline.points
            ],
        }
    )


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
        "created_utc": _iso(article.created_utc),
        "url": article.reddit_url,
        "label": article.effective_label or None,
        "reviewed": bool(article.reviewed_label),
        # Its stance on the ticker asked for (what ?label= filters on and the summary counts).
        "stance": getattr(article, "ticker_stance", "") or None,
        "sentiment": article.sentiment_score,
    }


@api_view
def ticker_articles(request: HttpRequest, symbol: str) -> JsonResponse:
    ticker, missing = _ticker_or_404(symbol)
    if missing:
        return missing
    sort = api_params.sort(request.GET)
    label = api_params.label(request.GET)
    kind = api_params.kind(request.GET)
    cursor = api_params.cursor(request.GET)
    range_ = api_params.range_(request.GET)
    since = leaderboard.window_end() - timedelta(hours=selectors.RANGES[range_]) if sort == "top" else None
    page = selectors.ticker_articles(
        ticker=ticker, sort=sort, label=label, kind=kind, cursor=cursor, since=since, limit=ARTICLES_PAGE_SIZE
    )
    return JsonResponse(
        {
            "symbol": ticker.symbol,
            "sort": sort,
            "next_cursor": page.next_cursor,
            "next": _absolute_query(request, cursor=page.next_cursor) if page.next_cursor else None,
            "results": [article_json(a) for a in page.articles],
        }
    )


@api_view
def status(request: HttpRequest) -> JsonResponse:
    """The scraper's freshness, the sentiment backlog and the latest run of each job. Four queries."""
    fresh = runs.scraper_freshness()
    return JsonResponse(
        {
            "scraper": {
                "last_success": _iso(fresh.last_success_at),
                "minutes_ago": fresh.minutes_ago,
                "stale": fresh.is_stale,
                "stale_after_minutes": fresh.stale_after_minutes,
            },
            "backlog": selectors.articles_backlog_count(),
            "jobs": [
                {
                    "command": run.command,
                    "status": run.status,
                    "started_at": _iso(run.started_at),
                    "finished_at": _iso(run.finished_at),
                    "duration_seconds": run.duration_seconds,
                    "counters": run.counters if isinstance(run.counters, dict) else {},
                    "error": run.error[:500],
                }
                for run in (summary.last for summary in runs.job_runs_latest())
            ],
        }
    )


@api_view
def openapi_document(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 1})


@api_view
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error(404, "no such API endpoint")
