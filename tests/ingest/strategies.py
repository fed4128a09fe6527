"""Hypothesis strategies for Reddit items: hostile ones, valid ones, and whole comment trees.

* `junk()`: any JSON-ish value a broken or hostile source could put in a field --
  None, booleans, huge ints, floats with NaN/inf, strings with NUL bytes and lone
  surrogates, numeric-looking strings, lists, dicts.
* `valid_comment_data()` / `valid_submission_data()`: `t1`/`t3` `data` dicts in the
  shape of the real API (see ../shared/reddit-api-samples and
  `ingest.fakereddit.datagen`), created before `STRATEGY_NOW`; their text may still
  hold NUL/surrogates (that is repaired, not rejected).
* `raw_items()`: a valid item with any field replaced by `junk()` or dropped,
  sometimes wrapped as a listing child (`{"kind": "t1", "data": ...}`);
  `raw_items(keep=IDENTITY_FIELDS)` keeps id/name/link_id/subreddit/created_utc
  valid, so the junk in the other fields reaches the accepted path.
* `praw_items()`: like `raw_items()`, but with the fields praw objectifies (id,
  author, subreddit) kept to values praw accepts, so `praw.models.Comment(reddit,
  _data=...)` can be built from it.
* `reddit_datasets()`: `{"posts": [...], "comments": [...]}` for
  `FakeReddit.add_dataset`: posts with comment trees of random shape (flat, one deep
  chain, random), `link_id`/`parent_id`/`depth`/`permalink` consistent, ids growing
  with time as Reddit's do. With `hostile=True`, texts and counts are hostile in
  ways the fake server can still serve (numbers stay numbers).

* `dump_lines(kind)`: one line of a Pushshift / Arctic Shift dump file (bytes): a record
  of the recent or the old shape (`dump_records`), one with spoiled fields
  (`spoiled_dump_records`), a `raw_items()` one, or not a record or not JSON at all.

Times are at or before `STRATEGY_NOW`, a fixed past moment, so examples are
reproducible; call `FakeReddit.shift_to_now()` for "live" data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from ingest.ids import BASE36_DIGITS, to36

STRATEGY_NOW = datetime(2026, 11, 1, tzinfo=UTC)
_NOW_TS = int(STRATEGY_NOW.timestamp())
_REDDIT_START_TS = int(datetime(2005, 6, 1, tzinfo=UTC).timestamp())
_SUBREDDIT_CHARS = BASE36_DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAMES = ["diamond", "paper", "tendie", "ape", "regard", "theta", "bagholder", "yolo", "wendy"]

COMMENT_FIELDS = [
    "id",
    "name",
    "link_id",
    "parent_id",
    "subreddit",
    "author",
    "body",
    "created_utc",
    "score",
    "permalink",
    "edited",
]
POST_FIELDS = [
    "id",
    "name",
    "subreddit",
    "author",
    "title",
    "selftext",
    "created_utc",
    "score",
    "num_comments",
    "permalink",
    "removed_by_category",
    "edited",
]

SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude80"]
NASTY_PIECES = [
    "\x00",
    *SURROGATES,
    "[deleted]",
    "[removed]",
    "javascript:alert(1)//",
    "//evil.example",
    "<script>alert(1)</script>",
    "\u202e",
    "\u200b",
    "\ufeff",
    "🚀",
    "'; DROP TABLE articles_article; --",
    "\r\n",
    "\t",
    " ",
]
NUMERIC_STRINGS = [
    "12abc",
    "12",
    " 7 ",
    "-3",
    "1e3",
    "5e9",
    "3000000000",
    "9" * 30,
    "1" * 5000,
    "12.5",
    "12.0",
    "-0",
    "1_000",
    "0x10",
    "١٢",
    "NaN",
    "inf",
    "-inf",
    "",
    " ",
    "yesterday",
    "1411437457",
    "1411437457.0",
    "32503680000",
    "1e13",
]


# ------------------------------------------------------------------ scalars


def nasty_text(max_pieces: int = 8) -> st.SearchStrategy[str]:
    """Strings made of ordinary text, NULs, lone surrogates, markers and attack strings."""
    piece = st.one_of(
        st.text(max_size=12),
        st.sampled_from(NASTY_PIECES),
        st.characters(categories=["Cs"]),
        st.characters(min_codepoint=0, max_codepoint=0x1F),
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


def huge_ints() -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 3_000_000_000, 10**400]),
    )


def junk_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        huge_ints(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([5e9, 1e13, 32503680000.0, -1.0, 0.5, 1e308]),
        nasty_text(),
        st.sampled_from(NUMERIC_STRINGS),
    )


def junk() -> st.SearchStrategy[Any]:
    """Any value a hostile source could put in a field, containers included."""
    return st.recursive(
        junk_scalars(),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        max_leaves=6,
    )


# --------------------------------------------------------------- valid items


def id36s() -> st.SearchStrategy[str]:
    return st.integers(min_value=1, max_value=36**8).map(to36)


def subreddits() -> st.SearchStrategy[str]:
    """Subreddit names as Reddit spells them (mixed case included)."""
    return st.one_of(
        st.sampled_from(["wallstreetbets", "WallStreetBets", "stocks", "u_some_user", "pl"]),
        st.text(alphabet=_SUBREDDIT_CHARS, min_size=2, max_size=21),
    )


def authors() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["[deleted]", "AutoModerator"]), st.from_regex(r"[A-Za-z0-9_-]{3,20}", fullmatch=True)
    )


def timestamps(*, newest: int = _NOW_TS) -> st.SearchStrategy[Any]:
    """A valid created_utc in the forms the API and dump files use: float, int, numeric string."""
    seconds = st.integers(min_value=_REDDIT_START_TS, max_value=newest)
    return st.one_of(
        seconds.map(float),
        seconds,
        seconds.map(str),
        seconds.map(lambda s: f"{s}.0"),
        st.floats(min_value=_REDDIT_START_TS, max_value=newest),
    )


def edited_values() -> st.SearchStrategy[Any]:
    return st.one_of(st.just(False), st.just(True), timestamps(), st.none())


@st.composite
def valid_comment_data(draw: st.DrawFn) -> dict[str, Any]:
    cid, post_id, sub = draw(id36s()), draw(id36s()), draw(subreddits())
    parent = draw(st.one_of(st.just(f"t3_{post_id}"), id36s().map(lambda i: f"t1_{i}")))
    data = {
        "id": cid,
        "name": f"t1_{cid}",
        "link_id": f"t3_{post_id}",
        "parent_id": parent,
        "subreddit": sub,
        "author": draw(authors()),
        "body": draw(st.one_of(st.text(max_size=200), nasty_text())),
        "created_utc": draw(timestamps()),
        "score": draw(st.integers(min_value=-(10**6), max_value=10**6)),
        "permalink": f"/r/{sub}/comments/{post_id}/some_title/{cid}/",
        "edited": draw(edited_values()),
        "replies": "",
    }
    return _maybe_dump_style(draw, data, optional=["name", "permalink", "edited", "parent_id", "score"])


@st.composite
def valid_submission_data(draw: st.DrawFn) -> dict[str, Any]:
    pid, sub = draw(id36s()), draw(subreddits())
    data = {
        "id": pid,
        "name": f"t3_{pid}",
        "subreddit": sub,
        "author": draw(authors()),
        "title": draw(st.one_of(st.text(min_size=1, max_size=300), nasty_text())),
        "selftext": draw(st.one_of(st.text(max_size=200), nasty_text())),
        "created_utc": draw(timestamps()),
        "score": draw(st.integers(min_value=0, max_value=10**6)),
        "num_comments": draw(st.integers(min_value=0, max_value=10**5)),
        "permalink": f"/r/{sub}/comments/{pid}/some_title/",
        "removed_by_category": draw(st.sampled_from([None, None, None, "moderator", "deleted", "author", "reddit"])),
        "edited": draw(edited_values()),
    }
    return _maybe_dump_style(
        draw, data, optional=["name", "permalink", "edited", "removed_by_category", "selftext", "num_comments"]
    )


def _maybe_dump_style(draw: st.DrawFn, data: dict[str, Any], *, optional: list[str]) -> dict[str, Any]:
    """Old dump files lack fields the API has now: drop some optional ones."""
    for key in optional:
        if draw(st.integers(0, 4)) == 0:
            data.pop(key, None)
    return data


def valid_items() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(valid_comment_data(), valid_submission_data())


# ------------------------------------------------------------- hostile items


#: The fields an item cannot be stored without: keep them valid to reach the accepted path.
IDENTITY_FIELDS = ("id", "name", "link_id", "subreddit", "created_utc")


@st.composite
def raw_items(
    draw: st.DrawFn, kind: str | None = None, *, wrap: bool = True, keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A Reddit `data` dict whose every field (but those in `keep`) may be junk or missing."""
    kind = kind or draw(st.sampled_from(["comment", "post"]))
    data = draw(valid_comment_data() if kind == "comment" else valid_submission_data())
    for key in COMMENT_FIELDS if kind == "comment" else POST_FIELDS:
        if key in keep:
            continue
        roll = draw(st.integers(0, 9))
        if roll >= 8:
            data.pop(key, None)
        elif roll >= 5:
            data[key] = draw(junk())
    if wrap and draw(st.booleans()):
        return {"kind": "t1" if kind == "comment" else "t3", "data": data}
    return data


