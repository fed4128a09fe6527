"""Surge detection over arrays: each ticker's hours judged against its own seasonal baseline.

Arrays in, events out, no database: the live job and a replay both call `detect`, so they
agree, and the benchmark runs the very same code. Jobs only (numpy, scipy). The baseline, the
test and how the thresholds were chosen: docs/design/surges.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import nbinom

#: The baseline's clock: US market hours move with New York's daylight saving time.
MARKET_TZ = ZoneInfo("America/New_York")
LN10 = math.log(10.0)
#: An hour of the trailing window for the usual stance split and the mentions-per-author ratio.
TRAILING_HOURS = 28 * 24
#: Within 1.5 standard deviations of the mean a score is under 1.3, below every bar: not computed.
SKIP_BELOW_Z = 1.5


@dataclass(frozen=True)
class Params:
    """The detector's knobs; the defaults are the benchmark's choice (BENCHMARKS.md)."""

    weekday_obs: int = 20  # same-hour weekday observations in the baseline (4 weeks)
    weekend_obs: int = 8  # same-hour weekend observations (4 weekends)
    windows: tuple[int, ...] = (1, 2, 3, 6)  # hours summed by the opening test (a jump, a build-up)
    open_score: float = 4.0  # -log10 p, after the windows' Bonferroni, to open an event (the benchmark's choice)
    stay_score: float = 2.0  # one hour's -log10 p that keeps an event open
    close_after: int = 2  # consecutive hours under stay_score that close it
    min_authors: int = 5  # distinct authors in the opening window, so 0 -> 2 is not news
    warmup_hours: int = 7 * 24  # no judgement before the data covers a week
    prior_authors: float = 0.05  # the rate's gamma prior: 0.05 authors in half an hour (0.1/h), weak
    prior_hours: float = 0.5
    dispersion_prior: float = 0.03  # day-to-day variation beyond Poisson (negative binomial 1/size) ...
    dispersion_weight: float = 100.0  # ... as much evidence as a week of hours at 0.6 authors each
    dispersion_floor: float = 0.01
    dispersion_cap: float = 1.0


@dataclass
class Series:
    """One block of hourly rollups: rows are tickers, columns consecutive UTC hours from `start`."""

    start: datetime
    authors: np.ndarray  # distinct authors per hour (the test's count)
    mentions: np.ndarray
    bullish: np.ndarray
    bearish: np.ndarray
    neutral: np.ndarray
    first_obs: int = 0  # columns before it are not observations (before the data begins)

    @classmethod
    def zeros(cls, start: datetime, tickers: int, hours: int, *, first_obs: int = 0) -> Series:
        def z():
            return np.zeros((tickers, hours), dtype=np.float64)

        return cls(start, z(), z(), z(), z(), z(), first_obs)

    @property
    def hours(self) -> int:
        return self.authors.shape[1]


@dataclass
class Event:
    """One surge found by `detect`: column indexes into the Series and its figures."""

    row: int
    start: int
    last: int  # the latest hour judged part of it
    end: int | None  # the first hour back to normal; None while open
    peak: int = 0
    mentions: int = 0
    expected_mentions: float = 0.0
    authors: int = 0
    expected: float = 0.0
    score: float = 0.0
    bullish: int = 0
    bearish: int = 0
    neutral: int = 0
    usual_bullish_pct: float | None = None
    usual_bearish_pct: float | None = None


@dataclass
class Judged:
    """What `detect` returns: the events touching the judged hours, and the per-hour arrays."""

    events: list[Event]
    expected: np.ndarray  # the baseline (distinct authors), NaN where not judged
    score: np.ndarray  # one hour's -log10 p
    flagged: np.ndarray  # the opening test fired (bool)
    extras: dict = field(default_factory=dict)


def season_keys(start: datetime, hours: int) -> np.ndarray:
    """Each column's baseline key: its New York hour of day, plus 24 on a weekend."""
    keys = np.empty(hours, dtype=np.int16)
    for i in range(hours):
        local = (start + timedelta(hours=i)).astimezone(MARKET_TZ)
        keys[i] = local.hour + (24 if local.weekday() >= 5 else 0)
    return keys


