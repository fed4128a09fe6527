"""Validate at the edge: one Reddit item in, a clean Article row or a reason out.

`item_validate` is the one gate between hostile Reddit data (a praw object, listing JSON,
a dump line) and `articles_upsert`: `Accepted(row)` or `Rejected(id, reason)`. It is pure
(no database, no network). The rules, field by field: docs/design/edge-validation.md.
"""

from __future__ import annotations

import html
import html.entities
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations

from articles.models import COUNT_MAX, Article

# ------------------------------------------------------------------ limits

_field = Article._meta.get_field

#: Column lengths, read from the model so they never drift from it.
REDDIT_ID_MAX: int = _field("reddit_id").max_length  # type: ignore[assignment]
PARENT_POST_ID_MAX: int = _field("parent_post_id").max_length  # type: ignore[assignment]
SUBREDDIT_MAX: int = _field("subreddit").max_length  # type: ignore[assignment]
AUTHOR_MAX: int = _field("author").max_length  # type: ignore[assignment]
PERMALINK_MAX: int = _field("permalink").max_length  # type: ignore[assignment]
#: title and body are TextFields (no column limit): this is ours. Reddit allows 40 000.
TEXT_MAX_CHARS = 100_000
#: The keys of an accepted row, in order: what `ingest.upsert` and `ingest.dumps.services` write.
ROW_KEYS = tuple(
    "reddit_id kind subreddit parent_post_id title body author permalink score num_comments is_removed created_utc".split()
)

BIGINT_MIN, BIGINT_MAX = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"]
#: The clamp ranges of the counts: +-`articles.models.COUNT_MAX`, far inside the columns
#: (BigIntegerField), so that sums of them (the rollups) never overflow.
SCORE_MIN, SCORE_MAX = -COUNT_MAX, COUNT_MAX
NUM_COMMENTS_MAX = COUNT_MAX

#: Reddit opened in June 2005: nothing on it is older.
REDDIT_EPOCH = datetime(2005, 6, 1, tzinfo=UTC)
#: How far after `now` a created_utc may be (clock skew) before the item is rejected.
FUTURE_TOLERANCE = timedelta(hours=1)

REMOVED_MARKERS = frozenset({"[deleted]", "[removed]"})
REMOVED_CATEGORIES = frozenset({"deleted", "moderator", "author"})  # as submission_item
_DELETED_AUTHOR = "[deleted]"

_ID36_RE = re.compile(rf"[0-9a-z]{{1,{REDDIT_ID_MAX - 3}}}", re.ASCII)
# Reddit's names, plus "reddit.com": the default subreddit until 2011, all over old dump files.
_SUBREDDIT_RE = re.compile(rf"[a-z0-9_]{{1,{SUBREDDIT_MAX}}}|reddit\.com", re.ASCII)
# A Reddit path: printable ASCII without space, backslash, quotes or angle brackets.
PERMALINK_RE = re.compile(r"/(?:r|user|comments)/[!#-&(-;=?-\[\]-~]*", re.ASCII)
_REDDIT_URL_RE = re.compile(r"https://(?:www\.|old\.|new\.)?reddit\.com(/.*)", re.ASCII | re.DOTALL)
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NUMBER_STR_MAX = 4000  # below Python's int-from-str digit limit (4300)
_LABEL_MAX = REDDIT_ID_MAX

_KINDS = {
    "post": "post",
    "t3": "post",
    "submission": "post",
    "comment": "comment",
    "t1": "comment",
}
_PREFIX = {"post": "t3_", "comment": "t1_"}


# ------------------------------------------------------------------ results


class Reason(StrEnum):
    """Why an item was rejected (a str: compare with plain strings, log as is)."""

    NOT_A_REDDIT_ITEM = "not_a_reddit_item"
    KIND_MISMATCH = "kind_mismatch"
    ID_MISSING = "id_missing"
    ID_INVALID = "id_invalid"
    ID_MISMATCH = "id_mismatch"
    SUBREDDIT_MISSING = "subreddit_missing"
    SUBREDDIT_INVALID = "subreddit_invalid"
    LINK_ID_MISSING = "link_id_missing"
    LINK_ID_INVALID = "link_id_invalid"
    CREATED_UTC_MISSING = "created_utc_missing"
    CREATED_UTC_INVALID = "created_utc_invalid"
    CREATED_IN_FUTURE = "created_in_future"
    CREATED_BEFORE_REDDIT = "created_before_reddit"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A clean Article row: the keys and meanings of `comment_item`/`submission_item`."""

    row: dict[str, Any]

    @property
    def fullname(self) -> str:
        return self.row["reddit_id"]


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item that must not be written.

    `fullname` is the item's fullname when it could be told, else its raw id (cleaned
    and cut, safe to log), else ''. `reason` is a `Reason`.
    """

    fullname: str
    reason: Reason


