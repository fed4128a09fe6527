"""Dump records -> clean article rows: `dump_rows`, the per-item work of `import_dump`.

By definition `records_filter` then `_validated` (the file's kind test, then
`ingest.validation.item_validate`) on each record; `_converter` compiles the common case
by hand and tests hold it equal to `_dump_rows_reference`, the definition written out.
Design: docs/design/dump-import.md ("Records and rows").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.dumps.reader import DumpReader
from ingest.dumps.records import ITEM_KIND, BadLine, record_kind, record_test, records_filter
from ingest.ids import BASE36_DIGITS
from ingest.validation import (
    AUTHOR_MAX,
    FUTURE_TOLERANCE,
    NUM_COMMENTS_MAX,
    PERMALINK_MAX,
    PERMALINK_RE,
    REDDIT_EPOCH,
    REDDIT_ID_MAX,
    REMOVED_CATEGORIES,
    REMOVED_MARKERS,
    ROW_KEYS,
    SCORE_MAX,
    SCORE_MIN,
    SUBREDDIT_MAX,
    TEXT_MAX_CHARS,
    Accepted,
    Reason,
    Rejected,
    author_clean,
    count_clamp,
    item_validate,
    now_resolve,
    permalink_clean,
    reddit_text,
)

__all__ = ["dump_rows"]

# A bare id as `_identity` accepts it (`_ID36_RE`: no t1_/t3_ prefix, as "_" is not base 36).
_BASE36 = BASE36_DIGITS
_ID36_MAX = REDDIT_ID_MAX - 3
_LINK_MAX = REDDIT_ID_MAX
# A subreddit name that `_subreddit` keeps as it is, lower-cased: ASCII letters, digits
# and "_" only (nothing to strip, no "r/" prefix, and `.lower()` cannot turn a non-ASCII
# letter into an ASCII one, as it does the Kelvin sign).
_PLAIN_SUBREDDIT = re.compile(rf"[A-Za-z0-9_]{{1,{SUBREDDIT_MAX}}}", re.ASCII).fullmatch
_PERMALINK = PERMALINK_RE.fullmatch  # a Reddit path, as `permalink_clean` tests it
_EPOCH_TS = int(REDDIT_EPOCH.timestamp())  # a whole second: int bounds spare int-float comparisons
_TIMESTAMP_DIGITS = 12  # a digit string longer than this is not a timestamp: item_validate says why
_KIND_MISMATCH = Reason.KIND_MISMATCH
_MARKER_LENGTHS = frozenset(len(marker) for marker in REMOVED_MARKERS)
_UNSEEN = object()
_CACHE_MAX = 10_000  # entries of each per-run cache (subreddit names, hours, link_ids)
_SECONDS = [timedelta(seconds=second) for second in range(3600)]
#: A row's keys in ROW_KEYS order, with the values every comment row has: a row is a copy
#: of it with the item's values set (cheaper than a dict display of twelve entries).
_COMMENT_ROW = dict.fromkeys(ROW_KEYS) | {"kind": "comment", "title": "", "num_comments": 0}


def dump_rows(
    reader: DumpReader,
    *,
    kind: str | None,
    now: datetime,
    subreddits: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any] | Rejected | BadLine]:
    """The rows of the reader's records (`records_filter`, then `_validated`); `kind` is COMMENTS/SUBMISSIONS or None."""
    if now is None:  # item_validate reads the clock for each item: no fixed "future" to compile
        return _dump_rows_reference(reader, kind=kind, now=now, subreddits=subreddits, since=since, until=until)
    keep = record_test(subreddits=subreddits, since=since, until=until)
    return reader.converted(_converter(ITEM_KIND[kind] if kind else None, now, keep))


def _dump_rows_reference(
    reader: DumpReader,
    *,
    kind: str | None,
    now: datetime | None,
    subreddits: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any] | Rejected | BadLine]:
    """The definition of `dump_rows`: `records_filter` + `item_validate`, nothing compiled."""
    item_kind = ITEM_KIND[kind] if kind else None
    for entry in records_filter(reader.records(), subreddits=subreddits, since=since, until=until):
        if type(entry) is BadLine:
            yield entry
            continue
        yield _validated(entry[1], item_kind, now)