def _praw_string() -> st.SearchStrategy[str]:
    return st.one_of(subreddits(), nasty_text().filter(bool))


@st.composite
def praw_items(draw: st.DrawFn, kind: str | None = None) -> dict[str, Any]:
    """Like `raw_items`, unwrapped, with id/author/subreddit as praw accepts them (non-empty strings).

    praw objectifies `author` (a Redditor, None for "[deleted]") and `subreddit` (a
    Subreddit) and refuses an empty `id`; every other field is stored as given.
    """
    data = draw(raw_items(kind, wrap=False))
    for key in ("author", "subreddit"):
        if key in data and not (isinstance(data[key], str) and data[key]):
            data[key] = draw(_praw_string())
    if not (isinstance(data.get("id"), str) and data["id"]):
        data["id"] = draw(st.one_of(id36s(), nasty_text().filter(bool)))
    return data


# ------------------------------------------------------------ comment trees

SHAPES = ["flat", "chain", "random", "bushy"]


@st.composite
def reddit_datasets(
    draw: st.DrawFn,
    *,
    min_posts: int = 1,
    max_posts: int = 3,
    max_comments: int = 30,
    subreddit: str = "wallstreetbets",
    newest: datetime = STRATEGY_NOW,
    hostile: bool = False,
) -> dict[str, Any]:
    """Posts with comment trees, ready for `FakeReddit.add_dataset(d["posts"], d["comments"])`.

    Every comment's `link_id` is its post's fullname and its `parent_id` the post or
    an earlier comment of the same post; a reply is always younger than its parent;
    ids are given in creation order (base-36 ids grow with time, as on Reddit).
    """
    end = int(newest.timestamp())
    n_posts = draw(st.integers(min_posts, max_posts))
    posts: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for p in range(n_posts):
        created = end - draw(st.integers(3600, 3 * 86400))
        post = _post(draw, subreddit=subreddit, created=created, hostile=hostile, index=p)
        posts.append(post)
        n = draw(st.integers(0, max_comments))
        shape = draw(st.sampled_from(SHAPES))
        made: list[dict[str, Any]] = []
        moment = created
        for k in range(n):
            moment += draw(st.integers(1, 60))
            if not made or shape == "flat":
                parent = None
            elif shape == "chain":
                parent = made[-1]
            elif shape == "bushy":
                parent = made[draw(st.integers(0, min(2, len(made) - 1)))]
            else:
                pick = draw(st.integers(-1, len(made) - 1))
                parent = made[pick] if pick >= 0 else None
            comment = _comment(draw, post, parent, created=moment, hostile=hostile, index=k)
            made.append(comment)
        comments.extend(made)
        post["num_comments"] = len(made)
    _renumber(draw, posts, comments)
    return {"posts": posts, "comments": comments}


