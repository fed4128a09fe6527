"""detect_surges on the database (issue 29): replay equals live, reruns, dry run, the alerts, bad input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Surge, Ticker, TickerHourly
from articles.surges.services import LIVE_HOURS, SETTLE, surges_detect
from tests.articles.surges.test_detection import HOURS, START, quiet_history
from tests.ops.webhook_server import webhook_receiver

HOUR = timedelta(hours=1)
END = START + HOURS * HOUR  # the end of the history: the hour after its last one
FIELDS = (
    "ticker_id",
    "started_at",
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


def load(series, symbols=("GME", "AMC", "TSLA"), *, start=START) -> list[Ticker]:
    """The arrays as TickerHourly rows (zero hours left out, as the rollups do)."""
    tickers = [Ticker.objects.create(symbol=s, name=s) for s in symbols]
    rows = []
    for r, ticker in enumerate(tickers):
        for c in np.flatnonzero(series.mentions[r]):
            m = int(series.mentions[r, c])
            bull, bear = int(series.bullish[r, c]), int(series.bearish[r, c])
            rows.append(
                TickerHourly(
                    ticker=ticker,
                    hour=start + int(c) * HOUR,
                    mentions=m,
                    comments=m,
                    unique_authors=int(series.authors[r, c]),
                    scored=m,
                    positive=bull,
                    negative=bear,
                    neutral=m - bull - bear,
                )
            )
    TickerHourly.objects.bulk_create(rows)
    return tickers


def history():
    s = quiet_history(4.0, tickers=3, seed=21)
    last_day = HOURS - 24
    s.authors[0, last_day + 14 : last_day + 17] += 30  # GME: three hours of 30 more people
    s.mentions[0, last_day + 14 : last_day + 17] += 35
    s.authors[1, last_day + 3] += 1  # AMC: one account posting 40 comments
    s.mentions[1, last_day + 3] += 40
    return s


def rows():
    return sorted(tuple(getattr(s, f) for f in FIELDS) for s in Surge.objects.all())


def live_run_at(moment):
    return surges_detect(now=moment)


@pytest.mark.django_db
def test_replay_equals_live_hour_by_hour():
    load(history())
    # Live: the job every hour of the last two days, 20 minutes past (each judges the latest complete hours).
    for k in range(48, 0, -1):
        live_run_at(END - k * HOUR + SETTLE + timedelta(minutes=5))
    live_run_at(END + SETTLE + timedelta(minutes=5))
    live = rows()
    assert len(live) == 1 and live[0][0] == Ticker.objects.get(symbol="GME").pk
    Surge.objects.all().delete()
    out = surges_detect(since=END - 48 * HOUR, until=END, now=END + timedelta(days=1))
    replay = rows()
    assert len(replay) == 1
    assert dict(zip(FIELDS, replay[0], strict=True)) == dict(zip(FIELDS, live[0], strict=True))
    assert out.opened == 1 and out.closed == 1
    s = Surge.objects.get()
    assert s.started_at == END - 10 * HOUR and s.ended_at == END - 7 * HOUR
    assert s.unique_authors >= 90 and s.expected < 40 and s.ratio > 3
    # a replay records its events as of when the live job would have: an hour and SETTLE after their start
    assert s.detected_at == s.started_at + HOUR + SETTLE


@pytest.mark.django_db
def test_a_rerun_records_no_duplicate():
    load(history())
    since, until, now = END - 72 * HOUR, END, END + timedelta(days=1)
    first = surges_detect(since=since, until=until, now=now)
    before = rows()
    again = surges_detect(since=since, until=until, now=now)
    assert rows() == before and Surge.objects.count() == 1
    assert (first.opened, again.opened, again.rewritten, again.removed) == (1, 0, 1, 0)


@pytest.mark.django_db
def test_the_spam_burst_is_ignored_and_its_mentions_kept_beside():
    tickers = load(history())
    surges_detect(since=END - 48 * HOUR, now=END + HOUR)
    assert not Surge.objects.filter(ticker=tickers[1]).exists()
    assert TickerHourly.objects.get(ticker=tickers[1], hour=END - 21 * HOUR).mentions >= 40


@pytest.mark.django_db
def test_a_rerun_with_other_thresholds_removes_what_it_no_longer_finds():
    from articles.surges.detection import Params

    load(history())
    surges_detect(since=END - 48 * HOUR, now=END + HOUR)
    out = surges_detect(since=END - 48 * HOUR, now=END + HOUR, params=Params(open_score=200))
    assert out.removed == 1 and Surge.objects.count() == 0


@pytest.mark.django_db
def test_an_open_event_carries_over_to_the_next_run_and_closes_there():
    load(history())
    onset = END - 10 * HOUR
    surges_detect(now=onset + HOUR + SETTLE + timedelta(minutes=1))  # judges up to the onset hour
    s = Surge.objects.get()
    assert s.started_at == onset and s.ended_at is None
    surges_detect(now=onset + 6 * HOUR + SETTLE)  # later runs: it ends
    s.refresh_from_db()
    assert s.ended_at == onset + 3 * HOUR and s.last_hour == onset + 2 * HOUR


@pytest.mark.django_db
def test_nothing_to_judge_and_a_week_of_warm_up():
    assert surges_detect(now=END).tickers == 0  # no rollups at all
    s = history()
    s.first_obs = 0
    load(s)
    TickerHourly.objects.filter(hour__lt=END - 3 * 24 * HOUR).delete()  # the data begins 3 days ago
    out = surges_detect(since=END - 48 * HOUR, now=END + HOUR)
    assert out.warming_up and Surge.objects.count() == 0


@pytest.mark.django_db
def test_only_tickers_talked_about_in_the_lookback_are_loaded_without_a_scan_of_the_rollups():
    """The tickers to judge come from one index probe each, not a DISTINCT over every rollup row
    (which, with TickerHourly's ordering, also sorted the year by hour: minutes on 14M rows)."""
    load(history())
    silent = Ticker.objects.create(symbol="OLDCO", name="Talked about long ago")
    TickerHourly.objects.create(ticker=silent, hour=START - 60 * 24 * HOUR, mentions=3, comments=3, unique_authors=3)
    Ticker.objects.create(symbol="NEVER", name="Never mentioned")
    with CaptureQueriesContext(connection) as queries:
        out = surges_detect(now=END + SETTLE + timedelta(minutes=1))
    assert out.tickers == 3
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


@pytest.mark.django_db
def test_a_ticker_with_no_history_gets_its_first_mentions_judged():
    load(history())
    new = Ticker.objects.create(symbol="NEWCO", name="A new listing")
    for k, authors in enumerate((25, 30)):
        TickerHourly.objects.create(
            ticker=new, hour=END - (3 - k) * HOUR, mentions=authors, comments=authors, unique_authors=authors
        )
    surges_detect(since=END - 6 * HOUR, now=END + HOUR)
    s = Surge.objects.get(ticker=new)
    assert s.started_at == END - 3 * HOUR and s.expected < 1
    assert s.usual_bullish_pct is None  # no split to compare with


@pytest.mark.django_db
def test_the_command_dry_run_prints_and_writes_nothing(monkeypatch):
    load(history())
    out = io.StringIO()
    call_command("detect_surges", "--since", f"{END - 48 * HOUR:%Y-%m-%dT%H:%M}", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would record GME from" in text and "dry run, nothing written" in text
    assert Surge.objects.count() == 0


@pytest.mark.django_db
def test_the_command_records_and_sends_each_new_surge_once(settings):
    from django.utils import timezone

    from articles.surges.services import latest_complete_hour

    s = quiet_history(4.0, tickers=1, seed=4)
    s.authors[0, -3:] += 30  # the latest three complete hours
    s.mentions[0, -3:] += 30
    end = latest_complete_hour(timezone.now()) + HOUR
    load(s, ("GME",), start=end - HOURS * HOUR)
    with webhook_receiver() as receiver:
        settings.ALERT_WEBHOOK_URLS = [receiver.url]
        settings.ALERT_WEBHOOK_SECRET = ""
        settings.ALERT_SYMBOLS = []
        settings.ALERT_MIN_SCORE = 0.0
        for _ in range(2):  # the live job, twice: one surge, one delivery
            out = io.StringIO()
            call_command("detect_surges", stdout=out)
    assert Surge.objects.count() == 1, out.getvalue()
    assert len(receiver.answered_ok()) == 1, out.getvalue()
    assert json.loads(receiver.answered_ok()[0].body)["symbol"] == "GME"
    assert "detect_surges: judged" in out.getvalue()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--until", "2026-01-02"], "--until needs --since"),
        (["--since", "2026-02-02", "--until", "2026-01-02"], "is before --since"),
        (["--since", "yesterday"], "not a valid date or time"),
    ],
)
@pytest.mark.django_db
def test_bad_arguments_are_one_clear_error(argv, message):
    with pytest.raises(CommandError, match=message):
        call_command("detect_surges", *argv)