def _validated(record: dict[str, Any], item_kind: str | None, now: datetime | None) -> dict[str, Any] | Rejected:
    """`item_validate`'s row or Rejected, after the file's kind test: a record whose fields are of
    the other kind (a comment in a submissions file) is a KIND_MISMATCH, not an empty post."""
    if item_kind is not None:
        own = record_kind(record)
        if own is not None and ITEM_KIND[own] != item_kind:
            result = item_validate(record, now=now)  # the kind its fields tell: for its fullname
            return Rejected(result.row["reddit_id"] if type(result) is Accepted else result.fullname, _KIND_MISMATCH)
    result = item_validate(record, kind=item_kind, now=now)
    return result.row if type(result) is Accepted else result


def _converter(
    kind: str | None, now: datetime, keep: Callable[[dict[str, Any]], bool] | None
) -> Callable[[dict[str, Any], int], Any]:
    """`convert(record, line_no)` for `DumpReader.converted`: None when `keep` leaves the record out,
    else the row or Rejected of `item_validate(record, kind=kind, now=now)`.

    The row of a record of the common shape is built here (docs/design/dump-import.md):
    each test below is the common case of one step of `item_validate` (its module
    docstring gives the rules), and what a test does not cover goes to `item_validate`
    itself, never to a guess. One closure with everything inline: it runs once per line.
    The plain string tests stand for `ingest.validation`'s regexes, which cost more
    than the rest of a row: `s.strip(_BASE36)` is empty exactly when `s` is made of
    base-36 digits, and `link.rstrip(_BASE36) == "t3_"` when it is `t3_` and base-36
    digits.
    """
    latest = (now_resolve(now) + FUTURE_TOLERANCE).timestamp()  # the newest created_utc `_created` accepts
    latest_second = math.floor(latest)  # the same bound for an int
    names: dict[str, str | None] = {}  # raw subreddit -> the lower-case name, None: not a plain name
    hours: dict[int, datetime] = {}  # epoch hour -> its datetime
    links: set[str] = set()  # link_ids found good (a thread's comments share one)

    def general(record: dict[str, Any]) -> dict[str, Any] | Rejected:
        return _validated(record, kind, now)

    def convert(record: dict[str, Any], line_no: int) -> dict[str, Any] | Rejected | None:
        if keep is not None and not keep(record):
            return None
        item_kind = kind
        try:
            # identity and kind (`_unwrap`, `_identity`): a bare id, a matching fullname or none.
            if "data" in record:  # perhaps a listing child {"kind": ..., "data": ...}
                return general(record)
            id36 = record["id"]  # records() hands out only records with an "id"
            if type(id36) is not str or not 0 < len(id36) <= _ID36_MAX or id36.strip(_BASE36):
                return general(record)
            name = record.get("name")
            if name is None:
                if item_kind is None:  # the kind comes from the fields: only the plain comment case here
                    if "link_id" not in record:
                        return general(record)
                    item_kind = "comment"
                fullname = ("t3_" if item_kind == "post" else "t1_") + id36
            elif name == "t1_" + id36:
                if item_kind == "post":
                    return general(record)
                item_kind, fullname = "comment", name
            elif name == "t3_" + id36:
                if item_kind == "comment":
                    return general(record)
                item_kind, fullname = "post", name
            else:
                return general(record)

            # subreddit (`_subreddit`): a plain name, lower-cased.
            raw_sub = record["subreddit"]
            if type(raw_sub) is not str:
                return general(record)
            sub = names.get(raw_sub, _UNSEEN)
            if sub is _UNSEEN:
                sub = raw_sub.lower() if _PLAIN_SUBREDDIT(raw_sub) else None
                if len(names) < _CACHE_MAX:
                    names[raw_sub] = sub
            if sub is None:
                return general(record)

            # created_utc (`_created` via `_number`): inside [REDDIT_EPOCH, latest], else item_validate rejects it.
            created = record["created_utc"]
            if type(created) is str:  # old files
                if not (created.isascii() and created.isdigit() and len(created) <= _TIMESTAMP_DIGITS):
                    return general(record)
                created = int(created)
            if type(created) is not int:
                if type(created) is not float or not _EPOCH_TS <= created <= latest:  # NaN fails too
                    return general(record)
                created = datetime.fromtimestamp(float(created), tz=UTC)
            else:
                if not _EPOCH_TS <= created <= latest_second:
                    return general(record)
                # = datetime.fromtimestamp(float(created), tz=UTC): UTC has no DST, so the hour's
                # datetime plus the seconds into it is the same moment (three times cheaper).
                start = hours.get(created // 3600)
                if start is None:
                    start = datetime.fromtimestamp(float(created // 3600 * 3600), tz=UTC)
                    if len(hours) < _CACHE_MAX:
                        hours[created // 3600] = start
                created = start + _SECONDS[created % 3600]

            # score (`count_clamp` of score, else ups), author (`author_clean`).
            score = record["score"]
            if score is None:
                score = record.get("ups")
            if type(score) is not int or not SCORE_MIN <= score <= SCORE_MAX:
                score = count_clamp(score, SCORE_MIN, SCORE_MAX)
            author = record["author"]
            if type(author) is str and author.isascii() and "\x00" not in author:
                author = author[:AUTHOR_MAX].strip() or "[deleted]"
            else:
                author = author_clean(author)

            if item_kind == "comment":
                link = record["link_id"]
                if type(link) is not str:
                    return general(record)
                if link not in links:
                    if not 3 < len(link) <= _LINK_MAX or link.rstrip(_BASE36) != "t3_":
                        return general(record)
                    if len(links) >= _CACHE_MAX:
                        links.clear()
                    links.add(link)
                body = record["body"]
                if type(body) is not str or not body.isascii() or "\x00" in body or "&" in body:
                    body = reddit_text(body, None)
                stripped = body.strip()
                removed = len(stripped) in _MARKER_LENGTHS and stripped in REMOVED_MARKERS
                permalink = record.get("permalink")
                if permalink is None or permalink == "":
                    permalink = f"/r/{sub}/comments/{link[3:]}/_/{id36}/"
                elif type(permalink) is not str or permalink[:1] != "/":
                    permalink = permalink_clean(permalink, default="")  # not empty here: the default is never used
                elif len(permalink) > PERMALINK_MAX or not _PERMALINK(permalink):
                    permalink = ""
                row = _COMMENT_ROW.copy()
                row["reddit_id"] = fullname
                row["subreddit"] = sub
                row["parent_post_id"] = link
                row["body"] = "" if removed else body[:TEXT_MAX_CHARS]
                row["author"] = author
                row["permalink"] = permalink
                row["score"] = score
                row["is_removed"] = removed
                row["created_utc"] = created
                return row

            if "link_id" in record or "parent_id" in record:  # a comment's fields (`record_kind`)
                return general(record)
            body = record.get("selftext")
            if type(body) is not str or not body.isascii() or "\x00" in body or "&" in body:
                body = reddit_text(body, None)
            stripped = body.strip()
            category = record.get("removed_by_category")
            removed = (len(stripped) in _MARKER_LENGTHS and stripped in REMOVED_MARKERS) or (
                isinstance(category, str) and category in REMOVED_CATEGORIES
            )
            title = record.get("title")
            if type(title) is not str or not title.isascii() or "\x00" in title or "&" in title:
                title = reddit_text(title, None)
            permalink = record.get("permalink")
            if permalink is None or permalink == "":
                permalink = f"/r/{sub}/comments/{id36}/"
            elif type(permalink) is not str or permalink[:1] != "/":
                permalink = permalink_clean(permalink, default="")
            elif len(permalink) > PERMALINK_MAX or not _PERMALINK(permalink):
                permalink = ""
            comments = record.get("num_comments")
            if type(comments) is not int or not 0 <= comments <= NUM_COMMENTS_MAX:
                comments = count_clamp(comments, 0, NUM_COMMENTS_MAX)
            return {
                "reddit_id": fullname,
                "kind": "post",
                "subreddit": sub,
                "parent_post_id": "",
                "title": "" if removed else title[:TEXT_MAX_CHARS],
                "body": "" if removed else body[:TEXT_MAX_CHARS],
                "author": author,
                "permalink": permalink,
                "score": score,
                "num_comments": comments,
                "is_removed": removed,
                "created_utc": created,
            }
        except KeyError:  # a field the common shape always has is missing
            pass
        return general(record)

    return convert
