"""Dump lines -> clean article rows: the per-item work of `manage.py import_dump` (issue 14).

`dump_rows(reader, ...)` is, by definition, `records_filter(reader.records(), ...)` followed
by `ingest.validation.item_validate` on each record: it yields an accepted row (a dict with
`ROW_KEYS`), a `Rejected`, or a `BadLine`, in file order, and leaves out the records the
filters drop. `reader.position` describes the last line handed out, as with `records()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from ingest.dump_records import ITEM_KIND, BadLine, records_filter
from ingest.dumps import DumpReader
from ingest.validation import Accepted, Rejected, item_validate

__all__ = ["dump_rows"]


def dump_rows(
    reader: DumpReader,
    *,
    kind: str | None,
    now: datetime,
    subreddits: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any] | Rejected | BadLine]:
    """The rows of the reader's records (see the module docstring); `kind` is COMMENTS/SUBMISSIONS or None."""
    item_kind = ITEM_KIND[kind] if kind else None
    for entry in records_filter(reader.records(), subreddits=subreddits, since=since, until=until):
        if type(entry) is BadLine:
            yield entry
            continue
        result = item_validate(entry[1], kind=item_kind, now=now)
        yield result.row if type(result) is Accepted else result
