"""Reddit dump records, once parsed: their kind (comments or submissions), when each was made,
and which to keep (subreddits, since/until). No I/O and no Django.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

COMMENTS = "comments"
SUBMISSIONS = "submissions"
KINDS = (COMMENTS, SUBMISSIONS)
#: The dump kinds as `ingest.validation.item_validate(kind=...)` names them.
ITEM_KIND = {COMMENTS: "comment", SUBMISSIONS: "post"}
KIND_SAMPLE = 50  # valid records looked at to tell comments from submissions


class DumpError(Exception):
    """The dump cannot be read on (bad source, undecodable data, unknown kind)."""


class BadLine(NamedTuple):
    line_no: int
    reason: str


def record_kind(record: dict[str, Any]) -> str | None:
    """COMMENTS, SUBMISSIONS, or None when the fields do not tell."""
    if "link_id" in record or "parent_id" in record:
        return COMMENTS
    if "title" in record or "selftext" in record or "num_comments" in record:
        return SUBMISSIONS
    if "body" in record:
        return COMMENTS
    return None


def kind_vote(records: Iterable[tuple[int, dict[str, Any]] | BadLine], *, kind: str | None, sample: int) -> str:
    if kind is not None:
        if kind not in KINDS:
            raise DumpError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return kind
    votes = {COMMENTS: 0, SUBMISSIONS: 0}
    seen = 0
    for entry in records:
        if type(entry) is BadLine:
            continue
        found = record_kind(entry[1])
        if found:
            votes[found] += 1
        seen += 1
        if seen >= sample:
            break
    if votes[COMMENTS] == votes[SUBMISSIONS]:
        raise DumpError(
            f"cannot tell comments from submissions in the first {seen} records "
            f"({votes[COMMENTS]} look like comments, {votes[SUBMISSIONS]} like submissions): pass the kind"
        )
    return COMMENTS if votes[COMMENTS] > votes[SUBMISSIONS] else SUBMISSIONS


def dump_kind(
    records: Iterable[tuple[int, dict[str, Any]] | BadLine], *, kind: str | None = None, sample: int = KIND_SAMPLE
) -> tuple[str, Iterator[tuple[int, dict[str, Any]] | BadLine]]:
    """(kind, the same records) for any iterable of records: the ones looked at are put back in front.

    On a `DumpReader` use `reader.kind()`: it keeps `reader.position` exact, while this
    reads up to `sample` records ahead of what the caller has taken.
    """
    records = iter(records)
    if kind is not None:
        return kind_vote((), kind=kind, sample=sample), records
    head = []
    valid = 0
    for entry in records:
        head.append(entry)
        valid += type(entry) is not BadLine
        if valid >= sample:
            break
    return kind_vote(head, kind=None, sample=sample), itertools.chain(head, records)


def record_created(record: dict[str, Any]) -> int | None:
    """`created_utc` as epoch seconds: an int in recent files, a string in old ones, a float from the API."""
    value = record.get("created_utc")
    if type(value) is int:
        return value
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        try:
            return int(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None


def _epoch(value: datetime | int | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return int(value)


def records_filter(
    records: Iterable[tuple[int, dict[str, Any]] | BadLine],
    *,
    subreddits: Iterable[str] | None = None,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
) -> Iterator[tuple[int, dict[str, Any]] | BadLine]:
    """Keep the records of these subreddits (any case) created in [since, until); BadLines pass through.

    With since/until, a record whose `created_utc` is missing or unreadable is left out.
    Naive datetimes are taken as UTC. The test of one record is `record_test`'s.
    """
    keep = record_test(subreddits=subreddits, since=since, until=until)
    for entry in records:
        if keep is None or type(entry) is BadLine or keep(entry[1]):
            yield entry


def record_test(
    *,
    subreddits: Iterable[str] | None = None,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
) -> Callable[[dict[str, Any]], bool] | None:
    """The test `records_filter` makes of each record (see there); None when it keeps every record."""
    wanted = frozenset(name.strip().lower().removeprefix("r/") for name in subreddits) if subreddits else None
    low, high = _epoch(since), _epoch(until)
    if wanted is None and low is None and high is None:
        return None
    timed = low is not None or high is not None

    def keep(record: dict[str, Any]) -> bool:
        if wanted is not None:
            sub = record.get("subreddit")
            if type(sub) is not str or sub.lower() not in wanted:
                return False
        if timed:
            created = record_created(record)
            if created is None or (low is not None and created < low) or (high is not None and created >= high):
                return False
        return True

    return keep