def comment_trees(**kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    """One post and its comment tree (a `reddit_datasets` with exactly one post)."""
    return reddit_datasets(min_posts=1, max_posts=1, **kwargs)


def _text(draw: st.DrawFn, *, hostile: bool) -> str:
    if hostile:
        return draw(st.one_of(st.text(max_size=80), nasty_text()))
    return draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=80))


def _score(draw: st.DrawFn, *, hostile: bool) -> int | float:
    if hostile:
        return draw(
            st.one_of(st.integers(-(10**4), 10**4), huge_ints().filter(lambda v: abs(v) < 10**30), st.just(5e9))
        )
    return draw(st.integers(-50, 5000))


def _post(draw: st.DrawFn, *, subreddit: str, created: int, hostile: bool, index: int) -> dict[str, Any]:
    title = _text(draw, hostile=hostile) or f"post {index}"
    removed = draw(st.integers(0, 9)) == 0
    data: dict[str, Any] = {
        "id": f"p{index}",  # placeholder: `_renumber` gives the real id
        "name": f"t3_p{index}",
        "subreddit": subreddit,
        "subreddit_id": "t5_2th52",
        "subreddit_name_prefixed": f"r/{subreddit}",
        "title": title,
        "selftext": "[removed]" if removed else _text(draw, hostile=hostile),
        "author": "[deleted]" if removed else draw(authors()),
        "created_utc": float(created),
        "created": float(created),
        "score": _score(draw, hostile=hostile),
        "num_comments": 0,
        "permalink": f"/r/{subreddit}/comments/p{index}/post/",
        "url": "",
        "is_self": True,
        "stickied": False,
        "link_flair_text": None,
        "over_18": False,
        "locked": False,
        "edited": False,
        "distinguished": None,
        "removed_by_category": "moderator" if removed else None,
    }
    if hostile and draw(st.integers(0, 4)) == 0:
        data["permalink"] = draw(st.sampled_from(["javascript:alert(1)//", "//evil.example/x", "/r/x/ y", ""]))
    return data