def baseline(series: Series, keys: np.ndarray, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """The expected distinct authors per hour and the negative binomial 1/size, from past hours only.

    Each hour's rate is a winsorised mean of the same key's previous observations (capped at
    median + max(3 sqrt(median), 4.5 MAD) + 2, so past surges barely count), shrunk by a gamma prior.
    """
    tickers, hours = series.authors.shape
    mu = np.full((tickers, hours), np.nan)
    excess = np.zeros((tickers, hours))  # window variance beyond Poisson, and the mean squared
    level = np.zeros((tickers, hours))
    support = np.zeros((tickers, hours))  # the rate's gamma shape (window sum + prior)
    columns = np.arange(hours)
    for key in np.unique(keys):
        idx = np.flatnonzero((keys == key) & (columns >= series.first_obs))
        if not idx.size:
            continue
        size = params.weekend_obs if key >= 24 else params.weekday_obs
        values = series.authors[:, idx]
        padded = np.concatenate([np.full((tickers, size), np.nan), values], axis=1)
        windows = sliding_window_view(padded, size, axis=1)[:, : idx.size, :]  # previous `size` values
        n = np.minimum(np.arange(idx.size), size)  # observations in each window
        ordered = np.sort(windows, axis=-1)  # NaN (no observation) sorts last
        lo = np.maximum((n - 1) // 2, 0)
        hi = np.maximum(n // 2, 0)
        median = 0.5 * (
            np.take_along_axis(ordered, lo[None, :, None], axis=-1)[..., 0]
            + np.take_along_axis(ordered, hi[None, :, None], axis=-1)[..., 0]
        )
        median = np.where(n[None, :] > 0, median, 0.0)
        deviation = np.sort(np.abs(windows - median[..., None]), axis=-1)
        mad = np.take_along_axis(deviation, hi[None, :, None], axis=-1)[..., 0]
        mad = np.where(n[None, :] > 0, mad, 0.0)
        cap = median + np.maximum(3.0 * np.sqrt(median), 4.5 * mad) + 2.0
        clipped = np.minimum(windows, cap[..., None])
        total = np.nansum(clipped, axis=-1)
        mean = np.divide(total, n[None, :], out=np.zeros_like(total), where=n[None, :] > 0)
        spread = np.nansum((clipped - mean[..., None]) ** 2, axis=-1)
        var = np.divide(spread, n[None, :] - 1, out=np.zeros_like(spread), where=n[None, :] > 1)
        mu[:, idx] = (total + params.prior_authors) / (n[None, :] + params.prior_hours)
        excess[:, idx] = np.where(n[None, :] > 1, var - mean, 0.0)
        level[:, idx] = np.where(n[None, :] > 1, mean**2, 0.0)
        support[:, idx] = total + params.prior_authors
    # Dispersion pooled over the last week's keys (one key's 20 values are too few alone), shrunk
    # towards dispersion_prior by dispersion_weight (a quiet ticker's estimate is mostly noise).
    pooled_excess = _trailing_sum(excess, 7 * 24) + params.dispersion_prior * params.dispersion_weight
    pooled_level = _trailing_sum(level, 7 * 24) + params.dispersion_weight
    alpha = np.clip(pooled_excess / pooled_level, params.dispersion_floor, params.dispersion_cap)
    with np.errstate(divide="ignore"):
        inv_size = alpha + np.where(support > 0, 1.0 / np.maximum(support, 1e-9), 1.0 / params.prior_authors)
    return mu, inv_size


def tail_score(count: np.ndarray, mean: np.ndarray, inv_size: np.ndarray, *, skip_below_z: float = 0.0) -> np.ndarray:
    """-log10 P(X >= count) for X negative binomial with this mean and 1/size (0 where count <= mean).

    `skip_below_z` leaves 0 where count is within that many standard deviations of the mean:
    the judgement needs scores of 2 and more only, and the exact tail is the costly part.
    """
    out = np.zeros(np.shape(count))
    with np.errstate(invalid="ignore"):
        bar = mean + skip_below_z * np.sqrt(mean + mean**2 * inv_size)
    mask = (count > bar) & (mean > 0) & np.isfinite(mean)
    if mask.any():
        size = 1.0 / inv_size[mask]
        p = size / (size + mean[mask])
        with np.errstate(divide="ignore"):
            out[mask] = -nbinom.logsf(count[mask] - 1, size, p) / LN10
    return np.minimum(np.nan_to_num(out, nan=0.0, posinf=300.0), 300.0)


def detect(
    series: Series,
    *,
    judge_from: int,
    judge_to: int,
    carried: dict[int, tuple[int, int]] | None = None,
    params: Params | None = None,
) -> Judged:
    """Judge columns [judge_from, judge_to) of every row, hour by hour, with no look-ahead.

    `carried` maps a row to the (start, last) columns of its event still open at judge_from.
    Each hour's verdict uses only that hour and earlier ones, so any split of a range into
    runs gives the same events as one run over it.
    """
    params = params or Params()
    carried = carried or {}
    tickers, hours = series.authors.shape
    keys = season_keys(series.start, hours)
    mu, inv_size = baseline(series, keys, params)
    columns = np.arange(hours)
    judged = (columns >= judge_from) & (columns < judge_to) & (columns >= series.first_obs + params.warmup_hours)
    mu_j = np.where(judged[None, :], mu, np.nan)

    x_cum = _cumsum0(series.authors)
    mu_cum = _cumsum0(np.nan_to_num(mu))
    inv_cum = _cumsum0(inv_size)
    best = np.zeros((tickers, hours))
    hour_score = tail_score(series.authors, mu_j, inv_size, skip_below_z=SKIP_BELOW_Z)
    penalty = math.log10(len(params.windows))
    for width in params.windows:
        if width == 1:
            count, mean, inv = series.authors, mu_j, inv_size
        else:
            count = _window(x_cum, width)
            mean = np.where(judged[None, :] & (columns >= series.first_obs + width - 1), _window(mu_cum, width), np.nan)
            inv = _window(inv_cum, width) / width
        score = np.where(count >= params.min_authors, tail_score(count, mean, inv, skip_below_z=SKIP_BELOW_Z), 0.0)
        best = np.maximum(best, score)
    # The hour itself must be high too, so a window still full of a past surge opens nothing.
    holding = judged[None, :] & (hour_score >= params.stay_score)
    flagged = holding & (best - penalty >= params.open_score)

    events: list[Event] = []
    for row in range(tickers):
        events.extend(_row_events(row, flagged[row], holding[row], judge_from, judge_to, carried.get(row), params))
    _fill_figures(events, series, mu, inv_size)
    return Judged(events=events, expected=mu_j, score=hour_score, flagged=flagged)


def _row_events(row, flagged, holding, lo, hi, carried, params) -> list[Event]:
    events: list[Event] = []
    opens = np.flatnonzero(flagged[lo:hi]) + lo
    current = list(carried) if carried else None
    i = lo
    while i < hi:
        if current is None:
            later = opens[opens >= i]
            if not later.size:
                break
            i = int(later[0])
            current = [i, i]
            i += 1
            continue
        if holding[i]:
            current[1] = i
        elif i - current[1] >= params.close_after:
            events.append(Event(row=row, start=current[0], last=current[1], end=current[1] + 1))
            current = None
        i += 1
    if current is not None:
        events.append(Event(row=row, start=current[0], last=current[1], end=None))
    return events


def _fill_figures(events: list[Event], series: Series, mu, inv_size) -> None:
    sums = {name: _cumsum0(getattr(series, name)) for name in ("authors", "mentions", "bullish", "bearish", "neutral")}
    mu0 = np.nan_to_num(mu)
    for e in events:
        span = slice(e.start, e.last + 1)
        e.authors = int(series.authors[e.row, span].sum())
        e.mentions = int(series.mentions[e.row, span].sum())
        e.bullish = int(series.bullish[e.row, span].sum())
        e.bearish = int(series.bearish[e.row, span].sum())
        e.neutral = int(series.neutral[e.row, span].sum())
        e.expected = float(mu0[e.row, span].sum())
        # (scored again here: the judged-hours score is 0 before a carried event's first judged hour)
        e.peak = e.start + int(
            np.argmax(tail_score(series.authors[e.row, span], mu[e.row, span], inv_size[e.row, span]))
        )
        inv = float(inv_size[e.row, span].mean())
        e.score = float(tail_score(np.array([e.authors]), np.array([e.expected]), np.array([inv]))[0])
        lo = max(e.start - TRAILING_HOURS, 0)
        before = {name: float(c[e.row, e.start] - c[e.row, lo]) for name, c in sums.items()}
        per_author = before["mentions"] / before["authors"] if before["authors"] > 0 else 1.0
        e.expected_mentions = e.expected * per_author
        scored = before["bullish"] + before["bearish"] + before["neutral"]
        if scored > 0:
            e.usual_bullish_pct = 100.0 * before["bullish"] / scored
            e.usual_bearish_pct = 100.0 * before["bearish"] / scored


def _cumsum0(a: np.ndarray) -> np.ndarray:
    """Cumulative sums along the hours with a leading 0 column: sum of [i, j) is c[j] - c[i]."""
    out = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a, axis=1, out=out[:, 1:])
    return out


def _window(cum: np.ndarray, width: int) -> np.ndarray:
    """Each column's sum over the `width` hours ending at it (fewer at the start)."""
    hours = cum.shape[1] - 1
    ends = np.arange(1, hours + 1)
    return cum[:, ends] - cum[:, np.maximum(ends - width, 0)]


def _trailing_sum(a: np.ndarray, width: int) -> np.ndarray:
    return _window(_cumsum0(a), width)
