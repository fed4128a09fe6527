"""`surges_detect`: judge hours of the rollups and record the events as `Surge` rows.

Live (no range) it judges the latest LIVE_HOURS complete hours; a replay judges
[since, until]. Both load the same arrays and call `detection.detect`, so a replay gives
what the live job recorded; a rerun rewrites the same rows. See docs/design/surges.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from articles.models import Surge, Ticker, TickerHourly
from articles.surges.detection import Event, Params, Series, detect
from marketpulse.models import JobRun

HOUR = timedelta(hours=1)
#: An hour is complete, and judged, this long after it ends (one scrape interval of late rows).
SETTLE = timedelta(minutes=15)
#: The live job re-judges this many of the latest complete hours: late rows and a missed run.
LIVE_HOURS = 3
#: Hours loaded before the first judged one: 4 weeks of same-hour observations for every hour of
#: the week the dispersion is pooled over (28 + 7 days), and a DST margin.
LOOKBACK = timedelta(days=37)
TICKERS_PER_CHUNK = 100
#: How far back a live run goes for hours that missed runs left unjudged (longer: replay them).
CATCH_UP = timedelta(days=7)

#: Surge fields a rerun rewrites (detected_at is kept: when it was first recorded).
FIGURES = (
    "ended_at",
    "peak_at",
    "last_hour",
    "mentions",
    "expected_mentions",
    "unique_authors",
    "expected",
    "score",
    "bullish",
    "bearish",
    "neutral",
    "usual_bullish_pct",
    "usual_bearish_pct",
)


@dataclass
class DetectionOutcome:
    first_hour: datetime | None = None
    last_hour: datetime | None = None
    tickers: int = 0
    opened: int = 0  # events recorded for the first time
    open_now: int = 0  # events still open at the last judged hour
    closed: int = 0  # events that end within the judged hours
    rewritten: int = 0  # events already recorded, figures brought up to date
    removed: int = 0  # recorded events a rerun no longer finds (e.g. other thresholds)
    warming_up: bool = False  # the data covers less than the warm-up: nothing judged
    seconds: float = 0.0
    events: list[dict] = field(default_factory=list)  # what was (or would be) recorded


def live_watermark() -> datetime | None:
    """The last hour judged by the latest live detect_surges run that succeeded."""
    run = (
        JobRun.objects.filter(command="detect_surges", status=JobRun.Status.SUCCEEDED, counters__mode="live")
        .order_by("-started_at")
        .first()
    )
    judged = run.counters.get("judged_to") if run else None
    return datetime.fromisoformat(judged) if judged else None


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def latest_complete_hour(now: datetime) -> datetime:
    """The start of the latest hour that ended at least SETTLE before `now`."""
    return hour_floor(now - SETTLE) - HOUR


def surges_detect(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    params: Params | None = None,
    resume_after: datetime | None = None,
) -> DetectionOutcome:
    """Judge every ticker's hours in [since, until] (default: the latest LIVE_HOURS complete ones).

    Live, `resume_after` is the last hour the previous live run judged (`live_watermark`).
    """
    started = time.perf_counter()
    params = params or Params()
    now = now or timezone.now()
    latest = latest_complete_hour(now)
    last = min(hour_floor(until), latest) if until else latest
    if since is not None:
        first = hour_floor(since)
    else:  # live: the latest hours, back to any hour a missed run left unjudged (at most CATCH_UP)
        first = last - (LIVE_HOURS - 1) * HOUR
        open_last = Surge.objects.filter(ended_at__isnull=True).aggregate(m=Min("last_hour"))["m"]
        for gap in (resume_after, open_last):
            if gap is not None:
                first = min(first, gap + HOUR)
        first = max(first, last - CATCH_UP)
    outcome = DetectionOutcome(first_hour=first, last_hour=last)
    data_start = TickerHourly.objects.aggregate(first=Min("hour"))["first"]
    if first > last or data_start is None:
        outcome.seconds = time.perf_counter() - started
        return outcome
    if data_start + params.warmup_hours * HOUR > last:
        outcome.warming_up = True
    # Events open before `first`, or closed by a verdict on a judged hour: judged on from their state.
    decided_from = first - (params.close_after - 1) * HOUR
    carried = {
        s.ticker_id: s
        for s in Surge.objects.filter(started_at__lt=first)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=decided_from))
        .order_by("started_at")
    }
    active = set(_tickers_with_rollups(first - LOOKBACK, last)) | set(carried)
    tickers = sorted(active)
    outcome.tickers = len(tickers)
    for lo in range(0, len(tickers), TICKERS_PER_CHUNK):
        chunk = tickers[lo : lo + TICKERS_PER_CHUNK]
        _chunk_detect(chunk, carried, first, last, data_start, now, since is not None, dry_run, params, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _chunk_detect(chunk, carried, first, last, data_start, now, replay, dry_run, params, outcome) -> None:
    load_from = min([first - LOOKBACK] + [carried[t].started_at - LOOKBACK for t in chunk if t in carried])
    hours = int((last - load_from) / HOUR) + 1
    first_obs = max(0, int((data_start - load_from) / HOUR))
    series = Series.zeros(load_from, len(chunk), hours, first_obs=first_obs)
    row_of = {ticker: row for row, ticker in enumerate(chunk)}
    ids, data = _rollups_load(chunk, load_from, last)
    if len(ids):
        r = np.searchsorted(np.array(chunk), ids)
        for k, name in enumerate(("authors", "mentions", "bullish", "bearish", "neutral")):
            getattr(series, name)[r, data[:, 0]] = data[:, k + 1]
    col = {t: int((s.started_at - load_from) / HOUR) for t, s in carried.items() if t in row_of}
    state = {row_of[t]: (col[t], int((carried[t].last_hour - load_from) / HOUR)) for t in col}
    judge_from = int((first - load_from) / HOUR)
    judged = detect(series, judge_from=judge_from, judge_to=hours, carried=state, params=params)

    def at(column: int) -> datetime:
        return load_from + column * HOUR

    found = [_surge(chunk[e.row], e, at, now=now, replay=replay) for e in judged.events]
    outcome.events.extend(_describe(s) for s in found)
    keys = {(s.ticker_id, s.started_at) for s in found}
    recorded = {
        (s.ticker_id, s.started_at): s
        for s in Surge.objects.filter(ticker_id__in=chunk, started_at__gte=first, started_at__lte=last)
    }
    recorded.update({(s.ticker_id, s.started_at): s for t, s in carried.items() if t in row_of})
    stale = [s.pk for key, s in recorded.items() if key not in keys]
    outcome.opened += sum(key not in recorded for key in keys)
    outcome.rewritten += sum(key in recorded for key in keys)
    outcome.removed += len(stale)
    outcome.closed += sum(s.ended_at is not None for s in found)
    outcome.open_now += sum(s.ended_at is None for s in found)
    if dry_run:
        return
    with transaction.atomic():
        if stale:
            Surge.objects.filter(pk__in=stale).delete()
        if found:
            Surge.objects.bulk_create(
                found,
                update_conflicts=True,
                unique_fields=["ticker", "started_at"],
                update_fields=[*FIGURES, "updated_at"],
            )


def _tickers_with_rollups(first: datetime, last: datetime) -> list[int]:
    """The tickers with a rollup in [first, last]: one (ticker, hour) index probe per ticker.

    Not a DISTINCT over the rollups, which would read every row of the range (and, with the
    model's ordering left on, sort them all by hour too).
    """
    hours = TickerHourly.objects.filter(ticker=OuterRef("pk"), hour__gte=first, hour__lte=last)
    return list(Ticker.objects.filter(Exists(hours)).order_by().values_list("pk", flat=True))


def _rollups_load(chunk: list[int], first: datetime, last: datetime) -> tuple[np.ndarray, np.ndarray]:
    """The chunk's rollups in [first, last] as (ticker ids, rows of [hour index, authors, mentions, bull, bear,
    neutral]), the hour index computed by the database; on PostgreSQL a binary COPY read by numpy."""
    table = TickerHourly._meta.db_table
    ids = ", ".join(str(int(pk)) for pk in chunk)
    if connection.vendor == "postgresql":
        epoch = int(first.timestamp())
        sql = (
            f"COPY (SELECT ticker_id::int4, ((extract(epoch from hour)::bigint - {epoch}) / 3600)::int4, "
            f"unique_authors::int4, mentions::int4, positive::int4, negative::int4, neutral::int4 FROM {table} "
            f"WHERE ticker_id IN ({ids}) AND hour >= '{first.isoformat()}' AND hour <= '{last.isoformat()}') "
            "TO STDOUT (FORMAT BINARY)"
        )
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            raw = b"".join(bytes(block) for block in copy)
        if raw[:11] != b"PGCOPY\n\xff\r\n\x00" or raw[15:19] != b"\x00\x00\x00\x00":
            raise RuntimeError("unexpected COPY BINARY header from PostgreSQL")
        rows = np.frombuffer(raw, dtype=_COPY_ROW, offset=_COPY_HEADER, count=(len(raw) - _COPY_HEADER - 2) // 58)
        data = np.stack([rows[f"v{k}"] for k in range(7)], axis=1).astype(np.int64)
        return data[:, 0], data[:, 1:]
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS' text in UTC
    sql = (
        "SELECT ticker_id, CAST(round((julianday(hour) - julianday(%s)) * 24) AS INTEGER), unique_authors, "
        f"mentions, positive, negative, neutral FROM {table} WHERE ticker_id IN ({ids}) AND hour >= %s AND hour <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [first.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), first, last])
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 7)
    return rows[:, 0], rows[:, 1:]


#: PostgreSQL's binary COPY: a 19-byte header, then per row a field count and (length, value) per
#: field, big-endian; 7 int4 fields make every row 58 bytes. All values are ints, none NULL.
_COPY_HEADER = 19
_COPY_ROW = np.dtype([("n", ">i2")] + [(f, ">i4") for k in range(7) for f in (f"l{k}", f"v{k}")])


def _surge(ticker_id: int, e: Event, at, *, now: datetime, replay: bool) -> Surge:
    started = at(e.start)
    return Surge(
        ticker_id=ticker_id,
        started_at=started,
        ended_at=at(e.end) if e.end is not None else None,
        peak_at=at(e.peak),
        last_hour=at(e.last),
        mentions=e.mentions,
        expected_mentions=round(e.expected_mentions, 3),
        unique_authors=e.authors,
        expected=round(e.expected, 3),
        score=round(e.score, 3),
        bullish=e.bullish,
        bearish=e.bearish,
        neutral=e.neutral,
        usual_bullish_pct=None if e.usual_bullish_pct is None else round(e.usual_bullish_pct, 2),
        usual_bearish_pct=None if e.usual_bearish_pct is None else round(e.usual_bearish_pct, 2),
        # A replay's events were recorded, as the live job would have, once their first hour settled.
        detected_at=min(started + HOUR + SETTLE, now) if replay else now,
        updated_at=timezone.now(),
    )


def _describe(s: Surge) -> dict:
    return {
        "ticker_id": s.ticker_id,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "unique_authors": s.unique_authors,
        "expected": s.expected,
        "mentions": s.mentions,
        "score": s.score,
    }
