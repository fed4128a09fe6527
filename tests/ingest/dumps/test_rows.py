"""`dump_rows` is its definition, `records_filter` + `item_validate`, only faster (issue 14).

`ingest.dumps.rows._dump_rows_reference` is that definition written out. On dump files
made of generated lines -- records of the recent and the old shape, records with spoiled
fields, hostile `raw_items`, duplicate keys, lone surrogates, NaN, huge numbers, lines
that are not objects or not JSON -- read plain or zstd-compressed, in small or large
chunks, with or without a kind vote first, with or without the subreddit and time
filters (and the reader's subreddit pre-filter), both ways must hand out exactly the
same things in the same order: rows (every value with its type), Rejected (reason and
fullname), BadLines (line and reason), and `reader.position` after each of them and at
the end. And the compiled path must really be the one taken for the lines of a real dump.
"""

from __future__ import annotations

import gc
import importlib.util
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest.dumps.rows as dump_rows_module
from ingest.dumps.reader import DumpCorrupt, DumpReader
from ingest.dumps.records import COMMENTS, ITEM_KIND, SUBMISSIONS, BadLine, DumpError, record_kind
from ingest.dumps.rows import _converter, _dump_rows_reference, dump_rows
from ingest.validation import Accepted, Rejected, item_validate
from tests.ingest import strategies as rs

ROOT = Path(__file__).resolve().parents[3]
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _plain(item: Any) -> Any:
    """A handed-out item in a form where equal means the same: a row's values with their types."""
    if type(item) is dict:
        return [
            (key, type(value).__name__, value.isoformat() if isinstance(value, datetime) else value)
            for key, value in item.items()
        ]
    if type(item) is Rejected:
        return ("rejected", item.fullname, str(item.reason))
    assert type(item) is BadLine, item
    return ("bad", item.line_no, item.reason)


def _run(way: Any, data: bytes, case: dict[str, Any]) -> list[Any]:
    reader = DumpReader(io.BytesIO(data), chunk_size=case["chunk"], subreddits=case["prefilter"])
    out: list[Any] = []
    if case["vote"]:
        try:
            out.append(("vote", reader.kind(sample=case["vote"]), reader.position))
        except DumpError as exc:
            out.append(("vote failed", str(exc), reader.position))
    try:
        for item in way(
            reader,
            kind=case["kind"],
            now=case["now"],
            subreddits=case["subreddits"],
            since=case["since"],
            until=case["until"],
        ):
            out.append((_plain(item), reader.position))
    except DumpCorrupt as exc:
        out.append(("corrupt", str(exc), exc.line_no))
    out.append(("end", reader.position))
    return out


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([COMMENTS, SUBMISSIONS, None]))
    lines = draw(
        st.lists(
            rs.dump_lines(draw(st.sampled_from([COMMENTS, SUBMISSIONS])) if kind is None else kind),
            min_size=draw(st.sampled_from([0, 10, 20])),
            max_size=40,
        )
    )
    data = b"\n".join(lines) + (b"\n" if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        data = zstandard.ZstdCompressor(level=1).compress(data)
        if draw(st.integers(0, 9)) == 0:
            data = data[: draw(st.integers(4, max(4, len(data) - 1)))]  # a partial download
    names = ["wallstreetbets", "WallStreetBets", "r/stocks", "pl", " u_some_user "]
    filtered = draw(st.integers(0, 3)) == 0
    subreddits = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)) if filtered else None
    moment = st.integers(rs._REDDIT_START_TS - 100, rs._NOW_TS + 7200).map(lambda s: datetime.fromtimestamp(s, UTC))
    return {
        "data": data,
        "kind": kind,
        "now": rs.STRATEGY_NOW + timedelta(microseconds=draw(st.sampled_from([0, 1, 500_000, 999_999]))),
        "subreddits": subreddits,
        "prefilter": subreddits if draw(st.booleans()) else None,
        "since": draw(moment) if draw(st.integers(0, 3)) == 0 else None,
        "until": draw(moment) if draw(st.integers(0, 3)) == 0 else None,
        "chunk": draw(st.sampled_from([None, 1, 7, 64, 300])),
        "vote": draw(st.sampled_from([0, 0, 1, 3, 50])),
    }