# ------------------------------------------------------------------ helpers


def text_clean(value: Any, limit: int | None = None) -> str:
    """A string safe for a PostgreSQL text column: no NUL, no lone surrogate, at most `limit` chars.

    Anything but a str is ''. Lone surrogates become U+FFFD; a proper pair of
    surrogate code points becomes the character it encodes.
    """
    if not isinstance(value, str):
        return ""
    text = str.__str__(value)  # a plain str, even from a str subclass
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():  # O(1) in CPython: no surrogate possible
        return text[:limit] if limit is not None else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text[:limit] if limit is not None else text


#: Unicode's bidirectional controls: embeddings and overrides (U+202A-U+202E), isolates
#: (U+2066-U+2069) and the marks LRM, RLM (U+200E, U+200F) and ALM (U+061C). In user text
#: they reorder what follows them on a page; no title, body or name needs them.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")
# A character reference with its semicolon, as Markdown decodes one (html.unescape alone
# would also decode "&not" in "&nothing").
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});")


def _entity(match: re.Match[str]) -> str:
    reference = match.group()
    if reference[1] == "#":
        return html.unescape(reference)  # HTML's rules for bad code points (U+FFFD, ...)
    return _NAMED.get(reference[1:], reference)  # exactly a known name: never a prefix of it


_NAMED = html.entities.html5


def bidi_strip(text: str) -> str:
    """`text` without `BIDI_CONTROLS`."""
    return text if text.isascii() else _BIDI_RE.sub("", text)


def reddit_text(value: Any, limit: int | None = TEXT_MAX_CHARS) -> str:
    """A title or body as Reddit's readers see it, safe to store: Reddit's one HTML escape undone
    (`&lt;b&gt;` -> `<b>`, `&amp;` -> `&`, `&#x1F680;` -> the emoji; `&amp;lt;` -> `&lt;`: once),
    then `text_clean`, without `BIDI_CONTROLS`, at most `limit` chars. Anything but a str is ''.

    The one text gate of both ways in (scraper and dumps): the page escapes what is stored once.
    """
    if not isinstance(value, str):
        return ""
    text = str.__str__(value)
    if "&" in text:
        text = _ENTITY_RE.sub(_entity, text)
    text = bidi_strip(text_clean(text))
    return text[:limit] if limit is not None else text


def _number(value: Any) -> int | float | None:
    """An int or a finite float from an int, a float or a numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _NUMBER_STR_MAX:
            return None
        if _INT_RE.fullmatch(text):
            return int(text)
        if _FLOAT_RE.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
    return None


def count_clamp(value: Any, low: int, high: int) -> int:
    """A count clamped to [low, high]; junk (not an integral number) is 0."""
    number = _number(value)
    if isinstance(number, float):
        number = int(number) if number.is_integer() else None
    if number is None:
        return 0
    return max(low, min(number, high))


def now_resolve(now: datetime | float | None) -> datetime:
    """`now` as an aware datetime: the clock when None, UTC when naive, an epoch number converted."""
    if now is None:
        return datetime.now(tz=UTC)
    if isinstance(now, datetime):
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(now), tz=UTC)


def created_clamp(created: datetime, now: datetime | float | None = None) -> datetime:
    """`created`, or `now` if it is later: a checkpoint never moves past now.

    `item_validate` already rejects items more than `FUTURE_TOLERANCE` ahead; this
    covers the tolerance itself, so a checkpoint written from an accepted item
    created five minutes "from now" (clock skew) still stops at now.
    """
    moment = now_resolve(now)
    return moment if created > moment else created


def _label(value: Any) -> str:
    """A raw id or name, made safe to log and to store as a label."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**_LABEL_MAX:
        value = str(value)
    if not isinstance(value, str):
        return ""
    text = text_clean(value[: _LABEL_MAX * 4]).strip()
    return "".join(ch for ch in text if ch.isprintable())[:_LABEL_MAX]


def _split_fullname(value: str) -> tuple[str | None, str]:
    """('post'/'comment'/None, rest) for 't3_abc', 't1_abc' or 'abc'."""
    for kind, prefix in _PREFIX.items():
        if value.startswith(prefix):
            return kind, value[len(prefix) :]
    return None, value