def _comment(
    draw: st.DrawFn, post: dict[str, Any], parent: dict[str, Any] | None, *, created: int, hostile: bool, index: int
) -> dict[str, Any]:
    deleted = draw(st.integers(0, 19))
    marker = "[deleted]" if deleted == 0 else "[removed]" if deleted == 1 else None
    cid = f"{post['id']}c{index}"
    return {
        "id": cid,
        "name": f"t1_{cid}",
        "link_id": post["name"],
        "parent_id": parent["name"] if parent else post["name"],
        "subreddit": post["subreddit"],
        "subreddit_id": post["subreddit_id"],
        "author": "[deleted]" if marker else draw(authors()),
        "body": marker or _text(draw, hostile=hostile),
        "created_utc": float(created),
        "created": float(created),
        "score": _score(draw, hostile=hostile),
        "ups": 0,
        "downs": 0,
        "edited": draw(st.one_of(st.just(False), st.just(float(created + 60)))),
        "replies": "",
        "controversiality": 0,
        "stickied": False,
        "distinguished": None,
        "is_submitter": False,
        "score_hidden": False,
        "depth": 0 if parent is None else parent["depth"] + 1,
        "permalink": "",
        "archived": False,
        "collapsed": bool(marker),
    }


def _renumber(draw: st.DrawFn, posts: list[dict[str, Any]], comments: list[dict[str, Any]]) -> None:
    """Real base-36 ids in creation order; link_id/parent_id/permalink follow."""
    things = sorted([*posts, *comments], key=lambda t: (t["created_utc"], 0 if t["name"].startswith("t3_") else 1))
    next_id = draw(st.integers(36**5, 36**6))
    mapping: dict[str, str] = {}
    for thing in things:
        next_id += draw(st.integers(1, 3))
        mapping[thing["name"]] = f"{thing['name'][:3]}{to36(next_id)}"
    for thing in things:
        thing["name"] = mapping[thing["name"]]
        thing["id"] = thing["name"][3:]
        for key in ("link_id", "parent_id"):
            if key in thing:
                thing[key] = mapping[thing[key]]
    for post in posts:
        if post["permalink"].startswith(f"/r/{post['subreddit']}/comments/"):
            post["permalink"] = f"/r/{post['subreddit']}/comments/{post['id']}/post/"
        post["ups"] = post["score"]
    for comment in comments:
        comment["permalink"] = f"/r/{comment['subreddit']}/comments/{comment['link_id'][3:]}/post/{comment['id']}/"
        comment["ups"] = comment["score"]


