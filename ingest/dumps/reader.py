"""Reddit dump files as a stream of lines and records: open (local or S3), check, read, resume.

No Django here. The format is told by content (zstd magic, else NDJSON); memory stays
bounded whatever the input (a MiB of output at a time, lines up to `MAX_LINE_BYTES`), and a
line that is not a Reddit item is a `BadLine` while reading goes on.
Design: docs/design/dump-import.md ("Reading").
"""

from __future__ import annotations

import itertools
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple

from ingest.dumps.records import KIND_SAMPLE, BadLine, DumpError, kind_vote

try:  # the fast parser, only if it is already installed (it is not a requirement)
    import orjson

    _loads = orjson.loads
    JSON_LIBRARY = "orjson"
    _VIEWS = True  # orjson parses a memoryview
except ImportError:  # pragma: no cover - depends on the venv
    import json

    _loads = json.loads
    JSON_LIBRARY = "json"
    _VIEWS = False  # json.loads wants bytes

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Compressions that are not a dump's: refused by `dump_check`, with what to do instead.
OTHER_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
SNIFF_LINES = 20  # non-blank lines `dump_check` reads from the start of a file
MAX_WINDOW_SIZE = 2**31
ZSTD_READ_SIZE = 64 * 1024  # compressed bytes per step
ZSTD_OUT_SIZE = 1024 * 1024  # decompressed bytes per step, at most: a bomb is read a MiB at a time
PLAIN_READ_SIZE = 1024 * 1024
#: A longer line is a BadLine, skipped as it streams by (never held whole). Reddit's longest
#: items (a 40,000-character selftext with its media metadata) are well under 1 MiB.
MAX_LINE_BYTES = 8 * 1024 * 1024
CONVERT_AHEAD = 128  # items `converted()` makes before handing them out (see `_parse`)

ZSTD = "zstd"
PLAIN = "plain"

_JSON_ERRORS = (ValueError, RecursionError)  # JSONDecodeError and UnicodeDecodeError are ValueErrors


class DumpCorrupt(DumpError):
    """The zstd data is not decodable at some point; every complete line before it was yielded."""

    def __init__(self, message: str, *, line_no: int = 0, compressed_offset: int = 0) -> None:
        super().__init__(message)
        self.line_no = line_no  # the last complete line yielded
        self.compressed_offset = compressed_offset

    def at_line(self, line_no: int) -> None:
        self.line_no = line_no
        self.args = (f"{self.args[0]} (line {line_no} was the last complete one)",)


class DumpTruncated(DumpCorrupt):
    """The zstd stream ends in the middle of a frame (partial download or copy)."""


class NotADump(DumpError):
    """The file is not a Reddit dump (another format, or lines that are not Reddit items)."""


#: (data, start, end, compressed bytes consumed, byte position of data[start] in a plain file, newline):
#: data[start:end] holds lines that end in b"\n" if newline is 1, else the file's last line, without.
_Batch = tuple[bytes, int, int, int, int, int]


class DumpLine(NamedTuple):
    line_no: int  # from 1
    compressed_offset: int  # exact for plain files (a resume seeks there), progress for zstd
    raw: bytes  # without the b"\n"; b"" for a line longer than the reader's max_line_bytes
    too_long: int = 0  # the length of such a line, else 0


def _too_long(line_no: int, length: int, limit: int) -> BadLine:
    return BadLine(line_no, f"a line of {length:,} bytes, longer than MAX_LINE_BYTES ({limit:,}): skipped")


class DumpIdentity(NamedTuple):
    """What a checkpoint stores to know it is resuming the same file."""

    source: str
    size: int
    version: str  # local: mtime in ns; S3: the ETag


# ------------------------------------------------------------------ sources


def _s3_split(source: str) -> tuple[str, str]:
    bucket, _, key = source[len("s3://") :].partition("/")
    if not bucket or not key:
        raise DumpError(f"{source}: an S3 source is s3://bucket/key")
    return bucket, key


def _s3_client() -> Any:
    import boto3  # lazily: the web image has no boto3, and a local import needs none

    return boto3.client("s3")  # endpoint, region and keys from the standard AWS environment