@PROPERTY
@given(cases())
def test_dump_rows_hands_out_what_its_definition_hands_out(case):
    expected = _run(_dump_rows_reference, case["data"], case)
    assert _run(dump_rows, case["data"], case) == expected


@settings(PROPERTY, max_examples=2000)
@given(
    st.sampled_from([COMMENTS, SUBMISSIONS]).flatmap(
        lambda kind: st.tuples(
            st.sampled_from([kind, kind, None, SUBMISSIONS if kind == COMMENTS else COMMENTS]),
            st.one_of(
                rs.dump_records(kind),
                rs.edge_dump_records(kind),
                rs.spoiled_dump_records(kind),
                rs.raw_items(ITEM_KIND[kind]),
            ),
        )
    ),
    st.booleans(),
)
def test_each_record_makes_what_item_validate_makes(kind_and_record, parsed):
    """The compiled row of one record, as a dict of Python values and as the parser hands it out."""
    kind, record = kind_and_record
    if parsed:  # the types the parser hands out (when it can read the record at all)
        try:
            record = orjson.loads(json.dumps(record).encode("utf-8", "surrogatepass"))
        except orjson.JSONDecodeError:
            pass
    convert = _converter(ITEM_KIND[kind] if kind else None, rs.STRATEGY_NOW, None)
    expected = dump_rows_module._validated(record, ITEM_KIND[kind] if kind else None, rs.STRATEGY_NOW)
    assert _plain(convert(record, 1)) == _plain(expected)
    if kind is None or record_kind(record) in (None, kind):  # else a kind mismatch, told before item_validate
        result = item_validate(record, kind=ITEM_KIND[kind] if kind else None, now=rs.STRATEGY_NOW)
        assert _plain(expected) == _plain(result.row if type(result) is Accepted else result)