# ------------------------------------------------------------------- dump lines

#: Comment texts in the dumps' style: tickers bare and as cashtags, links, quotes, code, emoji.
DUMP_TEXTS = [
    "GME to the moon 🚀🚀",
    "Bought more $tlry at the open 🍗",
    "DD: NOK has 559% short interest and the CEO keeps buying. YOLO",
    "[SNDL chart](https://www.example.com/chart/SNDL) looks like a cup and handle",
    "Look at this https://www.example.com/quote/GME?range=1d it's over",
    "> CLOV will never go down\n\nlol ok 💸",
    "`FB` is my code name for the stock I can't name",
    "I think IT is going to dump tomorrow, ALL in cash NOW",
    "all money never earnings is sold fund but today market",
    "$BRK.B and TSLA.I think",
]
#: Values of created_utc, created_utc-like strings and ids that sit on a rule's edge.
EDGE_TIMESTAMPS = [_REDDIT_START_TS - 1, _REDDIT_START_TS, _NOW_TS + 3600, _NOW_TS + 3601, _NOW_TS + 3600.5]


def dump_timestamps() -> st.SearchStrategy[Any]:
    """created_utc as dump files write it (an int, or a string in old ones), and its odd forms."""
    seconds = st.integers(min_value=_REDDIT_START_TS, max_value=_NOW_TS)
    return st.one_of(
        seconds,
        seconds.map(str),
        st.sampled_from(EDGE_TIMESTAMPS),
        st.sampled_from(EDGE_TIMESTAMPS).map(lambda s: str(int(s))),
        st.floats(min_value=_REDDIT_START_TS - 10, max_value=_NOW_TS + 7200),
        seconds.map(lambda s: f" {s}"),
        seconds.map(lambda s: f"{s}.0"),
        seconds.map(lambda s: "0" * 10 + str(s)),
        st.sampled_from(NUMERIC_STRINGS),
    )


