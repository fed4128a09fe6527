"""Typed query parameters (shared by the pages and the API) and the API's response schemas.

Parameters are pydantic models of `Annotated` types. Each type checks the raw query
string value itself, strictly (`?page=+5`, `?etfs=t` and `?window=` are refused, as
they always were), and raises one `bad_parameter` error whose message a person can
act on; `first_bad_parameter` turns a `ValidationError` into `(parameter, message)`.
The API (django-ninja) reads the same models with `Query[...]`, so the OpenAPI
document describes exactly what is accepted. An empty value is a bad value (`?window=`
is not a window); only an empty `q` or `cursor` means "none".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.utils.dateparse import parse_datetime
from ninja import Schema
from pydantic import BeforeValidator, Field, PlainSerializer, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from articles import leaderboard, selectors
from articles.models import SYMBOL_RE

MAX_PAGE = 10_000
MAX_QUERY = 100
MAX_CURSOR = 200
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("bad_parameter", message)


def first_bad_parameter(exc: ValidationError | list[dict]) -> tuple[str, str]:
    """(parameter, message) of the first error: fields are checked in declaration order."""
    errors = exc.errors() if isinstance(exc, ValidationError) else exc
    error = errors[0]
    return str(error["loc"][-1]), error["msg"]


def doc(**schema: Any) -> Any:
    """Constraints for the document only: a response is checked for types, never refused (a 500) for a value."""
    return Field(json_schema_extra=schema)


def _choice(name: str, choices: tuple[str, ...], also: tuple[str, ...] = ()) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value not in choices and value not in also:
            raise bad(f"{name} must be one of {', '.join(choices)}")
        return value

    return BeforeValidator(check)


def _page(value: Any) -> Any:
    if isinstance(value, str) and (not value.isascii() or not value.isdigit() or len(value) > 6):
        raise bad(f"page must be a whole number from 1 to {MAX_PAGE}")
    if not 1 <= int(value) <= MAX_PAGE:
        raise bad(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def _flag(name: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise bad(f"{name} must be true or false")

    return BeforeValidator(check)


def _cursor(value: Any) -> Any:
    if value is None or value == "":
        return None
    if len(value) > MAX_CURSOR:
        raise bad("cursor is not valid")
    return value


def _query(value: Any) -> str:
    value = (value or "").strip()
    if len(value) > MAX_QUERY:
        raise bad(f"q must be at most {MAX_QUERY} characters")
    if "\x00" in value:
        raise bad("q must not contain NUL characters")
    return value


MOMENT_EXAMPLE = "2026-12-07T14:00:00Z"
MAX_MOMENT = 40


def _moment(name: str) -> BeforeValidator:
    """An ISO 8601 time (Z or an offset; naive means UTC) or date (midnight UTC), made UTC.

    A time whose UTC falls outside what a datetime holds is clamped to its first or last
    moment: as a bound it keeps the same surges."""

    def check(value: Any) -> Any:
        text = value.isoformat() if isinstance(value, datetime) else str(value).strip().upper()
        try:
            moment = parse_datetime(text) if len(text) <= MAX_MOMENT else None
        except ValueError:
            moment = None
        if moment is None:
            raise bad(f"{name} must be an ISO 8601 time or date, e.g. {MOMENT_EXAMPLE} (send a + as %2B)")
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            edge = datetime.min if moment.year == 1 else datetime.max
            return edge.replace(tzinfo=UTC)

    return BeforeValidator(check)


def _symbol(value: Any) -> Any:
    symbol = str(value).strip().upper()
    if not SYMBOL_RE.fullmatch(symbol):
        raise bad("symbol must be a ticker symbol: 1 to 10 letters, digits, dots or dashes (e.g. TSLA)")
    return symbol


WINDOWS = tuple(leaderboard.WINDOWS)
RANGES = tuple(selectors.RANGES)

Window = Annotated[Literal[WINDOWS], _choice("window", WINDOWS)]
Range = Annotated[Literal[RANGES], _choice("range", RANGES)]
Sort = Annotated[Literal[selectors.SORTS], _choice("sort", selectors.SORTS)]
LabelFilter = Annotated[Literal[("all", *selectors.LABELS)], _choice("label", selectors.LABELS, also=("all",))]
KindFilter = Annotated[Literal[("all", *selectors.KINDS)], _choice("kind", selectors.KINDS, also=("all",))]
Page = Annotated[int, BeforeValidator(_page), doc(minimum=1, maximum=MAX_PAGE)]
Cursor = Annotated[str | None, BeforeValidator(_cursor), doc(maxLength=MAX_CURSOR)]
SearchQuery = Annotated[str, BeforeValidator(_query), doc(maxLength=MAX_QUERY)]
Symbol = Annotated[str | None, BeforeValidator(_symbol), doc(pattern=SYMBOL_RE.pattern.replace("A-Z", "A-Za-z"))]


class TickerListParams(Schema):
    window: Window = Field("24h", description="Window: last 24 hours, 7 days or 30 days.")
    page: Page = Field(1, description="1-based page of 50 rows.")
    etfs: Annotated[bool, _flag("etfs")] = Field(True, description="Include ETFs (default true).")


class RangeParams(Schema):
    range: Range = Field("7d", description="Time range; hourly points for 24h/7d, daily for 30d/90d.")


class _ArticleFilters:
    @property
    def label_or_none(self) -> str | None:
        return None if self.label == "all" else self.label

    @property
    def kind_or_none(self) -> str | None:
        return None if self.kind == "all" else self.kind


_SORT_DOC = "new: newest first; top: most upvoted among the newest 1,000 mentions within `range`."


class ArticleListParams(_ArticleFilters, Schema):
    sort: Sort = Field("new", description=_SORT_DOC)
    label: LabelFilter = Field(
        "all", description="The mention's effective stance on this ticker: positive = bullish, negative = bearish."
    )
    kind: KindFilter = Field("all", description="Posts or comments.")
    cursor: Cursor = Field(None, description="Opaque cursor from `next_cursor` of the previous page.")
    range: Range = Field("7d", description="Time range for `sort=top`.")


class TickerPageParams(_ArticleFilters, Schema):
    """The ticker page: the same parameters, `range` checked first (fields are checked in order)."""

    range: Range = "7d"
    sort: Sort = "new"
    label: LabelFilter = "all"
    kind: KindFilter = "all"
    cursor: Cursor = None


class SurgeListParams(Schema):
    """`symbol` first: a malformed symbol is the error reported (fields are checked in order)."""

    symbol: Symbol = Field(None, description="Only this ticker's surges (case-insensitive); an unknown one is a 404.")
    since: Annotated[datetime | None, _moment("since")] = Field(
        None, description=f"Surges that started at or after this time (ISO 8601, e.g. {MOMENT_EXAMPLE}; naive = UTC)."
    )
    until: Annotated[datetime | None, _moment("until")] = Field(
        None, description="Surges that started before this time (ISO 8601); must be after `since`."
    )
    cursor: Cursor = Field(None, description="Opaque cursor from `next_cursor` of the previous page.")


class PriceParams(Schema):
    since: Annotated[datetime | None, _moment("since")] = Field(
        None, description=f"Bars that start at or after this time (ISO 8601, e.g. {MOMENT_EXAMPLE}; naive = UTC)."
    )
    interval: Literal["1d", "intraday"] = Field("1d", description="Daily bars, or intraday ones.")


class SearchParams(Schema):
    q: SearchQuery = ""


# --- Responses -----------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Serialized as today: UTC, "Z", microseconds kept when present.
Timestamp = Annotated[
    datetime, PlainSerializer(iso, return_type=str), WithJsonSchema({"type": "string", "format": "date-time"})
]


Count = Annotated[int, doc(minimum=0)]
Pct = Annotated[float | None, doc(minimum=0, maximum=100)]
Net = Annotated[
    float | None,
    doc(minimum=-1, maximum=1, description="Net stance of the scored mentions: (bullish - bearish) / scored."),
]
MoodLabel = Literal["bullish", "bearish", "neutral", "unknown"]


class Error(Schema):
    error: str
    parameter: str | None = Field(None, description="The query or path parameter at fault, when there is one.")


class Mood(Schema):
    label: MoodLabel
    sentiment: Net
    mentions: Count
    scored: Count
    bullish_pct: Pct
    bearish_pct: Pct


class TickerRow(Schema):
    rank: int = doc(minimum=1)
    rank_prev: int | None = doc(minimum=1)
    rank_change: int | None = Field(description="Places climbed since the previous window.")
    symbol: str
    name: str
    is_etf: bool
    mentions: int = doc(minimum=1)
    mentions_prev: Count
    mentions_change_pct: float | None
    upvotes: int
    scored: Count
    bullish_pct: Pct
    bearish_pct: Pct
    sentiment: Net
    sparkline: list[Count] = doc(minItems=leaderboard.SPARK_BARS, maxItems=leaderboard.SPARK_BARS)


class TickerList(Schema):
    window: Literal[WINDOWS]
    start: Timestamp
    end: Timestamp
    page: int = doc(minimum=1)
    pages: int = doc(minimum=1)
    page_size: int = doc(minimum=1)
    total: Count
    next: str | None
    mood: Mood
    results: list[TickerRow]


class Summary(Schema):
    mentions: Count
    posts: Count
    comments: Count
    upvotes: int
    scored: Count
    positive: Count
    negative: Count
    neutral: Count
    bullish_pct: Pct
    bearish_pct: Pct
    neutral_pct: Pct
    sentiment: Net
    mood: MoodLabel


class TimelinePoint(Schema):
    start: Timestamp
    mentions: Count
    posts: Count
    comments: Count
    upvotes: int
    scored: Count
    positive: Count
    negative: Count
    neutral: Count
    sentiment: Net


class Price(Schema):
    last: float = Field(description="The latest bar's close.")
    change_pct: float | None = Field(description="Change from the previous trading day's close, in %.")
    as_of: Timestamp = Field(description="The latest bar's start (a daily bar: its date at 00:00 UTC).")
    interval: Literal["1d", "intraday"]


class TickerDetail(Schema):
    symbol: str
    name: str
    exchange: str
    is_etf: bool
    url: str
    range: Literal[RANGES]
    granularity: Literal["hour", "day"]
    start: Timestamp
    end: Timestamp
    price: Price | None = Field(description="From the imported price bars (import_prices); null without any.")
    summary: Summary
    timeline: list[TimelinePoint]


class PriceBar(Schema):
    start: Timestamp
    open: float
    high: float
    low: float
    close: float
    volume: Count


class PriceList(Schema):
    symbol: str
    interval: Literal["1d", "intraday"]
    results: list[PriceBar] = Field(description="Oldest first, at most 1,000.")


class Article(Schema):
    reddit_id: str
    kind: Literal[selectors.KINDS]
    subreddit: str
    title: str
    body: str = doc(maxLength=1000)
    author: str
    upvotes: int
    num_comments: Count
    is_removed: bool
    created_utc: Timestamp
    url: str
    label: Literal[selectors.LABELS] | None = Field(description="The whole text's effective sentiment label.")
    reviewed: bool
    stance: Literal["bullish", "bearish", "neutral"] | None = Field(
        description="Its effective stance on this ticker (what `label=` filters on: positive = bullish)."
    )
    sentiment: Net


class ArticlePage(Schema):
    symbol: str
    sort: Literal[selectors.SORTS]
    next_cursor: str | None
    next: str | None
    results: list[Article]


class Scraper(Schema):
    last_success: Timestamp | None
    minutes_ago: int | None = doc(minimum=0)
    stale: bool
    stale_after_minutes: int = doc(minimum=1)


class JobRun(Schema):
    command: str
    status: Literal["running", "succeeded", "failed", "interrupted"]
    started_at: Timestamp
    finished_at: Timestamp | None
    duration_seconds: float | None
    counters: dict[str, Any]
    error: str


class Status(Schema):
    scraper: Scraper
    backlog: Count
    jobs: list[JobRun]


class Surge(Schema):
    symbol: str
    name: str
    url: str = Field(description="The ticker's page on the site.")
    started_at: Timestamp = Field(description="The first flagged hour (its start).")
    ended_at: Timestamp | None = Field(description="The first hour back to normal; null while the surge is ongoing.")
    ongoing: bool
    peak_at: Timestamp = Field(description="The hour with the highest distinct-author score.")
    last_hour: Timestamp = Field(description="The latest hour judged part of the surge.")
    mentions: Count
    expected_mentions: float = Field(description="Mentions the ticker's own baseline expected over the surge's hours.")
    unique_authors: Count = Field(description="Distinct authors over the surge's hours (what the test counts).")
    expected: float = Field(description="Distinct authors the baseline expected over the surge's hours.")
    ratio: float | None = Field(description="unique_authors / expected: times its usual level.")
    score: float = Field(description="-log10 p of the distinct authors under the baseline (higher: more surprising).")
    bullish: Count
    bearish: Count
    neutral: Count
    bullish_pct: Pct = Field(description="Share of the surge's scored mentions that were bullish.")
    bearish_pct: Pct
    usual_bullish_pct: Pct = Field(description="The ticker's usual bullish share (the 28 days before the surge).")
    usual_bearish_pct: Pct
    detected_at: Timestamp = Field(description="When the detector first recorded it.")


class SurgePage(Schema):
    next_cursor: str | None
    next: str | None = Field(description="The next page's absolute URL; null on the last page.")
    results: list[Surge]
