"""ingest.validation.item_validate: hostile Reddit data in, a safe Article row or a reason out.

No database: every test here is pure (no `db` fixture). praw objects are built from
JSON with praw's own constructors on a `praw.Reddit` whose session refuses any request.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import praw
import pytest
import requests
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from praw.models import Comment, Submission

from articles.models import Article
from ingest.fakereddit import FakeReddit
from ingest.fakereddit.datagen import wsb_sample
from ingest.scrape.client import comment_item, submission_item
from ingest.validation import (
    AUTHOR_MAX,
    BIGINT_MAX,
    BIGINT_MIN,
    FUTURE_TOLERANCE,
    NUM_COMMENTS_MAX,
    PARENT_POST_ID_MAX,
    PERMALINK_MAX,
    REDDIT_EPOCH,
    REDDIT_ID_MAX,
    ROW_KEYS,
    SCORE_MAX,
    SCORE_MIN,
    SUBREDDIT_MAX,
    TEXT_MAX_CHARS,
    Accepted,
    Reason,
    Rejected,
    created_clamp,
    item_validate,
    text_clean,
)
from tests.ingest import strategies as rs
from tests.ingest.conftest import SAMPLES

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
PROPERTY = hypothesis_settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


class _NoNetwork(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        raise AssertionError("a validation test tried to use the network")


REDDIT = praw.Reddit(
    client_id="test-client",
    client_secret="test-secret",
    user_agent="market-pulse validation tests",
    check_for_updates=False,
    requestor_kwargs={"session": _NoNetwork()},
)


def comment(**changes: Any) -> dict[str, Any]:
    data = {
        "id": "k1abc",
        "name": "t1_k1abc",
        "link_id": "t3_p1xyz",
        "parent_id": "t3_p1xyz",
        "subreddit": "wallstreetbets",
        "author": "diamond_ape42",
        "body": "TSLA calls printing",
        "created_utc": 1764000000.0,
        "score": 12,
        "permalink": "/r/wallstreetbets/comments/p1xyz/daily/k1abc/",
        "edited": False,
        "replies": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not _DROP}


def post(**changes: Any) -> dict[str, Any]:
    data = {
        "id": "p1xyz",
        "name": "t3_p1xyz",
        "subreddit": "wallstreetbets",
        "author": "diamond_ape42",
        "title": "Daily Discussion Thread",
        "selftext": "Your daily thread",
        "created_utc": 1764000000.0,
        "score": 120,
        "num_comments": 7,
        "permalink": "/r/wallstreetbets/comments/p1xyz/daily/",
        "removed_by_category": None,
        "edited": False,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not _DROP}


_DROP = object()


def accepted(result: Accepted | Rejected) -> dict[str, Any]:
    assert isinstance(result, Accepted), result
    return result.row


def praw_object(data: dict[str, Any], kind: str) -> Comment | Submission:
    cls = Comment if kind == "comment" else Submission
    return cls(REDDIT, _data=dict(data))


def assert_safe(row: dict[str, Any], now: datetime) -> None:
    """What the database needs of a row: encodable text, no NUL, lengths, ranges, sane time."""
    assert tuple(row) == ROW_KEYS
    for key in ("reddit_id", "kind", "subreddit", "parent_post_id", "title", "body", "author", "permalink"):
        value = row[key]
        assert type(value) is str, (key, value)
        value.encode("utf-8")  # no lone surrogate
        assert "\x00" not in value, key
    assert len(row["reddit_id"]) <= REDDIT_ID_MAX
    assert len(row["parent_post_id"]) <= PARENT_POST_ID_MAX
    assert 1 <= len(row["subreddit"]) <= SUBREDDIT_MAX
    assert 1 <= len(row["author"]) <= AUTHOR_MAX
    assert len(row["permalink"]) <= PERMALINK_MAX
    assert len(row["title"]) <= TEXT_MAX_CHARS and len(row["body"]) <= TEXT_MAX_CHARS
    assert row["kind"] in {"post", "comment"}
    assert re.fullmatch(r"t[13]_[0-9a-z]+", row["reddit_id"])
    assert row["reddit_id"].startswith("t3_" if row["kind"] == "post" else "t1_")
    if row["kind"] == "comment":
        assert re.fullmatch(r"t3_[0-9a-z]+", row["parent_post_id"])
        assert row["num_comments"] == 0 and row["title"] == ""
    else:
        assert row["parent_post_id"] == ""
    assert re.fullmatch(r"[a-z0-9_]+|reddit\.com", row["subreddit"])
    assert row["permalink"] == "" or re.fullmatch(r"/(r|user|comments)/[^\s\\\"'<>]*", row["permalink"])
    assert type(row["score"]) is int and SCORE_MIN <= row["score"] <= SCORE_MAX
    assert type(row["num_comments"]) is int and 0 <= row["num_comments"] <= NUM_COMMENTS_MAX
    assert type(row["is_removed"]) is bool
    if row["is_removed"]:
        assert row["title"] == "" and row["body"] == ""
    created = row["created_utc"]
    assert isinstance(created, datetime) and created.tzinfo is not None
    assert REDDIT_EPOCH <= created <= now + FUTURE_TOLERANCE


# ------------------------------------------------------------------ the limits


def test_limits_come_from_the_model():
    field = Article._meta.get_field
    assert REDDIT_ID_MAX == field("reddit_id").max_length
    assert PARENT_POST_ID_MAX == field("parent_post_id").max_length
    assert SUBREDDIT_MAX == field("subreddit").max_length
    assert AUTHOR_MAX == field("author").max_length
    assert PERMALINK_MAX == field("permalink").max_length
    assert (BIGINT_MIN, BIGINT_MAX) == (-(2**63), 2**63 - 1)
    # The counts are clamped far inside their columns (issue 30 item 11): sums of them fit too.
    assert (SCORE_MIN, SCORE_MAX, NUM_COMMENTS_MAX) == (-(2**31 - 1), 2**31 - 1, 2**31 - 1)
    assert field("score").get_internal_type() == field("num_comments").get_internal_type() == "BigIntegerField"


# ------------------------------------------------------------- the defect table

SURROGATE = "\ud800"

# (case, input, kind=, expected): expected is a Reason, or a dict of row values to check.
DEFECTS: list[tuple[str, Any, str | None, Reason | dict[str, Any]]] = [
    ("lone surrogate in body", comment(body=f"a{SURROGATE}b"), None, {"body": "a\ufffdb"}),
    ("lone surrogate in author", comment(author=f"ape{SURROGATE}"), None, {"author": "ape\ufffd"}),
    ("lone surrogate in title", post(title=f"GME{SURROGATE}"), None, {"title": "GME\ufffd"}),
    ("surrogate pair joined", comment(body="\ud83d\ude80"), None, {"body": "🚀"}),
    ("low surrogate first", comment(body="\udc00\ud800"), None, {"body": "\ufffd\ufffd"}),
    ("NUL in body", comment(body="a\x00b\x00"), None, {"body": "ab"}),
    ("NUL in title and selftext", post(title="T\x00SLA", selftext="x\x00"), None, {"title": "TSLA", "body": "x"}),
    ("NUL in author", comment(author="ape\x00"), None, {"author": "ape"}),
    ("NUL-only author", comment(author="\x00"), None, {"author": "[deleted]"}),
    ("score 12abc", comment(score="12abc"), None, {"score": 0}),
    ("score 3e9", post(score=3_000_000_000), None, {"score": min(3_000_000_000, SCORE_MAX)}),
    ("score -3e9", post(score=-3_000_000_000), None, {"score": max(-3_000_000_000, SCORE_MIN)}),
    ("score 10**30", post(score=10**30), None, {"score": SCORE_MAX}),
    ("score numeric string", post(score=" 42 "), None, {"score": 42}),
    ("score integral float", post(score=42.0), None, {"score": 42}),
    ("score fraction", post(score=4.5), None, {"score": 0}),
    ("score NaN", post(score=math.nan), None, {"score": 0}),
    ("score inf", post(score=math.inf), None, {"score": 0}),
    ("score True", post(score=True), None, {"score": 0}),
    ("score list", post(score=[1]), None, {"score": 0}),
    ("score None", post(score=None), None, {"score": 0}),
    ("num_comments 5e9", post(num_comments=5e9), None, {"num_comments": min(5_000_000_000, NUM_COMMENTS_MAX)}),
    ("num_comments '5e9'", post(num_comments="5e9"), None, {"num_comments": min(5_000_000_000, NUM_COMMENTS_MAX)}),
    ("num_comments negative", post(num_comments=-5), None, {"num_comments": 0}),
    ("num_comments junk", post(num_comments="lots"), None, {"num_comments": 0}),
    ("created_utc missing", comment(created_utc=_DROP), None, Reason.CREATED_UTC_MISSING),
    ("created_utc None", comment(created_utc=None), None, Reason.CREATED_UTC_MISSING),
    ("created_utc blank", comment(created_utc="  "), None, Reason.CREATED_UTC_MISSING),
    ("created_utc yesterday", comment(created_utc="yesterday"), None, Reason.CREATED_UTC_INVALID),
    ("created_utc NaN", comment(created_utc=math.nan), None, Reason.CREATED_UTC_INVALID),
    ("created_utc inf", comment(created_utc=math.inf), None, Reason.CREATED_UTC_INVALID),
    ("created_utc True", comment(created_utc=True), None, Reason.CREATED_UTC_INVALID),
    ("created_utc list", comment(created_utc=[1764000000]), None, Reason.CREATED_UTC_INVALID),
    ("created_utc 1e13", comment(created_utc=1e13), None, Reason.CREATED_IN_FUTURE),
    ("created_utc year 3000", post(created_utc=32503680000), None, Reason.CREATED_IN_FUTURE),
    ("created_utc year 3000 str", post(created_utc="32503680000"), None, Reason.CREATED_IN_FUTURE),
    ("created_utc 10**400", post(created_utc=10**400), None, Reason.CREATED_IN_FUTURE),
    ("created 2 h ahead", post(created_utc=(NOW + timedelta(hours=2)).timestamp()), None, Reason.CREATED_IN_FUTURE),
    ("created 30 min ahead", post(created_utc=(NOW + timedelta(minutes=30)).timestamp()), None, {"kind": "post"}),
    ("created 0", comment(created_utc=0), None, Reason.CREATED_BEFORE_REDDIT),
    ("created negative", comment(created_utc=-1e300), None, Reason.CREATED_BEFORE_REDDIT),
    ("created 2005-05-31", comment(created_utc=1117497600), None, Reason.CREATED_BEFORE_REDDIT),
    (
        "created_utc as string",
        comment(created_utc="1764000000"),
        None,
        {"created_utc": datetime.fromtimestamp(1764000000, tz=UTC)},
    ),
    ("javascript permalink", comment(permalink="javascript:alert(1)//"), None, {"permalink": ""}),
    ("protocol-relative permalink", post(permalink="//evil.example/r/x/"), None, {"permalink": ""}),
    ("permalink with a space", post(permalink="/r/wsb/comments/ a/"), None, {"permalink": ""}),
    ("permalink with a newline", post(permalink="/r/wsb/comments/a/\n"), None, {"permalink": ""}),
    ("permalink with a backslash", post(permalink="/r/\\evil.example"), None, {"permalink": ""}),
    ("permalink with a quote", post(permalink='/r/wsb/"onmouseover=x'), None, {"permalink": ""}),
    ("permalink not a string", post(permalink=["/r/x/"]), None, {"permalink": ""}),
    ("permalink too long", post(permalink="/r/wsb/" + "a" * PERMALINK_MAX), None, {"permalink": ""}),
    ("permalink data: URL", post(permalink="data:text/html,<b>"), None, {"permalink": ""}),
    (
        "permalink full reddit URL",
        post(permalink="https://www.reddit.com/r/wallstreetbets/comments/p1xyz/daily/"),
        None,
        {"permalink": "/r/wallstreetbets/comments/p1xyz/daily/"},
    ),
    (
        "permalink /user/",
        post(permalink="/user/ape/comments/p1xyz/x/"),
        None,
        {"permalink": "/user/ape/comments/p1xyz/x/"},
    ),
    ("id missing", comment(id=_DROP, name=_DROP), None, Reason.ID_MISSING),
    ("id empty", comment(id="", name=None), None, Reason.ID_MISSING),
    ("id junk", comment(id="k1/../x", name=_DROP), None, Reason.ID_INVALID),
    ("id upper case", comment(id="K1ABC", name=_DROP), None, Reason.ID_INVALID),
    ("id a number", comment(id=12345, name=_DROP), None, Reason.ID_INVALID),
    ("id too long", comment(id="a" * REDDIT_ID_MAX, name=_DROP), None, Reason.ID_INVALID),
    ("id and name disagree", comment(id="k1abc", name="t1_k1abd"), None, Reason.ID_MISMATCH),
    ("name without prefix", comment(id=_DROP, name="k1abc"), None, Reason.ID_INVALID),
    ("name only", comment(id=_DROP), None, {"reddit_id": "t1_k1abc"}),
    ("prefixed id (dump)", comment(id="t1_k1abc", name=_DROP), None, {"reddit_id": "t1_k1abc"}),
    ("name says post, kind= comment", comment(name="t3_k1abc", id=_DROP), "comment", Reason.KIND_MISMATCH),
    ("id prefix and name disagree on kind", comment(id="t3_k1abc"), None, Reason.KIND_MISMATCH),
    ("wrapper says post, name comment", {"kind": "t3", "data": comment()}, None, Reason.KIND_MISMATCH),
    ("a more stub", {"kind": "more", "data": {"id": "abc", "children": ["abc"]}}, None, Reason.NOT_A_REDDIT_ITEM),
    ("a listing", {"kind": "Listing", "data": {"children": []}}, None, Reason.NOT_A_REDDIT_ITEM),
    ("wrapper with junk data", {"kind": "t1", "data": [1]}, None, Reason.NOT_A_REDDIT_ITEM),
    ("None", None, None, Reason.NOT_A_REDDIT_ITEM),
    ("a list", [comment()], None, Reason.NOT_A_REDDIT_ITEM),
    ("a string", "t1_k1abc", None, Reason.NOT_A_REDDIT_ITEM),
    ("an empty dict", {}, None, Reason.NOT_A_REDDIT_ITEM),
    ("no kind evidence", {"id": "abc", "created_utc": 1764000000}, None, Reason.NOT_A_REDDIT_ITEM),
    ("no kind evidence, kind=post", {"id": "abc", "subreddit": "x", "created_utc": 1764000000}, "post", {"title": ""}),
    ("subreddit missing", comment(subreddit=_DROP), None, Reason.SUBREDDIT_MISSING),
    ("subreddit junk", comment(subreddit="wall street"), None, Reason.SUBREDDIT_INVALID),
    ("subreddit NUL", comment(subreddit="wsb\x00"), None, Reason.SUBREDDIT_INVALID),
    ("subreddit too long", comment(subreddit="a" * (SUBREDDIT_MAX + 1)), None, Reason.SUBREDDIT_INVALID),
    ("subreddit a dict", comment(subreddit={"name": "wsb"}), None, Reason.SUBREDDIT_INVALID),
    ("subreddit lower-cased", comment(subreddit="WallStreetBets"), None, {"subreddit": "wallstreetbets"}),
    ("subreddit r/ prefix", comment(subreddit="r/Stocks"), None, {"subreddit": "stocks"}),
    ("link_id missing", comment(link_id=_DROP), None, Reason.LINK_ID_MISSING),
    ("link_id a comment", comment(link_id="t1_abc"), None, Reason.LINK_ID_INVALID),
    ("link_id junk", comment(link_id=5), None, Reason.LINK_ID_INVALID),
    ("link_id bare (dump)", comment(link_id="p1xyz"), None, {"parent_post_id": "t3_p1xyz"}),
    ("deleted comment", comment(body="[deleted]", author="[deleted]"), None, {"is_removed": True, "body": ""}),
    ("removed comment", comment(body="[removed]"), None, {"is_removed": True, "body": "", "author": "diamond_ape42"}),
    ("removed post", post(selftext="[removed]"), None, {"is_removed": True, "title": "", "body": ""}),
    ("post removed by mods", post(removed_by_category="moderator"), None, {"is_removed": True, "title": ""}),
    ("removed_by_category junk", post(removed_by_category=["moderator"]), None, {"is_removed": False}),
    ("author None", comment(author=None), None, {"author": "[deleted]"}),
    ("author missing", comment(author=_DROP), None, {"author": "[deleted]"}),
    ("author a dict", comment(author={"name": "x"}), None, {"author": "[deleted]"}),
    ("author too long", comment(author="a" * 500), None, {"author": "a" * AUTHOR_MAX}),
    ("body a list", comment(body=["x"]), None, {"body": ""}),
    ("body huge", comment(body="x" * (TEXT_MAX_CHARS + 10)), None, {"body": "x" * TEXT_MAX_CHARS}),
    ("title a number", post(title=42), None, {"title": ""}),
    ("edited timestamp", comment(edited=1764000100.0), None, {"body": "TSLA calls printing"}),
    ("edited junk", comment(edited={"x": [None]}), None, {"body": "TSLA calls printing"}),
]


@pytest.mark.parametrize(("case", "raw", "kind", "expected"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defect_table(case, raw, kind, expected):
    result = item_validate(raw, kind=kind, now=NOW)
    if isinstance(expected, Reason):
        assert isinstance(result, Rejected), result
        assert result.reason == expected
        return
    row = accepted(result)
    assert_safe(row, NOW)
    for key, value in expected.items():
        assert row[key] == value, key


def test_rejected_names_the_item_when_it_can():
    assert item_validate(comment(created_utc="yesterday"), now=NOW) == Rejected("t1_k1abc", Reason.CREATED_UTC_INVALID)
    assert item_validate(comment(id="K1ABC\x00\ud800", name=_DROP), now=NOW) == Rejected(
        "K1ABC\ufffd", Reason.ID_INVALID
    )
    assert item_validate({"kind": "more", "data": {}}, now=NOW).fullname == ""
    assert item_validate(comment(id=10**5000, name=_DROP), now=NOW) == Rejected("", Reason.ID_INVALID)
    assert Reason.CREATED_IN_FUTURE == "created_in_future"  # a str: logs and counters take it as is


def test_kind_argument():
    assert accepted(item_validate(comment(), kind="t1", now=NOW))["kind"] == "comment"
    assert accepted(item_validate(post(), kind=Article.Kind.POST, now=NOW))["kind"] == "post"
    with pytest.raises(ValueError, match="unknown kind"):
        item_validate(comment(), kind="more", now=NOW)


def test_subreddit_argument_is_the_fallback():
    row = accepted(item_validate(comment(subreddit=_DROP), subreddit="WallStreetBets", now=NOW))
    assert row["subreddit"] == "wallstreetbets"
    row = accepted(item_validate(comment(subreddit="stocks"), subreddit="wallstreetbets", now=NOW))
    assert row["subreddit"] == "stocks"  # the item's own wins, as in comment_item
    assert item_validate(comment(subreddit=None), subreddit="a b", now=NOW).reason == Reason.SUBREDDIT_INVALID


def test_now_defaults_to_the_clock_and_takes_a_timestamp():
    future = datetime.now(tz=UTC) + timedelta(days=1)
    assert item_validate(comment(created_utc=future.timestamp())).reason == Reason.CREATED_IN_FUTURE
    assert isinstance(item_validate(comment(), now=NOW.timestamp()), Accepted)
    assert isinstance(item_validate(comment(), now=NOW.replace(tzinfo=None)), Accepted)


def test_created_clamp():
    past, ahead = NOW - timedelta(minutes=5), NOW + timedelta(minutes=5)
    assert created_clamp(past, NOW) == past
    assert created_clamp(ahead, NOW) == NOW
    assert created_clamp(ahead, NOW.timestamp()) == NOW
    assert created_clamp(datetime(2999, 1, 1, tzinfo=UTC)) <= datetime.now(tz=UTC)


def test_text_clean():
    assert text_clean("a\x00\ud800b", 2) == "a\ufffd"
    assert text_clean(None) == "" and text_clean(12) == "" and text_clean(["a"]) == ""

    class Sneaky(str):
        def __str__(self) -> str:
            return "other"

    cleaned = text_clean(Sneaky("abc"))
    assert cleaned == "abc" and type(cleaned) is str


# ------------------------------------------------------------------- dump files


def test_dump_lines_and_api_items_make_the_same_row():
    """A Pushshift/Arctic-Shift line and the API's data dict of one item: one row, never two."""
    api = comment(created_utc=1764000000.0)
    dump = {
        "id": "k1abc",
        "link_id": "t3_p1xyz",
        "parent_id": "t3_p1xyz",
        "subreddit": "WallStreetBets",
        "author": "diamond_ape42",
        "body": "TSLA calls printing",
        "created_utc": "1764000000",
        "score": "12",
        "edited": 1764000500,
        "permalink": "/r/wallstreetbets/comments/p1xyz/daily/k1abc/",
    }
    assert accepted(item_validate(dump, now=NOW)) == accepted(item_validate(api, now=NOW))
    assert accepted(item_validate({"kind": "t1", "data": api}, now=NOW)) == accepted(item_validate(api, now=NOW))