def dump_open(source: str | os.PathLike[str], *, offset: int = 0) -> IO[bytes]:
    """The raw bytes of a dump (compressed or not), from `offset` on. Close it (it is a context manager)."""
    text = os.fspath(source)
    if text.startswith("s3://"):
        bucket, key = _s3_split(text)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if offset:
            kwargs["Range"] = f"bytes={offset}-"
        try:
            return _s3_client().get_object(**kwargs)["Body"]
        except Exception as exc:  # botocore's ClientError and connection errors: say which object
            raise DumpError(f"{text}: cannot read from S3: {exc}") from exc
    try:
        stream = open(text, "rb")  # returned to the caller, who closes it
    except OSError as exc:
        raise DumpError(f"{text}: {exc.strerror or exc}") from exc
    if offset:
        stream.seek(offset)
    return stream


def dump_identity(source: str | os.PathLike[str]) -> DumpIdentity:
    """Size and version (mtime or ETag) of the file: a checkpoint only resumes the same file."""
    text = os.fspath(source)
    if text.startswith("s3://"):
        bucket, key = _s3_split(text)
        try:
            head = _s3_client().head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise DumpError(f"{text}: cannot read from S3: {exc}") from exc
        return DumpIdentity(text, int(head["ContentLength"]), str(head.get("ETag", "")).strip('"'))
    try:
        stat = os.stat(text)
    except OSError as exc:
        raise DumpError(f"{text}: {exc.strerror or exc}") from exc
    return DumpIdentity(text, stat.st_size, str(stat.st_mtime_ns))


def dump_format(source: str | os.PathLike[str]) -> str:
    """ZSTD or PLAIN, from the first four bytes of the file."""
    text = os.fspath(source)
    if text.startswith("s3://"):
        bucket, key = _s3_split(text)
        try:
            body = _s3_client().get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"]
        except Exception as exc:
            raise DumpError(f"{text}: cannot read from S3: {exc}") from exc
    else:
        body = dump_open(text)
    with body:
        return ZSTD if body.read(4) == ZSTD_MAGIC else PLAIN


_FORMATS_READ = "one JSON object per line (NDJSON), plain or zstd-compressed"


def dump_check(source: str | os.PathLike[str], *, max_line_bytes: int | None = None) -> str:
    """ZSTD or PLAIN, once the start of the file shows it is a Reddit dump; else `NotADump` says why.

    Told by content, never by name: the magic bytes, then the first `SNIFF_LINES`
    non-blank lines, of which most must be Reddit items (JSON objects with an id).
    """
    text = os.fspath(source)
    with dump_open(text) as stream:
        head = _read_exact(stream, 8)
        for magic, name in OTHER_MAGIC.items():
            if head.startswith(magic):
                raise NotADump(
                    f"{text} is {name}-compressed; import_dump reads {_FORMATS_READ}: decompress it "
                    f"(or recompress it with zstd) and import that file"
                )
        reader = DumpReader(_Prefixed(head, stream), max_line_bytes=max_line_bytes)
        good = bad = 0
        first_bad = None
        try:
            for entry in itertools.islice(reader.records(), SNIFF_LINES):
                if type(entry) is BadLine:
                    bad += 1
                    first_bad = first_bad or entry
                else:
                    good += 1
        except DumpCorrupt:
            if not good and not bad:
                raise
    if not good and not bad:
        raise NotADump(f"{text} holds no lines: it is not a Reddit dump ({_FORMATS_READ})")
    if bad > good:
        raise NotADump(
            f"{text} is not a Reddit dump: {bad} of its first {good + bad} lines are not Reddit items "
            f"(line {first_bad.line_no}: {first_bad.reason}); import_dump reads {_FORMATS_READ}"
        )
    return reader.format


