"""CSV files people import (labels, prices): read as UTF-8 text, header checked, records by line.

What makes a file "not such a CSV at all" is the same for every import: too big, a directory,
unreadable, empty, binary, not UTF-8, a wrong header, a broken quote. Each raises the caller's
error class with one line saying so; a bad record is the caller's to reject by its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path


def file_text(path: str | Path, *, what: str, header: list[str], max_bytes: int, error: type[Exception]) -> str:
    """The file's text (UTF-8, a BOM dropped); `error` when it is not a readable text file.

    `what` names the kind of file in the messages ("a label" -> "a label file", "a label CSV").
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise error(f"{p} is {size} bytes, more than the {max_bytes} {what} file may have")
        data = p.read_bytes()
    except IsADirectoryError:
        raise error(f"{p} is a directory, not a CSV file") from None
    except OSError as exc:
        raise error(f"cannot read {p}: {exc.strerror or exc}") from None
    if not data.strip():
        raise error(f"{p} is empty: expected a CSV with the header line '{','.join(header)}'")
    if b"\x00" in data[:65536]:
        raise error(f"{p} is a binary file (it contains NUL bytes), not {what} CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{p} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8 CSV"
        ) from None


def records(content: str, *, header: list[str], name: str, error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each non-blank record after an exact header (case and spaces aside).

    An oversize cell is the caller's rejected row, never a refused file: the csv module's field
    limit (process-wide) is lifted to the text's length while this reads, then put back. A
    broken quote swallows the rest of the file: `error`, and the caller imports nothing.
    """
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(content) + 1))
    try:
        reader = csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline=""), strict=True)
        try:
            first = next(reader)
        except StopIteration:
            raise error(f"{name} is empty: expected the header line '{','.join(header)}'") from None
        except csv.Error as exc:
            raise error(f"{name}: not CSV on line 1 ({exc})") from None
        if [h.strip().lower() for h in first] != header:
            shown = ",".join(first)[:80]
            raise error(f"{name}: bad header {shown!r} on line 1; expected exactly '{','.join(header)}'")
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise error(f"{name}: not CSV from line {start} ({exc})") from None
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            yield line, row
    finally:
        csv.field_size_limit(previous)
