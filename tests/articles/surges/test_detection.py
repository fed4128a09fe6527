"""The detector on arrays (issue 29): spam, a slow build-up, no history, an event's open and close."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from articles.surges.detection import Params, Series, detect, season_keys

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
WEEKS = 6
HOURS = WEEKS * 7 * 24
JUDGE_FROM = 5 * 7 * 24  # the last week is judged, after 5 of history


def quiet_history(rate: float = 4.0, *, tickers: int = 1, seed: int = 1) -> Series:
    """Poisson authors on a weekday/weekend, day/night cycle; 1.25 mentions per author."""
    rng = np.random.default_rng(seed)
    keys = season_keys(START, HOURS)
    shape = np.where(keys >= 24, 0.4, 1.0) * np.where(np.isin(keys % 24, range(9, 17)), 1.5, 0.5)
    authors = rng.poisson(rate * shape, (tickers, HOURS)).astype(float)
    mentions = authors + rng.poisson(0.25 * authors)
    bullish = np.floor(mentions / 2)
    return Series(START, authors, mentions, bullish, np.zeros_like(mentions), mentions - bullish)


def at(day: int, hour_utc: int) -> int:
    """The column of day `day` (0 = the judged week's Monday) at this UTC hour."""
    return JUDGE_FROM + day * 24 + hour_utc


def events(series: Series, **params):
    return detect(series, judge_from=JUDGE_FROM, judge_to=series.hours, params=Params(**params)).events


def test_a_quiet_week_raises_nothing():
    assert events(quiet_history(4.0, tickers=20)) == []


def test_a_clear_jump_opens_an_event_that_closes_when_it_falls_back():
    s = quiet_history(4.0)
    onset = at(2, 15)  # a Wednesday, 10:00 in New York: expected about 6 authors
    s.authors[0, onset : onset + 3] += 30
    s.mentions[0, onset : onset + 3] += 40
    found = events(s)
    assert len(found) == 1
    e = found[0]
    assert e.start == onset and e.last == onset + 2
    assert e.end == onset + 3  # the first hour back to normal (decided after close_after hours)
    assert e.authors >= 90 and e.expected < 30 and e.score > 10
    assert onset <= e.peak <= onset + 2
    assert e.usual_bullish_pct is not None and 30 < e.usual_bullish_pct < 60


def test_an_event_still_high_at_the_last_hour_stays_open():
    s = quiet_history(4.0)
    onset = s.hours - 2
    s.authors[0, onset:] += 30
    (e,) = events(s)
    assert e.start == onset and e.end is None and e.last == s.hours - 1


def test_one_account_posting_forty_comments_is_not_a_surge():
    s = quiet_history(4.0)
    burst = at(3, 16)
    s.mentions[0, burst] += 40  # 40 more comments ...
    s.authors[0, burst] += 1  # ... by one author
    assert events(s) == []
    s.authors[0, burst] += 39  # the same comments by 40 people are a surge
    assert len(events(s)) == 1


def test_a_slow_build_up_is_caught_by_the_multi_hour_windows():
    s = quiet_history(10.0, seed=3)
    onset = at(1, 14)
    s.authors[0, onset : onset + 6] = [27, 29, 30, 31, 30, 28]  # about 2x of ~14, hour after hour
    one_hour = events(s, windows=(1,))
    assert one_hour == [], "no single hour of the build-up stands out"
    (e,) = events(s)
    assert onset <= e.start <= onset + 5


def test_going_from_zero_to_two_mentions_is_not_news_but_thirty_authors_are():
    s = quiet_history(0.0)  # listed, never mentioned
    s.authors[0, at(2, 16)] = 2
    assert events(s) == []
    s.authors[0, at(2, 16)] = 30
    (e,) = events(s)
    assert e.start == at(2, 16) and e.expected < 1


def test_no_judgement_before_the_data_covers_a_week():
    s = quiet_history(4.0)
    s.first_obs = s.hours - 3 * 24  # the data begins three days before the end
    s.authors[0, s.hours - 5] += 60
    assert events(s) == []
    s.first_obs = s.hours - 8 * 24
    assert len(events(s)) == 1


def test_a_past_surge_barely_raises_the_baseline():
    s = quiet_history(4.0, seed=5)
    clean = detect(s, judge_from=JUDGE_FROM, judge_to=s.hours, params=Params()).expected.copy()
    for week in range(1, 5):  # a huge spike at this very hour in each of four past weeks
        s.authors[0, at(2, 15) - week * 7 * 24] += 200
    spiked = detect(s, judge_from=JUDGE_FROM, judge_to=s.hours, params=Params()).expected
    hour = at(2, 15)
    assert spiked[0, hour] < 1.6 * clean[0, hour], (spiked[0, hour], clean[0, hour])


def test_any_split_of_the_range_into_runs_gives_the_same_events():
    s = quiet_history(4.0, tickers=3, seed=9)
    s.authors[1, at(4, 15) : at(4, 19)] += 25
    s.authors[2, at(1, 2) : at(1, 4)] += 20
    whole = detect(s, judge_from=JUDGE_FROM, judge_to=s.hours)
    state: dict[int, tuple[int, int]] = {}
    pieces = []
    for lo in range(JUDGE_FROM, s.hours, 5):  # runs of 5 hours, each carrying the open events on
        hi = min(lo + 5, s.hours)
        part = detect(s, judge_from=lo, judge_to=hi, carried=state)
        state = {e.row: (e.start, e.last) for e in part.events if e.end is None}
        pieces.extend(e for e in part.events if e.end is not None)
    pieces.extend(e for e in part.events if e.end is None)
    assert sorted((e.row, e.start, e.last, e.end, e.authors) for e in pieces) == sorted(
        (e.row, e.start, e.last, e.end, e.authors) for e in whole.events
    )
    assert len(whole.events) == 2


def test_the_baseline_follows_new_york_time():
    keys = season_keys(datetime(2026, 3, 6, 14, tzinfo=UTC), 24 * 4)  # Fri 14:00 UTC, DST starts Sun Mar 8
    assert keys[0] == 9  # 09:00 EST, a weekday
    assert keys[24] == 24 + 9  # Saturday
    assert keys[3 * 24] == 10  # Monday 14:00 UTC is 10:00 EDT