class _Prefixed:
    """A binary stream with `head` (bytes already read from it) put back in front."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head, self._stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._stream.read(n)
        if n < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        return data


# ------------------------------------------------------------------ lines


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    """Up to n bytes, fewer only at the end (a network stream may return short reads)."""
    data = stream.read(n)
    while data and len(data) < n:
        more = stream.read(n - len(data))
        if not more:
            break
        data += more
    return data


def _zstd_chunks(stream: IO[bytes], head: bytes, read_size: int, out_size: int) -> Iterator[tuple[bytes, int]]:
    """(decompressed bytes, compressed bytes consumed so far), at most `out_size` decompressed bytes at a
    time however well the input compresses; frames may be concatenated."""
    import zstandard  # a jobs dependency; plain NDJSON needs none

    source = _Compressed(stream, head)
    dctx = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_SIZE)
    reader = dctx.stream_reader(source, read_size=read_size, read_across_frames=True, closefd=False)
    while True:
        try:
            out = reader.read(out_size)
        except zstandard.ZstdError as exc:
            raise DumpCorrupt(f"undecodable zstd data ({exc})", compressed_offset=source.consumed) from exc
        if not out:
            break
        yield out, source.consumed
    if source.frames.in_frame:
        raise DumpTruncated(
            f"the zstd stream ends in the middle of a frame after {source.consumed} compressed bytes: "
            "the file is truncated",
            compressed_offset=source.consumed,
        )


class _Compressed:
    """The compressed stream as the decoder reads it: counts the bytes and follows their frames."""

    def __init__(self, stream: IO[bytes], head: bytes) -> None:
        self._stream, self._head = stream, head
        self.consumed = 0
        self.frames = _Frames()

    def read(self, n: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            if n < 0 or len(data) < n:
                data += self._stream.read(-1 if n < 0 else n - len(data))
        else:
            data = self._stream.read(n)
        self.consumed += len(data)
        self.frames.feed(data)
        return data


class _Frames:
    """Where the bytes fed so far end in zstd's frame format (RFC 8878), to tell a stream cut
    mid-frame (the decoder just stops there): frame headers and block headers are read, block
    contents skipped. Data it cannot follow is the decoder's to refuse, so it only stops following."""

    _FCS_SIZES = ((0, 2, 4, 8), (1, 2, 4, 8))  # [single segment][frame content size flag]
    _DICT_ID_SIZES = (0, 1, 2, 4)

    def __init__(self) -> None:
        self._want = 4  # header bytes the state needs
        self._state = "magic"
        self._buf = b""
        self._skip = 0  # bytes to pass over before the state's header
        self._checksum = False
        self._lost = False

    @property
    def in_frame(self) -> bool:
        return not self._lost and (self._state != "magic" or bool(self._buf) or self._skip > 0)

    def feed(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n and not self._lost:
            if self._skip:
                step = min(self._skip, n - i)
                i += step
                self._skip -= step
                continue
            step = min(self._want - len(self._buf), n - i)
            self._buf += data[i : i + step]
            i += step
            if len(self._buf) == self._want:
                header, self._buf = self._buf, b""
                self._header(header)

    def _header(self, header: bytes) -> None:
        value = int.from_bytes(header, "little")
        if self._state == "magic":
            if header == ZSTD_MAGIC:
                self._state, self._want = "descriptor", 1
            elif value & 0xFFFFFFF0 == 0x184D2A50:  # a skippable frame: its size, then its data
                self._state, self._want = "skippable", 4
            else:
                self._lost = True
        elif self._state == "skippable":
            self._state, self._want, self._skip = "magic", 4, value
        elif self._state == "descriptor":
            single = (value >> 5) & 1
            self._checksum = bool((value >> 2) & 1)
            self._skip = (1 - single) + self._DICT_ID_SIZES[value & 3] + self._FCS_SIZES[single][value >> 6]
            self._state, self._want = "block", 3
        else:  # a block header: last-block bit, type (raw, RLE, compressed, reserved), size
            last, kind, size = value & 1, (value >> 1) & 3, value >> 3
            if kind == 3:
                self._lost = True
                return
            self._skip = 1 if kind == 1 else size
            if last:
                self._skip += 4 if self._checksum else 0
                self._state, self._want = "magic", 4


def _plain_chunks(stream: IO[bytes], head: bytes, read_size: int, base: int) -> Iterator[tuple[bytes, int]]:
    consumed = base + len(head)
    if head:
        yield head, consumed
    while data := stream.read(read_size):
        consumed += len(data)
        yield data, consumed


class DumpReader:
    """One pass over one dump stream: its lines or records, and the position reached.

    `line_no` and `offset` describe the last line handed out, so a caller checkpoints
    `reader.position` after committing everything it has taken from the reader.
    `start_line`: lines already done (skipped here, or, with `start_offset`, already
    behind a plain stream opened at that byte offset).

    `subreddits`: a fast pre-filter for a full-Reddit monthly file, where the wanted
    subreddits are a few per cent of the lines. A line whose bytes do not hold
    `"subreddit":"<one of them>"` (any case) is skipped unparsed, so a corrupt line there
    is not reported either; `records_filter` still makes the exact test. It relies on
    names being written unescaped, as every dump writer does.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        start_line: int = 0,
        start_offset: int = 0,
        chunk_size: int | None = None,
        subreddits: Iterable[str] | None = None,
        max_line_bytes: int | None = None,
    ) -> None:
        self.stream = stream
        self.max_line_bytes = max_line_bytes or MAX_LINE_BYTES
        self.start_line = start_line
        self.start_offset = start_offset
        self.line_no = start_line
        self.offset = start_offset
        self._keep = _subreddit_prefilter(subreddits)
        self._lookahead: deque[tuple[tuple[int, dict[str, Any]] | BadLine, int, int]] = deque()
        self._parsed: Iterator[tuple[int, dict[str, Any]] | BadLine] | None = None
        self._source: Iterator[_Batch] | None = None  # the batches, shared by every parse of this reader
        self._error: DumpCorrupt | None = None  # met while reading ahead: raised when parsing resumes
        self._lines_read = start_line  # the number of the last line a parse took from the batches
        head = _read_exact(stream, 4)
        self.format = ZSTD if head == ZSTD_MAGIC else PLAIN
        if self.format == ZSTD:
            if start_offset:
                raise DumpError("a zstd stream cannot be entered at a byte offset: resume from 0 with start_line")
            # A decompressed chunk is never longer than a line may be: a line inside one chunk is
            # short enough, and `_batches` measures those that straddle chunks.
            out_size = min(ZSTD_OUT_SIZE, self.max_line_bytes)
            self._chunks = _zstd_chunks(stream, head, chunk_size or ZSTD_READ_SIZE, out_size)
        else:
            read_size = min(chunk_size or PLAIN_READ_SIZE, self.max_line_bytes)
            self._chunks = _plain_chunks(stream, head, read_size, start_offset)

    @property
    def position(self) -> tuple[int, int]:
        """(line_no, offset) of the last line handed out: what a checkpoint stores."""
        return self.line_no, self.offset

    def _batches(self) -> Iterator[_Batch]:
        """Complete lines (`_Batch`), a chunk at a time, after skipping `start_line` lines (when
        not resumed at an offset). A line cut by the end of a chunk comes whole in a batch of
        its own, so no chunk is copied to join it; the readers split and count the lines. A line
        longer than `max_line_bytes` is never joined: its bytes are dropped as they come, and
        it is a batch of its own with data None and `end` its length.
        """
        skip = 0 if self.start_offset else self.start_line
        limit = self.max_line_bytes
        pending = b""  # the start of a line cut by the end of a chunk: at most `limit` bytes
        overlong = -1  # the bytes so far of a line found longer than `limit` (-1: none)
        pos = self.start_offset  # plain files: where `pending` (or the over-long line) starts
        consumed = self.start_offset
        for data, consumed in self._chunks:
            if skip:  # lines behind the checkpoint: counted, never kept
                newlines = data.count(b"\n")
                if newlines < skip:
                    skip -= newlines
                    pos += len(data)
                    continue
                cut = -1
                for _ in range(skip):
                    cut = data.index(b"\n", cut + 1)
                pos += cut + 1
                data, skip = data[cut + 1 :], 0
            first = data.find(b"\n")
            start = 0
            if overlong >= 0:
                if first < 0:
                    overlong += len(data)
                    continue
                overlong += first
                yield None, 0, overlong, consumed, pos, 1
                pos += overlong + 1
                overlong = -1
                start = first + 1
            elif first < 0:
                if len(pending) + len(data) > limit:
                    overlong, pending = len(pending) + len(data), b""
                else:
                    pending += data
                continue
            elif pending:
                if len(pending) + first > limit:
                    yield None, 0, len(pending) + first, consumed, pos, 1
                    pos += len(pending) + first + 1
                else:
                    line = pending + data[: first + 1]
                    yield line, 0, len(line), consumed, pos, 1
                    pos += len(line)
                start = first + 1
            cut = data.rfind(b"\n") + 1
            if cut > start:
                yield data, start, cut, consumed, pos, 1
                pos += cut - start
            pending = data[cut:]
        if skip:
            return
        if overlong >= 0:  # the last line, without b"\n"
            yield None, 0, overlong, consumed, pos, 0
        elif pending:  # a last line without b"\n": complete, since the data ended cleanly
            yield pending, 0, len(pending), consumed, pos, 0

    def lines(self) -> Iterator[DumpLine]:
        exact = self.format == PLAIN
        line_no = self.start_line
        try:
            for data, start, end, consumed, offset, newline in self._batches():
                if data is None:  # one over-long line
                    line_no += 1
                    offset = offset + end + newline if exact else consumed
                    self.line_no, self.offset = line_no, offset
                    yield DumpLine(line_no, offset, b"", too_long=end)
                    continue
                while start < end:
                    stop = data.find(b"\n", start, end)
                    if stop < 0:  # the last line, without b"\n"
                        stop = end
                    line_no += 1
                    if exact:
                        offset += stop - start + newline
                    else:
                        offset = consumed
                    self.line_no, self.offset = line_no, offset
                    yield DumpLine(line_no, offset, data[start:stop])
                    start = stop + 1
        except DumpCorrupt as exc:
            exc.at_line(line_no)
            raise

    def records(self) -> Iterator[tuple[int, dict[str, Any]] | BadLine]:
        """(line_no, record) for each Reddit item, BadLine for the rest; blank lines are skipped."""
        yield from self._ahead(None)
        if self._parsed is None:
            self._parsed = self._parse()
        yield from self._parsed

    def converted(self, convert: Callable[[dict[str, Any], int], Any]) -> Iterator[Any]:
        """`records()` with each (line_no, record) replaced by `convert(record, line_no)`, or left out
        when that is None: run inside the parsing loop, `CONVERT_AHEAD` at a time (`ingest.dumps.rows`)."""
        if self._parsed is not None:  # records() or kind() began: go on from the line it stopped at
            self._parsed.close()
            self._parsed = None
        return itertools.chain(self._ahead(convert), self._parse(convert, ahead=CONVERT_AHEAD))

    def _ahead(self, convert: Callable[[dict[str, Any], int], Any] | None) -> Iterator[Any]:
        """What `kind()` read ahead, with the positions it had."""
        while self._lookahead:
            entry, self.line_no, self.offset = self._lookahead.popleft()
            if convert is None or type(entry) is BadLine:
                yield entry
            elif (item := convert(entry[1], entry[0])) is not None:
                yield item

    def kind(self, *, kind: str | None = None, sample: int = KIND_SAMPLE) -> str:
        """COMMENTS or SUBMISSIONS: `kind` if given, else the majority of the first `sample` valid records.

        The records read to decide are kept and handed out again by `records()` (or
        `converted()`), and `position` still describes only what those handed out.
        """
        if kind is not None:
            return kind_vote((), kind=kind, sample=sample)
        if self._parsed is None:
            self._parsed = self._parse()
        saved = self.position
        try:
            for entry in itertools.islice(self._parsed, sample):
                self._lookahead.append((entry, self.line_no, self.offset))
        except DumpCorrupt as exc:  # a short, broken file: raised by records() after what was read
            self._parsed = None
            self._error = exc
        self.line_no, self.offset = saved
        return kind_vote((entry for entry, _, _ in self._lookahead), kind=kind, sample=sample)

    def _parse(
        self, convert: Callable[[dict[str, Any], int], Any] | None = None, ahead: int = 1
    ) -> Iterator[tuple[int, dict[str, Any]] | BadLine | Any]:
        """The records of the lines not parsed yet (`records()`, `converted()`). A line is a memoryview
        of its batch (orjson reads it as bytes). `ahead`: items made before any is handed out, so
        the caller's work on them runs back to back, its code hot in the CPU caches (the linker
        is a third faster); `position` still follows what is handed out."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        batches = self._source = self._source or self._batches()
        line_no = self._lines_read
        loads = _loads
        keep = self._keep
        exact = self.format == PLAIN
        items: list[tuple[Any, int, int, int]] = []  # (item, its line, its offset, where the next line starts)
        try:
            for data, start, end, consumed, offset, newline in batches:
                if not exact:
                    offset = consumed
                if data is None:  # one over-long line, never parsed (nor pre-filtered): a BadLine
                    if start < end:
                        line_no += 1
                        if exact:
                            offset += end + newline
                        entry = _too_long(line_no, end, self.max_line_bytes)
                        at_line = self.line_no = line_no
                        at_offset = self.offset = offset
                        resume = start = end
                        yield entry
                    self.line_no, self.offset = line_no, offset
                    continue
                find = data.find
                view = memoryview(data) if _VIEWS else data
                while start < end:
                    while start < end and len(items) < ahead:
                        stop = find(b"\n", start, end)
                        if stop < 0:  # the last line, without b"\n"
                            stop = end
                        raw = view[start:stop]
                        line_no += 1
                        if exact:
                            offset += stop - start + newline
                        start = stop + 1
                        if keep is not None and keep(raw) is None:
                            continue
                        try:
                            record = loads(raw)
                        except _JSON_ERRORS as exc:  # orjson says the same of a memoryview as of bytes
                            if not bytes(raw).strip():
                                continue
                            entry = BadLine(line_no, f"not JSON: {exc}"[:200])
                        else:
                            if type(record) is not dict:
                                entry = BadLine(line_no, f"not a JSON object but {type(record).__name__}")
                            elif "id" not in record:
                                entry = BadLine(line_no, "not a Reddit item: no id")
                            elif convert is None:
                                entry = line_no, record
                            elif (entry := convert(record, line_no)) is None:
                                continue
                        if ahead == 1:  # records(): each entry as it is made
                            at_line = self.line_no = line_no
                            at_offset = self.offset = offset
                            resume = start
                            yield entry
                            continue
                        items.append((entry, line_no, offset, start))
                    for entry, at_line, at_offset, resume in items:  # noqa: B007 - `resume` is for GeneratorExit
                        self.line_no, self.offset = at_line, at_offset
                        yield entry
                    items.clear()
                self.line_no, self.offset = line_no, offset  # the lines after the last item were read too
        except GeneratorExit:  # closed between two items: the next parse starts at the line after the last
            self._source = itertools.chain([(data, resume, end, consumed, at_offset, newline)], batches)
            self._lines_read = at_line
            raise
        except DumpCorrupt as exc:
            exc.at_line(line_no)
            raise
        self._lines_read = line_no