@st.composite
def dump_records(draw: st.DrawFn, kind: str, *, well_formed: bool = False) -> dict[str, Any]:
    """A comment ("comments") or submission ("submissions") as a Pushshift / Arctic Shift line
    holds it: the recent shape (~30 fields, created_utc an int) or the old one (name, ups,
    created_utc a string, no permalink). `well_formed`: created_utc in the accepted range,
    an int (a digit string in the old shape), so that item_validate accepts the record."""
    item_id, post_id, sub = draw(id36s()), draw(id36s()), draw(subreddits())
    created = draw(st.integers(_REDDIT_START_TS, _NOW_TS) if well_formed else dump_timestamps())
    score = draw(st.one_of(st.integers(-1000, 10**6), st.sampled_from([0, 1, 2**63 - 1, -(2**63)])))
    author = draw(authors())
    text = draw(st.one_of(st.sampled_from(DUMP_TEXTS), st.sampled_from(sorted(REMOVED)), st.text(max_size=60)))
    old = draw(st.integers(0, 5)) == 0
    record: dict[str, Any] = {"author": author, "created_utc": created, "id": item_id, "score": score}
    record["subreddit"] = sub
    if kind == "comments":
        record.update(body=text, link_id=f"t3_{post_id}", parent_id=f"t3_{post_id}", controversiality=0)
    else:
        record.update(
            title=draw(st.one_of(st.sampled_from(DUMP_TEXTS), st.text(max_size=40))),
            selftext=draw(st.one_of(st.just(""), st.just(text))),
            num_comments=draw(st.integers(0, 10**5)),
            is_self=True,
            removed_by_category=draw(st.sampled_from([None, None, "moderator", "deleted", "author", "reddit"])),
        )
    if old:
        record.update(name=f"{'t1' if kind == 'comments' else 't3'}_{item_id}", ups=score, gilded=0)
        if type(created) is int:
            record["created_utc"] = str(created)
        if draw(st.integers(0, 3)) == 0:  # the oldest files: no score, only ups
            record["score"] = None
    else:
        slug = "what_are_your_moves_tomorrow"
        record.update(
            all_awardings=[],
            archived=False,
            associated_award=None,
            author_flair_richtext=[],
            author_flair_text=draw(st.sampled_from([None, "🦍", "Diamond Hands"])),
            gildings={},
            retrieved_on=_NOW_TS,
            stickied=False,
            subreddit_id="t5_2th52",
            subreddit_name_prefixed=f"r/{sub}",
            treatment_tags=[],
            permalink=f"/r/{sub}/comments/{post_id}/{slug}/{item_id}/"
            if kind == "comments"
            else f"/r/{sub}/comments/{item_id}/{slug}/",
        )
    return record


REMOVED = {"[deleted]", "[removed]", " [removed]\n"}
#: For each field the common path reads, values on the edges of its tests (each must send
#: the record to item_validate, or make the row item_validate would make).
SPOILED: dict[str, list[Any]] = {
    "id": ["t1_abc", "t3_abc", "ABC", "a_b", "", None, "a" * 17, "a" * 18, "abc\x00", "ａｂｃ", " abc", 12],
    "name": [None, "", "t1_", "t2_abc", "abc", "T1_abc", 5],
    "subreddit": ["r/wallstreetbets", "/r/WSB/", " stocks", "reddit.com", "wall street", "\u212aelvin", "a" * 65],
    "created_utc": [None, "", " ", True, 1.5e9, float("nan"), "1e9", "+1500000000", "١٥٠٠٠٠٠٠٠٠", *EDGE_TIMESTAMPS],
    "score": [None, True, 1.0, 2.5, "12", 2**63, -(2**63) - 1, 10**30, [], "NaN"],
    "ups": [None, 7, "7", 2**64],
    "author": [None, "", "  ", "ünïcode", "a\x00b", " a ", "a" * 70, "[deleted]", 5],
    "body": ["[deleted]", " [removed] ", "\x00", "a\x00", "\ud800x", "ünï", "", None, 3, "x" * 200],
    "link_id": ["t1_abc", "t3_", "t3_ABC", "abc", "t3_" + "a" * 17, "t3_" + "a" * 18, "t3_a b", "", None, 1],
    "permalink": [
        *("https://www.reddit.com/r/x/comments/a/", "https://evil.example/r/x/", "javascript:alert(1)"),
        *("/r/x y/", '/r/x"y/', "/user/x/", "/comments/a/", "/x/", "/r/ü/", "/r/" + "a" * 600, "", None, 7),
    ],
    "title": [None, "", "a\x00", "\ud800", "[removed]", 3],
    "selftext": [None, "", "[deleted]", " [removed] ", "a\x00", 3],
    "num_comments": [None, -1, 2**63, "12", 1.0, True],
    "removed_by_category": [None, "deleted", "moderator", "author", "reddit", 1],
}


