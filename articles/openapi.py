"""The OpenAPI 3 document for /api/v1/, served at /api/v1/openapi.json.

Written by hand next to `articles.api` and checked against it by schemathesis in
`tests/site/test_api_schema.py`: every response must match these schemas.
"""

from __future__ import annotations

from articles import api_params, leaderboard, selectors
from articles.models import SYMBOL_PATTERN

_NUM_OR_NULL = {"type": ["number", "null"]}
_INT = {"type": "integer", "minimum": 0}
_PCT = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
_SENT = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
_TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


_BAD = _json(_ref("Error"), "Bad parameter")
_NOT_FOUND = _json(_ref("Error"), "Unknown ticker")
_SYMBOL = {
    "name": "symbol",
    "in": "path",
    "required": True,
    "description": "Ticker symbol, case-insensitive (e.g. TSLA).",
    # The symbol rule (articles.models.SYMBOL_PATTERN) in any case: the page upper-cases it.
    "schema": {"type": "string", "pattern": SYMBOL_PATTERN.replace("A-Z", "A-Za-z")},
    "example": "TSLA",
}


def _enum_param(name: str, values, default: str | None, description: str) -> dict:
    schema: dict = {"type": "string", "enum": list(values)}
    if default:
        schema["default"] = default
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def document() -> dict:
    schemas = {
        "Error": _obj({"error": {"type": "string"}, "parameter": {"type": "string"}}, required=["error"]),
        "Mood": _obj(
            {
                "label": {"type": "string", "enum": ["bullish", "bearish", "neutral", "unknown"]},
                "sentiment": _SENT,
                "mentions": _INT,
                "scored": _INT,
                "bullish_pct": _PCT,
                "bearish_pct": _PCT,
            }
        ),
        "TickerRow": _obj(
            {
                "rank": {"type": "integer", "minimum": 1},
                "rank_prev": {"type": ["integer", "null"], "minimum": 1},
                "rank_change": {
                    "type": ["integer", "null"],
                    "description": "Places climbed since the previous window.",
                },
                "symbol": {"type": "string"},
                "name": {"type": "string"},
                "is_etf": {"type": "boolean"},
                "mentions": {"type": "integer", "minimum": 1},
                "mentions_prev": _INT,
                "mentions_change_pct": _NUM_OR_NULL,
                "upvotes": {"type": "integer"},
                "scored": _INT,
                "bullish_pct": _PCT,
                "bearish_pct": _PCT,
                "sentiment": _SENT,
                "sparkline": {"type": "array", "items": _INT, "minItems": 24, "maxItems": 24},
            }
        ),
        "TickerList": _obj(
            {
                "window": {"type": "string", "enum": list(leaderboard.WINDOWS)},
                "start": _TIME,
                "end": _TIME,
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1},
                "total": _INT,
                "next": {"type": ["string", "null"]},
                "mood": _ref("Mood"),
                "results": {"type": "array", "items": _ref("TickerRow")},
            }
        ),
        "Counts": _obj(
            {
                "mentions": _INT,
                "posts": _INT,
                "comments": _INT,
                "upvotes": {"type": "integer"},
                "scored": _INT,
                "positive": _INT,
                "negative": _INT,
                "neutral": _INT,
                "sentiment": _SENT,
            }
        ),
        "TimelinePoint": {
            "allOf": [_ref("Counts"), _obj({"start": _TIME})],
        },
        "TickerDetail": _obj(
            {
                "symbol": {"type": "string"},
                "name": {"type": "string"},
                "exchange": {"type": "string"},
                "is_etf": {"type": "boolean"},
                "url": {"type": "string"},
                "range": {"type": "string", "enum": list(selectors.RANGES)},
                "granularity": {"type": "string", "enum": ["hour", "day"]},
                "start": _TIME,
                "end": _TIME,
                "summary": {
                    "allOf": [
                        _ref("Counts"),
                        _obj(
                            {
                                "bullish_pct": _PCT,
                                "bearish_pct": _PCT,
                                "neutral_pct": _PCT,
                                "mood": {"type": "string", "enum": ["bullish", "bearish", "neutral", "unknown"]},
                            }
                        ),
                    ]
                },
                "timeline": {"type": "array", "items": _ref("TimelinePoint")},
            }
        ),
        "Article": _obj(
            {
                "reddit_id": {"type": "string"},
                "kind": {"type": "string", "enum": list(selectors.KINDS)},
                "subreddit": {"type": "string"},
                "title": {"type": "string"},
                "body": {"type": "string", "maxLength": 1000},
                "author": {"type": "string"},
                "upvotes": {"type": "integer"},
                "num_comments": _INT,
                "is_removed": {"type": "boolean"},
                "created_utc": _TIME,
                "url": {
                    "type": "string",
                    "description": "The article on Reddit (https://www.reddit.com/...); empty when its permalink is not a Reddit path.",
                },
                "label": {
                    "type": ["string", "null"],
                    "enum": [*selectors.LABELS, None],
                    "description": "The whole text's effective sentiment label.",
                },
                "reviewed": {"type": "boolean"},
                "stance": {
                    "type": ["string", "null"],
                    "enum": ["bullish", "bearish", "neutral", None],
                    "description": "Its effective stance on this ticker (what ?label= filters on: positive = bullish).",
                },
                "sentiment": _SENT,
            }
        ),
        "ArticlePage": _obj(
            {
                "symbol": {"type": "string"},
                "sort": {"type": "string", "enum": list(selectors.SORTS)},
                "next_cursor": {"type": ["string", "null"]},
                "next": {"type": ["string", "null"]},
                "results": {"type": "array", "items": _ref("Article")},
            }
        ),
        "JobRun": _obj(
            {
                "command": {"type": "string"},
                "status": {"type": "string", "enum": ["running", "succeeded", "failed", "interrupted"]},
                "started_at": _TIME,
                "finished_at": {"type": ["string", "null"], "format": "date-time"},
                "duration_seconds": _NUM_OR_NULL,
                "counters": {"type": "object"},
                "error": {"type": "string"},
            }
        ),
        "Status": _obj(
            {
                "scraper": _obj(
                    {
                        "last_success": {"type": ["string", "null"], "format": "date-time"},
                        "minutes_ago": {"type": ["integer", "null"], "minimum": 0},
                        "stale": {"type": "boolean"},
                        "stale_after_minutes": {"type": "integer", "minimum": 1},
                    }
                ),
                "backlog": _INT,
                "jobs": {"type": "array", "items": _ref("JobRun")},
            }
        ),
    }
    page_param = {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "1-based page of 50 rows.",
        "schema": {"type": "integer", "minimum": 1, "maximum": api_params.MAX_PAGE, "default": 1},
    }
    etfs_param = {
        "name": "etfs",
        "in": "query",
        "required": False,
        "description": "Include ETFs (default true).",
        "schema": {"type": "boolean", "default": True},
    }
    range_param = _enum_param(
        "range", selectors.RANGES, "7d", "Time range; hourly points for 24h/7d, daily for 30d/90d."
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Market Pulse API",
            "version": "1.0.0",
            "description": "Reddit stock mentions and sentiment, from hourly rollups. Responses carry Cache-Control and ETag; "
            "send If-None-Match for a 304.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/tickers": {
                "get": {
                    "operationId": "listTickers",
                    "summary": "Top tickers by mentions in a window, with rank and change vs the previous window",
                    "parameters": [
                        _enum_param("window", leaderboard.WINDOWS, "24h", "Window: last 24 hours, 7 days or 30 days."),
                        page_param,
                        etfs_param,
                    ],
                    "responses": {"200": _json(_ref("TickerList"), "A page of ranked tickers"), "400": _BAD},
                }
            },
            "/api/v1/tickers/{symbol}": {
                "get": {
                    "operationId": "getTicker",
                    "summary": "One ticker: summary and timeline over a range",
                    "parameters": [_SYMBOL, range_param],
                    "responses": {
                        "200": _json(_ref("TickerDetail"), "Summary and timeline"),
                        "400": _BAD,
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/tickers/{symbol}/articles": {
                "get": {
                    "operationId": "listTickerArticles",
                    "summary": "Articles that mention a ticker, cursor-paginated",
                    "parameters": [
                        _SYMBOL,
                        _enum_param(
                            "sort",
                            selectors.SORTS,
                            "new",
                            "new: newest first; top: most upvoted among the newest 1,000 mentions within `range`.",
                        ),
                        _enum_param(
                            "label",
                            ("all", *selectors.LABELS),
                            "all",
                            "The mention's effective stance on this ticker: positive = bullish, negative = bearish.",
                        ),
                        _enum_param("kind", ("all", *selectors.KINDS), "all", "Posts or comments."),
                        range_param,
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "description": "Opaque cursor from `next_cursor` of the previous page.",
                            "schema": {"type": "string", "maxLength": api_params.MAX_CURSOR},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("ArticlePage"), "A page of articles"),
                        "400": _BAD,
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/status": {
                "get": {
                    "operationId": "getStatus",
                    "summary": "Last run of each job, the scoring backlog, scraper freshness",
                    "responses": {"200": _json(_ref("Status"), "Status")},
                }
            },
        },
        "components": {"schemas": schemas},
    }
