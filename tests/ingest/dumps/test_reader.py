"""ingest.dumps.reader: Pushshift / Arctic Shift dump files, read as streams (issue 14). No database."""

from __future__ import annotations

import functools
import importlib.util
import io
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.models import article_text
from ingest.dumps.reader import (
    PLAIN,
    ZSTD,
    DumpCorrupt,
    DumpLine,
    DumpReader,
    DumpTruncated,
    dump_format,
    dump_identity,
    dump_lines,
    dump_open,
    dump_records,
    dump_resume,
)
from ingest.dumps.records import (
    COMMENTS,
    ITEM_KIND,
    SUBMISSIONS,
    BadLine,
    DumpError,
    dump_kind,
    record_created,
    records_filter,
)
from ingest.validation import Accepted, item_validate

ROOT = Path(__file__).resolve().parents[3]
JAN_1 = 1609459200  # 2021-01-01T00:00:00Z


def row_of(record: dict, *, kind: str) -> dict:
    """The article row of a dump record: `item_validate`, the one builder (dumps.py has none)."""
    result = item_validate(record, kind=ITEM_KIND[kind])
    assert isinstance(result, Accepted), result
    return result.row


def text_of(record: dict, *, kind: str) -> str:
    row = row_of(record, kind=kind)
    return "" if row["is_removed"] else article_text(kind=row["kind"], title=row["title"], body=row["body"])