#: Every (field, edge value) pair, and the fullnames of both kinds for `name`.
SPOILED_PAIRS = [(key, value) for key, values in SPOILED.items() for value in values]
SPOILED_PAIRS += [("name", "t1_<id>"), ("name", "t3_<id>"), ("name", "t1_<other>"), ("data", None)]


@st.composite
def edge_dump_records(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A well-formed `dump_records` record with exactly one field set to one of
    `SPOILED_PAIRS` (drawn uniformly, so each edge is met often, and alone)."""
    record = draw(dump_records(kind, well_formed=True))
    key, value = draw(st.sampled_from(SPOILED_PAIRS))
    if key == "data":
        return {**record, "kind": draw(st.sampled_from(["t1", "t3"])), "data": dict(record, id=draw(id36s()))}
    if isinstance(value, str) and value.endswith(">"):
        value = value.replace("<id>", record["id"]).replace("<other>", draw(id36s()))
    record[key] = value
    return record


@st.composite
def spoiled_dump_records(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A `dump_records` record with one (now and then two or three) read fields spoiled:
    an edge value of `SPOILED`, junk, or dropped; or wrapped as a listing child (with the
    fields also left outside the wrapper, so the common path would read the wrong ones)."""
    record = draw(dump_records(kind))
    count = draw(st.sampled_from([1, 1, 1, 2, 3]))
    for key in draw(st.lists(st.sampled_from([*SPOILED, "data"]), min_size=count, max_size=count, unique=True)):
        if key == "data":
            inner = dict(record, id=draw(id36s()))
            record = {**record, "kind": draw(st.sampled_from(["t1", "t3", "t2", 1])), "data": inner}
            continue
        roll = draw(st.integers(0, 9))
        if roll < 1:
            record.pop(key, None)
        elif roll < 3:
            record[key] = draw(junk())
        else:
            record[key] = draw(st.sampled_from(SPOILED[key]))
        if key == "name" and roll == 9:
            record[key] = f"{draw(st.sampled_from(['t1_', 't3_']))}{record.get('id')}"
    return record


@st.composite
def dump_lines(draw: st.DrawFn, kind: str) -> bytes:
    """One line of a dump file (no b"\\n"): mostly a good record, else a spoiled or a hostile
    one, in any of the ways a writer can put it down (ASCII escapes or UTF-8, lone
    surrogates escaped or raw, NaN, duplicate keys), or not a record or not JSON at all."""
    roll = draw(st.integers(0, 19))
    if roll < 16:
        if roll < 8:
            record: Any = draw(dump_records(kind))
        elif roll < 11:
            record = draw(spoiled_dump_records(kind))
        elif roll < 14:
            record = draw(edge_dump_records(kind))
        else:
            record = draw(raw_items("comment" if kind == "comments" else "post"))
        text = json.dumps(record, ensure_ascii=draw(st.booleans()), separators=(",", ":"))
        line = text.encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 9)) == 0 and line.startswith(b"{") and len(line) > 2:  # a key twice: the last wins
            key = draw(st.sampled_from(["id", "name", "subreddit", "created_utc", "body", "link_id"]))
            line = b'{"' + key.encode() + b'":' + json.dumps(draw(junk_scalars())).encode() + b"," + line[1:]
        return line
    if roll < 18:
        value = draw(st.one_of(junk(), st.just({"name": "t1_abc"})))
        return json.dumps(value).encode("utf-8", "surrogatepass")
    junk_line = draw(st.one_of(st.binary(max_size=40), st.sampled_from([b"", b"   ", b"\t", b"{", b'{"id":"a"'])))
    return junk_line.replace(b"\n", b" ")