def _subreddit_prefilter(subreddits: Iterable[str] | None) -> Any:
    if not subreddits:
        return None
    names = sorted({name.strip().removeprefix("r/").lower() for name in subreddits if name.strip()})
    alternatives = b"|".join(re.escape(name.encode()) for name in names)
    return re.compile(rb'"subreddit"\s*:\s*"(?:' + alternatives + rb')"', re.IGNORECASE).search


def dump_lines(stream: IO[bytes], start_line: int = 0, *, start_offset: int = 0) -> Iterator[DumpLine]:
    """The lines of a dump stream after `start_line` (see `DumpReader`)."""
    return DumpReader(stream, start_line=start_line, start_offset=start_offset).lines()


def dump_records(
    stream: IO[bytes], start_line: int = 0, *, start_offset: int = 0, subreddits: Iterable[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]] | BadLine]:
    """The parsed items of a dump stream after `start_line`, and a BadLine for each line that is not one."""
    return DumpReader(stream, start_line=start_line, start_offset=start_offset, subreddits=subreddits).records()


def dump_resume(
    source: str | os.PathLike[str],
    *,
    line_no: int = 0,
    offset: int = 0,
    subreddits: Iterable[str] | None = None,
    max_line_bytes: int | None = None,
) -> DumpReader:
    """A reader positioned after checkpoint (line_no, offset): a plain file seeks, a zstd one skips lines.

    (0, 0) reads the whole file. The caller closes `reader.stream` (`with reader.stream:`).
    """
    if offset and dump_format(source) == PLAIN:
        stream = dump_open(source, offset=offset)
        return DumpReader(
            stream, start_line=line_no, start_offset=offset, subreddits=subreddits, max_line_bytes=max_line_bytes
        )
    return DumpReader(dump_open(source), start_line=line_no, subreddits=subreddits, max_line_bytes=max_line_bytes)