def _praw_fields(raw: Any) -> tuple[str | None, dict[str, Any]] | None:
    """(kind, fields) of a praw Comment/Submission, without a lazy fetch; None for anything else."""
    try:
        from praw.models import Comment, Submission
    except ImportError:  # the web image has no praw: then nothing is a praw object
        return None
    if isinstance(raw, Submission):
        kind = "post"
    elif isinstance(raw, Comment):
        kind = "comment"
    else:
        return None
    fields = dict(vars(raw))
    if "author" in fields:  # praw turns "[deleted]" into None and a name into a Redditor
        author = fields["author"]
        fields["author"] = _DELETED_AUTHOR if author is None else getattr(author, "__dict__", {}).get("name", author)
    subreddit = fields.get("subreddit")
    if subreddit is not None and not isinstance(subreddit, str):
        fields["subreddit"] = getattr(subreddit, "__dict__", {}).get("display_name")
    return kind, fields


def _unwrap(raw: Any) -> tuple[list[str], dict[str, Any]] | None:
    """(kinds the input itself claims, fields); None when it is not a Reddit item at all."""
    # A dict is never a praw object: skip the praw import and checks (the dump import's hot path).
    praw_item = None if isinstance(raw, dict) else _praw_fields(raw)
    if praw_item is not None:
        return [praw_item[0]] if praw_item[0] else [], praw_item[1]
    if not isinstance(raw, dict):
        return None
    if "kind" in raw and "data" in raw:  # a listing child: {"kind": "t1", "data": {...}}
        kind = {"t1": "comment", "t3": "post"}.get(raw["kind"]) if isinstance(raw["kind"], str) else None
        if kind is None or not isinstance(raw["data"], dict):
            return None
        return [kind], raw["data"]
    return [], raw


def _identity(data: dict[str, Any], claimed: list[str], kind_arg: str | None) -> tuple[str, str] | Rejected:
    """(kind, id36) from id/name/the claims, or why not."""
    raw_id, raw_name = data.get("id"), data.get("name")

    def label() -> str:  # only a rejection needs it: not computed for the millions of good items
        return _label(raw_name) or _label(raw_id)

    kinds = list(claimed)
    id36s: list[str] = []
    for is_name, value in ((False, raw_id), (True, raw_name)):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return Rejected(label(), Reason.ID_INVALID)
        prefix_kind, rest = _split_fullname(value)
        if is_name and prefix_kind is None:
            return Rejected(label(), Reason.ID_INVALID)  # a name is always a fullname
        if not _ID36_RE.fullmatch(rest):
            return Rejected(label(), Reason.ID_INVALID)
        if prefix_kind:
            kinds.append(prefix_kind)
        id36s.append(rest)
    if kind_arg is not None:
        kinds.append(kind_arg)
    if len(set(kinds)) > 1:
        return Rejected(label(), Reason.KIND_MISMATCH)
    kind = kinds[0] if kinds else _kind_from_fields(data)
    if kind is None:
        return Rejected(label(), Reason.NOT_A_REDDIT_ITEM)
    if not id36s:
        return Rejected(label(), Reason.ID_MISSING)
    if len(set(id36s)) > 1:
        return Rejected(label(), Reason.ID_MISMATCH)
    return kind, id36s[0]


def _kind_from_fields(data: dict[str, Any]) -> str | None:
    if "link_id" in data or ("body" in data and "title" not in data):
        return "comment"
    if "title" in data or "selftext" in data:
        return "post"
    return None