def zst(lines: list[bytes], *, frames: int = 1) -> bytes:
    """Lines as a dump is written: streamed (no content size), window_log 31, long-distance matching."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
    out = io.BytesIO()
    step = max(1, -(-len(lines) // frames))
    for start in range(0, len(lines), step):
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as writer:
            writer.write(b"".join(line + b"\n" for line in lines[start : start + step]))
    return out.getvalue()


@functools.cache
def long_zst() -> bytes:
    return zst(LONG)


def ndjson(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def comment(n: int, **fields) -> dict:
    record = {
        "id": f"c{n:05d}",
        "author": f"ape{n}",
        "body": f"$GME to the moon {n}",
        "created_utc": JAN_1 + n * 60,
        "link_id": "t3_post1",
        "parent_id": "t3_post1" if n % 2 else f"t1_c{n - 1:05d}",
        "permalink": f"/r/wallstreetbets/comments/post1/_/c{n:05d}/",
        "score": n,
        "subreddit": "wallstreetbets",
        "edited": False,
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


def submission(n: int, **fields) -> dict:
    record = {
        "id": f"p{n:05d}",
        "author": f"ape{n}",
        "title": f"NVDA YOLO {n}",
        "selftext": "calls on $NVDA",
        "created_utc": JAN_1 + n * 60,
        "num_comments": n,
        "score": 10,
        "subreddit": "wallstreetbets",
        "permalink": f"/r/wallstreetbets/comments/p{n:05d}/nvda_yolo/",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


def encode(records: list[dict]) -> list[bytes]:
    return [json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() for record in records]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read_all(source) -> list:
    with dump_open(source) as stream:
        return list(dump_records(stream))


COMMENT_LINES = encode(
    [
        comment(1),
        comment(2, created_utc=str(JAN_1 + 120)),  # an old file's string
        comment(3, body="[deleted]", author="[deleted]"),
        comment(4, body="[removed]"),
        comment(5, permalink=..., score=..., author=...),  # fields old files lack
        comment(6, edited=JAN_1 + 999, body="Ｆｕｌｌ $TSLA 🚀 und NVDA"),
    ]
)


# ------------------------------------------------------------------ formats and kinds


def test_a_streamed_long_window_zst_needs_the_big_decoder_window(tmp_path):
    path = write(tmp_path / "RC_2021-01.zst", zst(COMMENT_LINES))
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(path.read_bytes())).read(10)
    entries = read_all(path)
    assert [line_no for line_no, _ in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[5][1]["body"] == "Ｆｕｌｌ $TSLA 🚀 und NVDA"


def test_comments_kind_items_and_varying_fields(tmp_path):
    path = write(tmp_path / "RC_2021-01.zst", zst(COMMENT_LINES))
    with dump_open(path) as stream:
        kind, records = dump_kind(dump_records(stream))
        entries = list(records)
    assert kind == COMMENTS
    assert len(entries) == 6  # the ones looked at to decide are put back
    items = [row_of(record, kind=kind) for _, record in entries]
    assert items[0] == {
        "reddit_id": "t1_c00001",
        "kind": "comment",
        "subreddit": "wallstreetbets",
        "parent_post_id": "t3_post1",
        "title": "",
        "body": "$GME to the moon 1",
        "author": "ape1",
        "permalink": "/r/wallstreetbets/comments/post1/_/c00001/",
        "score": 1,
        "num_comments": 0,
        "is_removed": False,
        "created_utc": datetime(2021, 1, 1, 0, 1, tzinfo=UTC),
    }
    assert items[1]["created_utc"] == datetime(2021, 1, 1, 0, 2, tzinfo=UTC)  # "1609459320"
    assert [item["is_removed"] for item in items] == [False, False, True, True, False, False]
    assert items[2]["body"] == items[3]["body"] == ""
    assert (items[4]["author"], items[4]["score"]) == ("[deleted]", 0)
    assert items[4]["permalink"] == "/r/wallstreetbets/comments/post1/_/c00005/"
    assert [text_of(record, kind=kind) for _, record in entries][2:4] == ["", ""]


def test_submissions_kind_and_items(tmp_path):
    lines = encode(
        [
            submission(1),
            submission(2, created_utc=str(JAN_1), selftext="[removed]", removed_by_category="moderator"),
            submission(3, selftext="", num_comments=...),
        ]
    )
    path = write(tmp_path / "RS_2021-01.zst", zst(lines))
    with dump_open(path) as stream:
        kind, records = dump_kind(dump_records(stream))
        items = [row_of(record, kind=kind) for _, record in records]
    assert kind == SUBMISSIONS
    assert items[0]["reddit_id"] == "t3_p00001"
    assert (items[0]["kind"], items[0]["title"], items[0]["num_comments"]) == ("post", "NVDA YOLO 1", 1)
    assert (items[1]["is_removed"], items[1]["title"], items[1]["body"]) == (True, "", "")
    assert items[2]["num_comments"] == 0
    assert text_of(json.loads(lines[0]), kind=kind) == "NVDA YOLO 1\n\ncalls on $NVDA"


def test_reader_kind_reads_ahead_but_keeps_the_position_exact(tmp_path):
    path = write(tmp_path / "RC.ndjson", ndjson(LONG[:200]))
    with dump_open(path) as stream:
        reader = DumpReader(stream)
        assert reader.kind() == COMMENTS
        assert reader.position == (0, 0)
        records = reader.records()
        line_no, _ = next(records)
        assert line_no == 1 and reader.position == (1, len(LONG[0]) + 1)
        for line_no, _ in records:
            if line_no == 120:
                break
        assert reader.position == (120, sum(len(line) + 1 for line in LONG[:120]))
        assert [line_no for line_no, _ in records] == list(range(121, 201))
    with dump_open(path) as stream:
        assert DumpReader(stream).kind(kind=SUBMISSIONS) == SUBMISSIONS


def test_kind_override_and_undecidable(tmp_path):
    path = write(tmp_path / "odd.jsonl", ndjson([b'{"id":"x1","score":1}', b'{"id":"x2"}']))
    with dump_open(path) as stream, pytest.raises(DumpError, match="pass the kind"):
        dump_kind(dump_records(stream))
    with dump_open(path) as stream:
        kind, records = dump_kind(dump_records(stream), kind=COMMENTS)
        assert (kind, len(list(records))) == (COMMENTS, 2)
    with pytest.raises(DumpError, match="kind must be"):
        dump_kind([], kind="posts")


@pytest.mark.parametrize(
    ("name", "compress", "expected"),
    [
        ("RC_2021-01.ndjson", False, PLAIN),
        ("RC_2021-01.jsonl", False, PLAIN),
        ("RC_2021-01.ndjson", True, ZSTD),  # a zst with a misleading name
        ("RC_2021-01.json.txt", True, ZSTD),
        ("RC_2021-01.zst", False, PLAIN),  # an uncompressed file named .zst
    ],
)
def test_format_is_told_by_content_not_name(tmp_path, name, compress, expected):
    path = write(tmp_path / name, zst(COMMENT_LINES) if compress else ndjson(COMMENT_LINES))
    assert dump_format(path) == expected
    with dump_open(path) as stream:
        reader = DumpReader(stream)
        assert reader.format == expected
        assert [line_no for line_no, _ in reader.records()] == [1, 2, 3, 4, 5, 6]


def test_concatenated_frames_are_read_across(tmp_path):
    path = write(tmp_path / "RC.zst", zst(COMMENT_LINES, frames=3))
    assert len(read_all(path)) == 6


def test_a_missing_file_is_a_dump_error(tmp_path):
    with pytest.raises(DumpError, match="No such file"):
        dump_open(tmp_path / "nope.zst")


# ------------------------------------------------------------------ bad lines and truncation


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_read(tmp_path):
    lines = [
        COMMENT_LINES[0],
        b'{"id":"c2","body":"cut off',  # not JSON
        b"",  # blank: skipped, not reported
        b"[1, 2]",  # JSON, not an object
        b'{"body":"no id"}',  # not a Reddit item
        b"\xff\xfe garbage",  # not UTF-8
        COMMENT_LINES[1],
    ]
    for data in (zst(lines), ndjson(lines)):
        entries = read_all(write(tmp_path / "RC.bin", data))
        bad = [entry for entry in entries if isinstance(entry, BadLine)]
        assert [entry.line_no for entry in bad] == [2, 4, 5, 6]
        assert bad[0].reason.startswith("not JSON")
        assert bad[1].reason == "not a JSON object but list"
        assert bad[2].reason == "not a Reddit item: no id"
        good = [entry for entry in entries if not isinstance(entry, BadLine)]
        assert [(line_no, record["id"]) for line_no, record in good] == [(1, "c00001"), (7, "c00002")]


def test_a_truncated_zst_yields_every_complete_line_then_raises(tmp_path):
    lines = encode([comment(n, body=f"line {n} " + "x" * (n % 50)) for n in range(1, 3001)])
    data = zst(lines)
    path = write(tmp_path / "RC_partial.zst", data[: len(data) * 2 // 3])
    seen: list[DumpLine] = []
    with dump_open(path) as stream, pytest.raises(DumpTruncated, match="truncated") as caught:
        for line in dump_lines(stream):
            seen.append(line)
    assert seen, "the decodable part is read"
    assert [line.line_no for line in seen] == list(range(1, len(seen) + 1))
    assert [line.raw for line in seen] == lines[: len(seen)]  # complete lines, the cut one left out
    assert len(seen) < 3000
    assert caught.value.line_no == len(seen)
    assert caught.value.compressed_offset == path.stat().st_size
    # The same through records, also when telling the kind reads past the cut.
    for sample in (50, 10_000):
        taken = []
        with dump_open(path) as stream, pytest.raises(DumpTruncated):
            reader = DumpReader(stream)
            assert reader.kind(sample=sample) == COMMENTS
            taken.extend(entry[0] for entry in reader.records())
        assert taken == list(range(1, len(seen) + 1))


def test_undecodable_zstd_data_is_a_dump_corrupt(tmp_path):
    data = bytearray(zst(encode([comment(n, body="y" * (n % 97)) for n in range(1, 2000)])))
    middle = len(data) // 2
    data[middle : middle + 64] = b"\x00" * 64
    path = write(tmp_path / "RC_bad.zst", bytes(data))
    with dump_open(path) as stream, pytest.raises(DumpCorrupt):
        for _ in dump_lines(stream):
            pass


def test_a_plain_last_line_without_newline_is_read(tmp_path):
    path = write(tmp_path / "RC.ndjson", ndjson(COMMENT_LINES[:2]) + COMMENT_LINES[2])
    with dump_open(path) as stream:
        reader = DumpReader(stream)
        lines = list(reader.lines())
    assert [line.line_no for line in lines] == [1, 2, 3]
    assert lines[-1].compressed_offset == reader.offset == path.stat().st_size


# ------------------------------------------------------------------ positions and resuming


LONG = encode([comment(n, body=f"comment {n} on $GME " + "z" * (n % 300)) for n in range(1, 5001)])


def test_offsets_plain_exact_zstd_progress(tmp_path):
    plain = write(tmp_path / "RC.ndjson", ndjson(LONG))
    with dump_open(plain) as stream:
        lines = list(dump_lines(stream))
    ends = list(itertools.accumulate(len(line) + 1 for line in LONG))
    assert [line.compressed_offset for line in lines] == ends
    packed = write(tmp_path / "RC.zst", long_zst())
    with dump_open(packed) as stream:
        offsets = [line.compressed_offset for line in dump_lines(stream)]
    assert offsets == sorted(offsets)
    assert 0 < offsets[0] and offsets[-1] == packed.stat().st_size


@pytest.mark.parametrize("checkpoint", [0, 1, 999, 1000, 2500, 4999, 5000])
def test_resume_yields_exactly_the_remaining_lines(tmp_path, checkpoint):
    expected = list(range(checkpoint + 1, len(LONG) + 1))
    for name, data in (("RC.zst", long_zst()), ("RC.ndjson", ndjson(LONG))):
        path = write(tmp_path / name, data)
        # A first run stops after `checkpoint` lines and stores its reader's position.
        with dump_open(path) as stream:
            reader = DumpReader(stream, chunk_size=4096)
            for line_no, _ in reader.records():
                if line_no == checkpoint:
                    break
            position = reader.position if checkpoint else (0, 0)
        assert position[0] == checkpoint
        # Skipping lines from byte 0 works for both formats.
        with dump_open(path) as stream:
            assert [line.line_no for line in dump_lines(stream, checkpoint)] == expected
        # dump_resume seeks a plain file and re-decompresses a zstd one.
        reader = dump_resume(path, line_no=position[0], offset=position[1])
        with reader.stream:
            entries = list(reader.records())
        assert [line_no for line_no, _ in entries] == expected
        assert [record["id"] for _, record in entries] == [f"c{n:05d}" for n in expected]
        if name.endswith(".ndjson") and checkpoint:
            assert reader.start_offset == position[1]  # seeked, not re-read


def test_a_zstd_stream_cannot_be_entered_at_an_offset(tmp_path):
    path = write(tmp_path / "RC.zst", zst(LONG[:10]))
    with dump_open(path) as stream, pytest.raises(DumpError, match="cannot be entered"):
        DumpReader(stream, start_line=3, start_offset=100)


def test_identity_changes_with_the_file(tmp_path):
    path = write(tmp_path / "RC.zst", zst(LONG[:10]))
    first = dump_identity(path)
    assert first.size == path.stat().st_size
    os.utime(path, ns=(1, 1))
    assert dump_identity(path) != first


# ------------------------------------------------------------------ filters


FILTER_LINES = encode(
    [
        comment(1, subreddit="wallstreetbets", created_utc=JAN_1 - 1),
        comment(2, subreddit="WallStreetBets", created_utc=JAN_1),
        comment(3, subreddit="stocks", created_utc=str(JAN_1 + 3600)),
        comment(4, subreddit="AskReddit", created_utc=JAN_1 + 7200),
        comment(5, subreddit="wallstreetbets", created_utc=str(JAN_1 + 86400)),
        comment(6, subreddit="wallstreetbets", created_utc="not a time"),
        comment(7, subreddit="wallstreetbets", created_utc=float(JAN_1 + 10)),
    ]
)


def ids(entries) -> list[str]:
    return [entry[1]["id"][-1] for entry in entries if not isinstance(entry, BadLine)]


def test_filter_subreddits_any_case_and_time_window(tmp_path):
    path = write(tmp_path / "RC.zst", zst([*FILTER_LINES, b"oops"]))
    entries = read_all(path)
    assert ids(records_filter(entries, subreddits=["WALLSTREETBETS", "r/Stocks"])) == ["1", "2", "3", "5", "6", "7"]
    since, until = datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 1, 2, tzinfo=UTC)
    assert ids(records_filter(entries, since=since, until=until)) == ["2", "3", "4", "7"]
    assert ids(records_filter(entries, since=JAN_1 + 3600)) == ["3", "4", "5"]
    assert ids(records_filter(entries, until=JAN_1 + 3600)) == ["1", "2", "7"]
    assert ids(records_filter(entries, since=datetime(2021, 1, 1), until=JAN_1 + 1, subreddits={"wallstreetbets"})) == [
        "2"
    ]
    bad = [entry for entry in records_filter(entries, subreddits=["nba"]) if isinstance(entry, BadLine)]
    assert [entry.line_no for entry in bad] == [8]  # bad lines pass through to be counted


def test_subreddit_prefilter_skips_lines_before_parsing(tmp_path):
    spaced = b'{"id": "s1", "subreddit" : "Stocks", "body": "x", "link_id": "t3_a"}'
    mention = encode([comment(9, subreddit="nba", body='"subreddit":"stocks" said nobody')])[0]
    path = write(tmp_path / "RC.ndjson", ndjson([*FILTER_LINES, spaced, mention]))
    with dump_open(path) as stream:
        kept = list(DumpReader(stream, subreddits=["stocks", "WallStreetBets"]).records())
    assert ids(kept) == ["1", "2", "3", "5", "6", "7", "1"]
    assert ids(records_filter(read_all(path), subreddits=["stocks", "wallstreetbets"])) == ids(kept)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JAN_1, JAN_1),
        (str(JAN_1), JAN_1),
        (float(JAN_1) + 0.5, JAN_1),
        ("1609459200.0", JAN_1),
        (None, None),
        ("x", None),
    ],
)
def test_record_created(value, expected):
    assert record_created({"created_utc": value}) == expected


# ------------------------------------------------------------------ S3 (moto in server mode)


@pytest.fixture
def s3_endpoint(aws_env):
    """moto in server mode (tests/conftest.py) with an empty `dumps` bucket."""
    import boto3

    boto3.client("s3").create_bucket(Bucket="dumps")
    return aws_env["AWS_ENDPOINT_URL"]


def test_s3_source_reads_like_a_local_file(s3_endpoint):
    import boto3

    s3 = boto3.client("s3")
    s3.put_object(Bucket="dumps", Key="reddit/RC_2021-01.zst", Body=long_zst())
    s3.put_object(Bucket="dumps", Key="reddit/RC_2021-01.ndjson", Body=ndjson(LONG))
    for key in ("reddit/RC_2021-01.zst", "reddit/RC_2021-01.ndjson"):
        source = f"s3://dumps/{key}"
        entries = read_all(source)
        assert [record["id"] for _, record in entries] == [json.loads(line)["id"] for line in LONG]
        identity = dump_identity(source)
        assert identity.size == s3.head_object(Bucket="dumps", Key=key)["ContentLength"] and identity.version
        reader = dump_resume(source, line_no=4000, offset=sum(len(line) + 1 for line in LONG[:4000]))
        with reader.stream:
            assert [line_no for line_no, _ in reader.records()] == list(range(4001, 5001))
    assert dump_format("s3://dumps/reddit/RC_2021-01.zst") == ZSTD
    with pytest.raises(DumpError, match="s3://dumps/missing.zst"):
        read_all("s3://dumps/missing.zst")
    with pytest.raises(DumpError, match="s3://bucket/key"):
        dump_open("s3://just-a-bucket")


# ------------------------------------------------------------------ the benchmark generator


def _gen_dump():
    spec = importlib.util.spec_from_file_location("gen_dump", ROOT / "benchmarks" / "gen_dump.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_is_deterministic_and_readable():
    gen = _gen_dump()
    outputs = []
    for seed in (14, 14, 15):
        out = io.BytesIO()
        gen.dump_generate(out, lines=1500, seed=seed)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]
    reader = DumpReader(io.BytesIO(outputs[0]))
    kind, records = dump_kind(reader.records())
    entries = list(records)
    assert (reader.format, kind, len(entries)) == (ZSTD, COMMENTS, 1500)
    created = [record["created_utc"] for _, record in entries]
    assert {type(value) for value in created} == {int, str}
    assert any(record["body"] in ("[deleted]", "[removed]") for _, record in entries)
    assert any("permalink" not in record for _, record in entries)
    assert all(
        record["link_id"].startswith("t3_") and record["parent_id"][:3] in ("t1_", "t3_") for _, record in entries
    )
    subreddits = [record["subreddit"] for _, record in entries]
    assert subreddits.count("wallstreetbets") > len(subreddits) / 2 and len(set(subreddits)) > 5

    out = io.BytesIO()
    gen.dump_generate(out, lines=300, kind="submissions", seed=14)
    kind, records = dump_kind(DumpReader(io.BytesIO(out.getvalue())).records())
    assert (kind, sum(1 for _ in records)) == (SUBMISSIONS, 300)


# ------------------------------------------------------------------ long lines and zstd bombs (issue 30, item 12)


def _item(n: int, pad: int = 0) -> bytes:
    return json.dumps({"id": f"c{n}", "subreddit": "wallstreetbets", "body": "x" * pad}).encode()


def _small_window_zst(data: bytes) -> bytes:
    """A bomb as an attacker writes it: a small window (so the decoder's own memory is small), huge output."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=20)
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as writer:
        for start in range(0, len(data), 1 << 24):
            writer.write(data[start : start + (1 << 24)])
    return out.getvalue()


@given(
    st.lists(st.integers(0, 120), min_size=1, max_size=25),
    st.sampled_from([None, 1, 7, 64, 300]),
    st.booleans(),
    st.booleans(),
    st.integers(0, 5),
)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_over_long_lines_are_bad_lines_and_the_rest_reads_as_without_a_limit(pads, chunk, compressed, last_nl, skip):
    limit = 80
    lines = [_item(n, pad) for n, pad in enumerate(pads)]
    data = b"\n".join(lines) + (b"\n" if last_nl else b"")
    raw = zstandard.ZstdCompressor(level=1).compress(data) if compressed else data
    skip = min(skip, len(lines))
    reader = DumpReader(io.BytesIO(raw), chunk_size=chunk, max_line_bytes=limit, start_line=skip)
    got = [(entry.line_no, "long" in entry.reason) if type(entry) is BadLine else entry for entry in reader.records()]
    expected = [
        (n + 1, True) if len(line) > limit else (n + 1, json.loads(line)) for n, line in enumerate(lines) if n >= skip
    ]
    assert got == expected
    if not compressed and not skip:  # (skipped lines are counted, not measured)
        assert reader.position == (len(lines), len(data))
    lines_seen = list(DumpReader(io.BytesIO(raw), chunk_size=chunk, max_line_bytes=limit).lines())
    assert [(line.line_no, line.too_long) for line in lines_seen] == [
        (n + 1, len(line) if len(line) > limit else 0) for n, line in enumerate(lines)
    ]


def _peak_of(read) -> tuple[int, list]:
    import tracemalloc

    tracemalloc.start()
    try:
        out = read()
        return tracemalloc.get_traced_memory()[1], out
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("start_line", [0, 1, 2])
def test_a_zstd_bomb_line_is_skipped_with_flat_memory(start_line):
    huge = 64 << 20  # one 64 MiB line; the limit is 1 MiB
    bomb = _small_window_zst(b'{"id": "c1", "body": "' + b"a" * huge + b'"}\n' + _item(2) + b"\n" + _item(3))
    assert len(bomb) < 64 << 10  # a few KiB
    reader = DumpReader(io.BytesIO(bomb), max_line_bytes=1 << 20, start_line=start_line)
    peak, entries = _peak_of(lambda: list(reader.records()))
    assert peak < 6 << 20, f"peak {peak / 2**20:.1f} MiB"  # the 64 MiB line was never held
    kept = [entry[1]["id"] for entry in entries if type(entry) is not BadLine]
    bad = [entry for entry in entries if type(entry) is BadLine]
    assert kept == ["c2", "c3"][max(0, start_line - 1) :]
    assert [b.line_no for b in bad] == ([1] if start_line == 0 else [])
    assert not bad or f"{huge + 24:,} bytes" in bad[0].reason


def test_a_long_plain_line_is_skipped_with_flat_memory(tmp_path):
    path = tmp_path / "RC.ndjson"
    with open(path, "wb") as out:
        out.write(_item(1) + b"\n" + b'{"id": "c2", "body": "')
        for _ in range(64):
            out.write(b"a" * (1 << 20))
        out.write(b'"}\n' + _item(3) + b"\n")

    def read():
        with dump_open(path) as stream:
            reader = DumpReader(stream, max_line_bytes=1 << 20)
            return list(reader.records()), reader.position

    peak, (entries, position) = _peak_of(read)
    assert peak < 6 << 20, f"peak {peak / 2**20:.1f} MiB"
    assert [type(e).__name__ for e in entries] == ["tuple", "BadLine", "tuple"]
    assert position == (3, path.stat().st_size)


def test_truncation_is_still_told_after_bounded_reads():
    data = zst(LONG)
    for cut in (len(data) // 3, len(data) - 1):
        reader = DumpReader(io.BytesIO(data[:cut]), chunk_size=4096)
        with pytest.raises(DumpTruncated):
            list(reader.lines())
    frames = zst(LONG, frames=3) + b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"abc"  # + a skippable frame
    assert len(list(DumpReader(io.BytesIO(frames)).lines())) == len(LONG)