def test_old_dump_lines_get_defaults():
    """2008-era dump lines: no name, no permalink, no removed_by_category, no num_comments."""
    old_comment = {
        "id": "c02w3j",
        "link_id": "t3_6q5ah",
        "parent_id": "t3_6q5ah",
        "subreddit": "reddit.com",
        "author": "[deleted]",
        "body": "[deleted]",
        "created_utc": "1213000000",
        "ups": 3,
    }
    row = accepted(item_validate(old_comment, now=NOW))
    assert row == {
        "reddit_id": "t1_c02w3j",
        "kind": "comment",
        "subreddit": "reddit.com",  # the pre-2011 default subreddit: the one name with a dot
        "parent_post_id": "t3_6q5ah",
        "title": "",
        "body": "",
        "author": "[deleted]",
        "permalink": "/r/reddit.com/comments/6q5ah/_/c02w3j/",
        "score": 3,  # no score: the ups
        "num_comments": 0,
        "is_removed": True,
        "created_utc": datetime.fromtimestamp(1213000000, tz=UTC),
    }
    old_post = {"id": "6q5ah", "subreddit": "programming", "title": "Hello", "created_utc": 1213000000, "author": "x"}
    row = accepted(item_validate(old_post, now=NOW))
    assert row["permalink"] == "/r/programming/comments/6q5ah/"
    assert (row["body"], row["num_comments"], row["is_removed"]) == ("", 0, False)


