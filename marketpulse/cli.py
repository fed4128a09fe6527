"""argparse `type=` functions shared by the management commands.

Each raises `argparse.ArgumentTypeError` with a message that reads well after
argparse's "argument --since: ", so a bad value on the command line is usage plus
one `error:` line and exit 2 (from `call_command`, Django turns it into a
CommandError). Never a ValueError traceback, never "invalid _positive value".
"""

from __future__ import annotations

import argparse
import math
import re
from datetime import UTC, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

_DURATION = re.compile(r"(\d{1,9})([smhd])")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def datetime_type(raw: str) -> datetime:
    """YYYY-MM-DD (midnight UTC) or an ISO 8601 date and time; no offset means UTC. Returned in UTC."""
    text = raw.strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time.min) if day is not None else None
        if moment is not None:
            # In UTC: PostgreSQL refuses offsets past 15:59, and an offset can push a date out of range.
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # a real-looking but impossible date: 2026-13-45, 2026-02-30
        moment = None
    if moment is None:
        raise argparse.ArgumentTypeError(f"not a valid date or time: {raw!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)")
    return moment


def positive_int(raw: str) -> int:
    """A whole number of at least 1 (counts, limits, sizes)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {raw!r}")
    return int(text)


def positive_float(raw: str) -> float:
    """A finite number of seconds greater than 0."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds greater than 0, not {raw!r}")
    return value


def duration_type(raw: str) -> timedelta:
    """A span back from now: 90s, 15m, 1h, 2d (greater than 0), as a timedelta."""
    match = _DURATION.fullmatch(raw.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"must look like 30m, 1h or 2d, not {raw!r}")
    return timedelta(seconds=int(match.group(1)) * _DURATION_SECONDS[match.group(2)])


def duration_text(span: timedelta) -> str:
    """A `duration_type` span written back the way an operator writes it: 2h, 90s, 3d."""
    seconds = int(span.total_seconds())
    for unit, size in sorted(_DURATION_SECONDS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every span is a whole number of seconds")