def _subreddit(value: Any) -> str | None | Rejected:
    """The lower-case subreddit name, None when missing, Rejected when not a subreddit name."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return Rejected("", Reason.SUBREDDIT_INVALID)
    name = value.strip().lower()
    for prefix in ("/r/", "r/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    name = name.rstrip("/")
    if not _SUBREDDIT_RE.fullmatch(name):
        return Rejected("", Reason.SUBREDDIT_INVALID)
    return name


def _created(value: Any, now: datetime) -> datetime | Reason:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Reason.CREATED_UTC_MISSING
    number = _number(value)
    if number is None:
        return Reason.CREATED_UTC_INVALID
    if number < REDDIT_EPOCH.timestamp():
        return Reason.CREATED_BEFORE_REDDIT
    if number > (now + FUTURE_TOLERANCE).timestamp():
        return Reason.CREATED_IN_FUTURE
    return datetime.fromtimestamp(float(number), tz=UTC)


def permalink_clean(value: Any, *, default: str) -> str:
    """A Reddit path (`PERMALINK_RE`, a reddit.com URL reduced to its path); `default` when
    missing, '' when present but not a Reddit path."""
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return ""
    url = _REDDIT_URL_RE.fullmatch(value)
    path = url.group(1) if url else value
    if len(path) > PERMALINK_MAX or not PERMALINK_RE.fullmatch(path):
        return ""
    return path


def author_clean(value: Any) -> str:
    """A clean author name (`text_clean`, no `BIDI_CONTROLS`), cut to the column; "[deleted]" when
    missing, empty or not a string."""
    if not isinstance(value, str):
        return _DELETED_AUTHOR
    author = bidi_strip(text_clean(value[: AUTHOR_MAX * 4]))[:AUTHOR_MAX].strip()
    return author or _DELETED_AUTHOR


# ------------------------------------------------------------------ the gate


def item_validate(
    raw: Any,
    *,
    kind: str | None = None,
    now: datetime | float | None = None,
    subreddit: str | None = None,
) -> Accepted | Rejected:
    """A Reddit item (praw Comment/Submission, API `data` dict, listing child or dump line) -> row or reason.

    `kind`: "post"/"comment" (or "t3"/"t1") when the caller knows it; it must agree
    with what the item says of itself. `now`: the moment "the future" starts from
    (default: the clock). `subreddit`: the subreddit to assume when the item names
    none (a thread's comments), as `comment_item(..., subreddit=)`.
    Never raises for any `raw`; raises ValueError for a `kind` it does not know.
    """
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}: use 'post' or 'comment'")
    unwrapped = _unwrap(raw)
    if unwrapped is None:
        return Rejected("", Reason.NOT_A_REDDIT_ITEM)
    claimed, data = unwrapped
    identity = _identity(data, claimed, _KINDS[kind] if kind else None)
    if isinstance(identity, Rejected):
        return identity
    item_kind, id36 = identity
    fullname = f"{_PREFIX[item_kind]}{id36}"

    sub = _subreddit(data.get("subreddit"))
    if sub is None and subreddit:
        sub = _subreddit(subreddit)
    if sub is None:
        return Rejected(fullname, Reason.SUBREDDIT_MISSING)
    if isinstance(sub, Rejected):
        return Rejected(fullname, sub.reason)

    created = _created(data.get("created_utc"), now_resolve(now))
    if isinstance(created, Reason):
        return Rejected(fullname, created)

    score = count_clamp(data["score"] if data.get("score") is not None else data.get("ups"), SCORE_MIN, SCORE_MAX)
    author = author_clean(data.get("author"))
    if item_kind == "comment":
        link = data.get("link_id")
        if link is None or link == "":
            return Rejected(fullname, Reason.LINK_ID_MISSING)
        link_kind, link36 = _split_fullname(link) if isinstance(link, str) else ("", "")
        if link_kind not in {None, "post"} or not _ID36_RE.fullmatch(link36):
            return Rejected(fullname, Reason.LINK_ID_INVALID)
        parent_post_id = f"t3_{link36}"
        body_raw = reddit_text(data.get("body"), None)
        removed = body_raw.strip() in REMOVED_MARKERS
        return Accepted(
            {
                "reddit_id": fullname,
                "kind": "comment",
                "subreddit": sub,
                "parent_post_id": parent_post_id,
                "title": "",
                "body": "" if removed else body_raw[:TEXT_MAX_CHARS],
                "author": author,
                "permalink": permalink_clean(data.get("permalink"), default=f"/r/{sub}/comments/{link36}/_/{id36}/"),
                "score": score,
                "num_comments": 0,
                "is_removed": removed,
                "created_utc": created,
            }
        )
    body_raw = reddit_text(data.get("selftext"), None)
    category = data.get("removed_by_category")
    removed = body_raw.strip() in REMOVED_MARKERS or (isinstance(category, str) and category in REMOVED_CATEGORIES)
    return Accepted(
        {
            "reddit_id": fullname,
            "kind": "post",
            "subreddit": sub,
            "parent_post_id": "",
            "title": "" if removed else reddit_text(data.get("title")),
            "body": "" if removed else body_raw[:TEXT_MAX_CHARS],
            "author": author,
            "permalink": permalink_clean(data.get("permalink"), default=f"/r/{sub}/comments/{id36}/"),
            "score": score,
            "num_comments": count_clamp(data.get("num_comments"), 0, NUM_COMMENTS_MAX),
            "is_removed": removed,
            "created_utc": created,
        }
    )