@pytest.mark.parametrize("edited", [False, True, 1764000100, 1764000100.5, "1764000100", None, "junk"])
def test_edited_never_changes_the_row(edited):
    assert accepted(item_validate(comment(edited=edited), now=NOW)) == accepted(item_validate(comment(), now=NOW))


# ------------------------------------------------------------------ praw objects


def test_praw_objects_and_dicts_give_the_same_row():
    for data, kind in [(comment(), "comment"), (post(), "post"), (comment(author="[deleted]"), "comment")]:
        obj = praw_object(data, kind)
        assert item_validate(obj, now=NOW) == item_validate(data, now=NOW)


def test_praw_object_is_never_fetched():
    """An unfetched Submission (only an id) is rejected for what it lacks; no request is made."""
    lazy = REDDIT.submission(id="p1xyz")
    assert item_validate(lazy, now=NOW) == Rejected("t3_p1xyz", Reason.SUBREDDIT_MISSING)
    assert item_validate(REDDIT.comment(id="k1abc"), subreddit="wsb", now=NOW).reason == Reason.CREATED_UTC_MISSING


def test_praw_kind_is_the_class():
    assert item_validate(praw_object(comment(), "comment"), kind="post", now=NOW).reason == Reason.KIND_MISMATCH
    assert item_validate(REDDIT.redditor("ape"), now=NOW).reason == Reason.NOT_A_REDDIT_ITEM
    assert item_validate(REDDIT.subreddit("wsb"), now=NOW).reason == Reason.NOT_A_REDDIT_ITEM