@PROPERTY
@given(st.sampled_from([COMMENTS, SUBMISSIONS, None]), st.data())
def test_well_formed_records_never_reach_item_validate(kind, data):
    """The compiled path is the one taken for well-formed records of both eras: this test
    fails if it sends them to item_validate, even though the rows would be the same."""
    records = data.draw(st.lists(rs.dump_records(kind or COMMENTS, well_formed=True), min_size=1, max_size=30))
    lines = b"\n".join(json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass") for r in records)
    case = {"kind": kind, "now": rs.STRATEGY_NOW, "subreddits": None, "since": None, "until": None}
    case |= {"chunk": None, "prefilter": None, "vote": 0}
    calls = []
    real = dump_rows_module.item_validate
    dump_rows_module.item_validate = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
    try:
        fast = _run(dump_rows, lines, case)
    finally:
        dump_rows_module.item_validate = real
    assert fast == _run(_dump_rows_reference, lines, case)
    assert calls == []


def _gen_dump():
    spec = importlib.util.spec_from_file_location("gen_dump", ROOT / "benchmarks" / "gen_dump.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("kind", "lines"), [(COMMENTS, 3000), (SUBMISSIONS, 1000)])
def test_the_benchmark_dump_takes_the_compiled_path(monkeypatch, kind, lines):
    """Lines from benchmarks/gen_dump.py, the shapes of the 2021 files: all but the few
    with a missing field are made without item_validate, and the result is the same."""
    out = io.BytesIO()
    _gen_dump().dump_generate(out, lines=lines, kind=kind, seed=14)
    data = out.getvalue()
    case = {"kind": kind, "now": datetime(2026, 1, 1, tzinfo=UTC), "subreddits": None, "since": None, "until": None}
    case |= {"chunk": None, "prefilter": None, "vote": 50}
    calls = []
    real = dump_rows_module.item_validate
    monkeypatch.setattr(dump_rows_module, "item_validate", lambda *a, **k: calls.append(a) or real(*a, **k))
    fast = _run(dump_rows, data, case)
    monkeypatch.undo()
    assert fast == _run(_dump_rows_reference, data, case)
    assert len(fast) == lines + 2  # the vote, every line, the end
    assert len(calls) <= lines // 100, f"{len(calls)} of {lines} records went to item_validate"


@PROPERTY
@given(st.lists(rs.dump_lines(COMMENTS), max_size=30))
def test_bad_lines_say_what_the_parser_says_of_the_line(lines):
    """The reader hands lines to orjson as memoryviews of their chunk: a BadLine still says
    what orjson says of the line's own bytes (what it said when lines were bytes)."""
    expected = []
    for number, line in enumerate(lines, 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if line.strip():
                expected.append(BadLine(number, f"not JSON: {exc}"[:200]))
            continue
        if type(record) is not dict:
            expected.append(BadLine(number, f"not a JSON object but {type(record).__name__}"))
        elif "id" not in record:
            expected.append(BadLine(number, "not a Reddit item: no id"))
    reader = DumpReader(io.BytesIO(b"\n".join(lines)), chunk_size=64)
    assert [entry for entry in reader.records() if type(entry) is BadLine] == expected


@pytest.mark.parametrize("chunk", [None, 50])
def test_a_conversion_closed_between_two_rows_leaves_the_rest_to_read(chunk):
    """dump_rows converts up to CONVERT_AHEAD lines before handing the first out; closed
    early, the reader still goes on from the line after the last row handed out."""
    lines = [json.dumps(r) for r in [{"id": f"a{n}", "body": "x"} for n in range(10)]]
    reader = DumpReader(io.BytesIO("\n".join(lines).encode()), chunk_size=chunk)
    rows = dump_rows(reader, kind=COMMENTS, now=rs.STRATEGY_NOW)
    first = [next(rows) for _ in range(3)]
    assert [type(row) for row in first] == [Rejected] * 3 and reader.position[0] == 3
    del rows  # as a caller that stops (the parse inside is closed when its iterator goes)
    gc.collect()
    assert [line_no for line_no, _ in reader.records()] == list(range(4, 11))


# ------------------------------------------------------------------ the other kind's lines


@PROPERTY
@given(st.data())
def test_lines_of_the_other_kind_are_rejected_the_same_both_ways(data):
    kind = data.draw(st.sampled_from([COMMENTS, SUBMISSIONS]))
    other = SUBMISSIONS if kind == COMMENTS else COMMENTS
    lines = data.draw(st.lists(st.one_of(rs.dump_lines(kind), rs.dump_lines(other)), min_size=1, max_size=30))
    case = {
        "kind": kind,
        "now": rs.STRATEGY_NOW,
        "subreddits": None,
        "prefilter": None,
        "since": None,
        "until": None,
        "chunk": None,
        "vote": 0,
    }
    raw = b"\n".join(lines) + b"\n"
    expected = _run(_dump_rows_reference, raw, case)
    assert _run(dump_rows, raw, case) == expected


@pytest.mark.parametrize("way", [dump_rows, _dump_rows_reference])
def test_a_comment_in_a_submissions_file_is_a_kind_mismatch(way):
    comment = {"id": "abc", "subreddit": "wallstreetbets", "created_utc": 1609459200, "author": "ape"}
    comment |= {"body": "$GME", "link_id": "t3_xyz", "parent_id": "t3_xyz", "score": 1}
    post = {"id": "xyz", "subreddit": "wallstreetbets", "created_utc": 1609459200, "author": "ape"}
    post |= {"title": "GME", "selftext": "", "num_comments": 1, "score": 1}
    data = b"".join(json.dumps(r).encode() + b"\n" for r in (post, comment, post | {"name": "t1_xyz"}))
    out = list(way(DumpReader(io.BytesIO(data)), kind=SUBMISSIONS, now=rs.STRATEGY_NOW))
    assert [type(item).__name__ for item in out] == ["dict", "Rejected", "Rejected"]
    assert (out[1].fullname, str(out[1].reason)) == ("t1_abc", "kind_mismatch")
    assert str(out[2].reason) == "kind_mismatch"
    # and a submission in a comments file
    out = list(way(DumpReader(io.BytesIO(data)), kind=COMMENTS, now=rs.STRATEGY_NOW))
    assert (out[0].fullname, str(out[0].reason)) == ("t3_xyz", "kind_mismatch")