def test_live_judges_the_latest_complete_hours():
    from articles.surges.services import latest_complete_hour

    now = datetime(2026, 5, 1, 14, 10, tzinfo=UTC)
    assert latest_complete_hour(now) == datetime(2026, 5, 1, 12, tzinfo=UTC)  # 13:00-14:00 not settled yet
    assert latest_complete_hour(now + timedelta(minutes=6)) == datetime(2026, 5, 1, 13, tzinfo=UTC)
    assert LIVE_HOURS >= 2


@pytest.mark.django_db
def test_a_live_run_after_missed_runs_judges_back_to_the_last_judged_hour():
    from django.utils import timezone

    from articles.surges.services import live_watermark
    from marketpulse.models import JobRun

    load(history())
    onset = END - 10 * HOUR
    late = onset + 8 * HOUR + SETTLE  # the runs of the surge's hours never happened
    assert surges_detect(now=late).opened == 0  # the latest 3 hours alone miss it
    JobRun.objects.create(
        command="detect_surges",
        started_at=timezone.now(),
        status=JobRun.Status.SUCCEEDED,
        counters={"mode": "live", "judged_to": (onset - 2 * HOUR).isoformat()},
    )
    assert live_watermark() == onset - 2 * HOUR
    out = surges_detect(now=late, resume_after=live_watermark())
    assert out.first_hour == onset - HOUR and out.opened == 1
    assert Surge.objects.get().ended_at == onset + 3 * HOUR