def _walk_things(node: Any):
    if isinstance(node, list):
        for item in node:
            yield from _walk_things(item)
    elif isinstance(node, dict):
        if node.get("kind") in {"t1", "t3"}:
            yield node["kind"], node["data"]
            if isinstance(node["data"].get("replies"), dict):
                yield from _walk_things(node["data"]["replies"])
        elif node.get("kind") == "Listing":
            yield from _walk_things(node["data"]["children"])
        elif "json" in node:
            yield from _walk_things(node["json"]["data"]["things"])


def _recorded_things() -> list[tuple[str, dict[str, Any]]]:
    things = []
    for path in sorted(SAMPLES.glob("*.json")):
        for interaction in json.loads(path.read_text())["interactions"]:
            body = interaction["response"]["body"].get("string", "")
            try:
                things.extend(_walk_things(json.loads(body)))
            except ValueError:
                continue
    return things


def _legacy(obj: Any, kind: str) -> dict[str, Any]:
    return submission_item(obj) if kind == "t3" else comment_item(obj)


def _expected_from_legacy(legacy: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The documented differences from comment_item/submission_item on valid data.

    The subreddit is lower-cased; a missing permalink (comments in 2016's API, old
    dump files) is the canonical path instead of ''.
    """
    expected = dict(legacy)
    expected["subreddit"] = sub = legacy["subreddit"].lower()
    if not data.get("permalink"):
        id36 = legacy["reddit_id"][3:]
        if legacy["kind"] == "comment":
            expected["permalink"] = f"/r/{sub}/comments/{legacy['parent_post_id'][3:]}/_/{id36}/"
        else:
            expected["permalink"] = f"/r/{sub}/comments/{id36}/"
    return expected


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the recorded Reddit samples are not on this machine")
def test_real_recorded_items_match_the_current_item_builders():
    """Every t1/t3 Reddit really sent: accepted, and the row comment_item/submission_item build today."""
    things = _recorded_things()
    assert len(things) > 500
    for kind, data in things:
        data = {**data, "replies": ""}
        obj = praw_object(data, "comment" if kind == "t1" else "post")
        row = accepted(item_validate(obj, now=NOW))
        assert_safe(row, NOW)
        assert row == _expected_from_legacy(_legacy(obj, kind), data), data.get("name")
        assert item_validate(data, now=NOW) == item_validate(obj, now=NOW)


def test_generated_sample_matches_the_current_item_builders():
    """The demo data (hostile bodies included): same rows as today, NUL already gone."""
    data = wsb_sample(seed=3, newest=NOW, daily_comments=80, moves_comments=30, other_posts=20)
    for kind, things in (("t3", data["posts"]), ("t1", data["comments"])):
        for thing in things:
            obj = praw_object(thing, "comment" if kind == "t1" else "post")
            row = accepted(item_validate(obj, now=NOW))
            assert row == _expected_from_legacy(_legacy(obj, kind), thing)


# ------------------------------------------------------------------- properties


@PROPERTY
@given(
    raw=st.one_of(rs.raw_items(), rs.raw_items(keep=rs.IDENTITY_FIELDS), rs.junk()),
    kind=st.sampled_from([None, "post", "comment"]),
)
def test_property_never_raises_and_accepted_rows_are_safe(raw, kind):
    result = item_validate(raw, kind=kind, now=NOW)
    assert item_validate(raw, kind=kind, now=NOW) == result  # deterministic
    assert isinstance(result, Accepted | Rejected)
    if isinstance(result, Accepted):
        assert_safe(result.row, NOW)
    else:
        assert isinstance(result.reason, Reason)
        assert type(result.fullname) is str and len(result.fullname) <= REDDIT_ID_MAX
        result.fullname.encode("utf-8")
        assert "\x00" not in result.fullname


@PROPERTY
@given(raw=rs.valid_items())
def test_property_valid_items_are_accepted(raw):
    row = accepted(item_validate(raw, now=NOW))
    assert_safe(row, NOW)
    prefix = "t1_" if "link_id" in raw else "t3_"
    assert row["reddit_id"] == f"{prefix}{raw['id']}"
    assert row["subreddit"] == raw["subreddit"].lower()
    assert row["created_utc"].timestamp() == pytest.approx(float(raw["created_utc"]), abs=1e-5)


@PROPERTY
@given(data=rs.praw_items())
def test_property_praw_object_and_dict_give_the_same_result(data):
    kind = "comment" if "link_id" in data or "body" in data else "post"
    try:
        obj = praw_object(data, kind)
    except Exception:  # praw refuses it (a junk id/name praw cannot hold): nothing to compare
        assume(False)
    from_dict = item_validate({"kind": "t1" if kind == "comment" else "t3", "data": data}, now=NOW)
    assert item_validate(obj, now=NOW) == from_dict


@PROPERTY
@given(raw=rs.valid_items(), edited=rs.edited_values(), as_string=st.booleans(), prefixed=st.booleans())
def test_property_dump_style_gives_the_same_row(raw, edited, as_string, prefixed):
    """The same item as the API sends it and as a dump line stores it: the same row."""
    api = accepted(item_validate(raw, now=NOW))
    dump = dict(raw)
    dump.pop("name", None)
    dump["edited"] = edited
    prefix = "t1_" if "link_id" in raw else "t3_"
    if prefixed:
        dump["id"] = f"{prefix}{raw['id']}"
    if as_string:
        dump["created_utc"] = repr(float(raw["created_utc"]))
        dump["score"] = str(raw.get("score", 0))
    assert accepted(item_validate(dump, now=NOW)) == api


@PROPERTY
@given(dataset=rs.reddit_datasets(max_posts=2, max_comments=20, hostile=True))
def test_property_generated_trees_are_consistent_and_accepted(dataset):
    posts = {p["name"]: p for p in dataset["posts"]}
    comments = {c["name"]: c for c in dataset["comments"]}
    ordered = sorted([*posts.values(), *comments.values()], key=lambda t: int(t["id"], 36))
    assert [t["created_utc"] for t in ordered] == sorted(t["created_utc"] for t in ordered)  # ids grow with time
    for c in comments.values():
        assert c["link_id"] in posts
        parent = posts.get(c["parent_id"]) or comments[c["parent_id"]]
        assert parent["created_utc"] < c["created_utc"]
        if c["parent_id"] in comments:
            assert parent["link_id"] == c["link_id"]
            assert c["depth"] == parent["depth"] + 1
    for p in posts.values():
        assert p["num_comments"] == sum(1 for c in comments.values() if c["link_id"] == p["name"])
    for thing in ordered:
        row = accepted(item_validate(thing, now=NOW))
        assert_safe(row, NOW)
        assert row["reddit_id"] == thing["name"]


@PROPERTY
@given(dataset=rs.comment_trees(max_comments=20, hostile=True))
def test_property_fake_reddit_serves_generated_trees(dataset):
    """The fake server takes the dataset and renders every comment, inline or behind a `more` stub."""
    server = FakeReddit(initial_comments=10, max_depth=4, more_chunk=5)
    server.add_dataset(dataset["posts"], dataset["comments"])
    post_data = dataset["posts"][0]
    status, payload = server.handle("GET", f"/comments/{post_data['id']}", {"sort": ["new"]}, {})
    assert status == 200
    body = json.loads(json.dumps(payload))
    seen, hidden = set(), set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict) and node.get("kind") == "Listing":
            walk(node["data"]["children"])
        elif isinstance(node, dict) and node.get("kind") == "t1":
            seen.add(node["data"]["id"])
            walk(node["data"]["replies"] or [])
        elif isinstance(node, dict) and node.get("kind") == "more":
            hidden.update(node["data"]["children"])
            if node["data"]["id"] == "_":  # "continue this thread": everything under its parent
                hidden.add(f"under:{node['data']['parent_id']}")

    walk(body[1])
    expected = {c["id"] for c in dataset["comments"]}
    under = {h[len("under:t1_") :] for h in hidden if h.startswith("under:")}

    parent_of = {c["id"]: c["parent_id"] for c in dataset["comments"]}

    def reachable(comment_id: str) -> bool:
        if comment_id in seen or comment_id in hidden:
            return True
        parent = parent_of[comment_id]
        while parent.startswith("t1_"):  # under a "continue this thread" stub?
            if parent[3:] in under:
                return True
            parent = parent_of[parent[3:]]
        return False

    assert all(reachable(cid) for cid in expected)
