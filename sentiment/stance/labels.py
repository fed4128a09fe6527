"""Labelled CSV files (header `label,text`) in: parsed, checked line by line, imported.

A file that is not a label CSV at all raises `LabelFileError` and commits nothing; a bad
row (even an oversize cell) is rejected with its line number and the good rows are kept.
Design: docs/design/stance.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from marketpulse import csvfile
from sentiment.models import StanceExample, text_hash
from sentiment.stance.linear import normalise_stance_label

HEADER = ["label", "text"]
MAX_TEXT_CHARS = 10_000
MAX_FILE_BYTES = 200 * 1024 * 1024
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
#: Source names train_stance uses for the reviewers' labels; an import may not take them.
RESERVED_SOURCES = ("mentions", "articles")


class LabelFileError(Exception):
    """The file is not a label CSV at all; nothing was (or may be) imported from it."""


def label_normalise(raw: str) -> str | None:
    """bullish/bearish/neutral, or None for an unknown label (`training.normalise_stance_label`'s table)."""
    try:
        return normalise_stance_label(raw)
    except ValueError:
        return None


@dataclass
class LabelRow:
    line: int
    label: str
    text: str
    text_hash: str


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ParseReport:
    rows: list[LabelRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, the line it repeats)
    records: int = 0  # data records read (blank lines not counted)


def labels_parse_text(content: str, *, name: str = "the file") -> ParseReport:
    """Parse CSV text with the header `label,text` (rules: docs/design/stance.md).

    An oversize cell is one rejected row, never a refused file (`marketpulse.csvfile.records`);
    MAX_TEXT_CHARS then rejects the row by its line."""
    report = ParseReport()
    first_line: dict[str, tuple[int, str]] = {}  # text hash -> (line, label)
    for line, row in csvfile.records(content, header=HEADER, name=name, error=LabelFileError):
        report.records += 1
        if len(row) != 2:
            many = "too many" if len(row) > 2 else "too few"
            hint = " (quote a text that contains commas)" if len(row) > 2 else ""
            report.rejected.append(Rejected(line, f"{many} columns: {len(row)}, expected 2 (label,text){hint}"))
            continue
        raw_label, text = row[0], row[1].strip()
        label = label_normalise(raw_label)
        if label is None:
            shown = raw_label.strip()[:40]
            report.rejected.append(
                Rejected(line, f"unknown label {shown!r}: expected bullish/bearish/neutral (or positive/negative)")
            )
            continue
        if not text:
            report.rejected.append(Rejected(line, "empty text"))
            continue
        if len(text) > MAX_TEXT_CHARS:
            report.rejected.append(Rejected(line, f"text of {len(text)} characters, more than {MAX_TEXT_CHARS}"))
            continue
        digest = text_hash(text)
        seen = first_line.get(digest)
        if seen is not None:
            if seen[1] != label:
                report.rejected.append(
                    Rejected(line, f"the same text as line {seen[0]} with another label ({label}, there {seen[1]})")
                )
            else:
                report.duplicates.append((line, seen[0]))
            continue
        first_line[digest] = (line, label)
        report.rows.append(LabelRow(line, label, text, digest))
    return report


def labels_parse(path: str | Path) -> ParseReport:
    """Read and parse a label CSV file; LabelFileError when it is not one (see labels_parse_text)."""
    content = csvfile.file_text(path, what="a label", header=HEADER, max_bytes=MAX_FILE_BYTES, error=LabelFileError)
    return labels_parse_text(content, name=str(path))


def source_check(source: str) -> str:
    """The --source name, or ValueError: 1-64 of a-z 0-9 _ . : - and not a reserved name."""
    if not SOURCE_PATTERN.fullmatch(source or ""):
        raise ValueError(
            f"source {source!r} must be 1-64 characters of a-z, 0-9, _ . : - (starting with a letter or digit)"
        )
    if source in RESERVED_SOURCES:
        raise ValueError(f"source {source!r} is reserved for reviewers' labels ({', '.join(RESERVED_SOURCES)})")
    return source


@dataclass
class ImportOutcome:
    imported: int = 0
    already: list[tuple[int, str, str]] = field(default_factory=list)  # (line, source, label) already in the table
    conflicts: int = 0  # of `already`, how many had another label there (the stored one is kept)
    by_label: dict[str, int] = field(default_factory=dict)


def stance_examples_import(*, rows: list[LabelRow], source: str, dry_run: bool = False) -> ImportOutcome:
    """Insert the rows whose text is not in the table yet, in one transaction; nothing with dry_run.

    An existing text is left as it is (same or other label, any source): the import
    reports it, and a relabelling is a review in the admin, not a silent overwrite.
    """
    source_check(source)
    outcome = ImportOutcome()
    existing: dict[str, tuple[str, str]] = {}
    hashes = [r.text_hash for r in rows]
    for i in range(0, len(hashes), 1000):
        for digest, src, label in StanceExample.objects.filter(text_hash__in=hashes[i : i + 1000]).values_list(
            "text_hash", "source", "label"
        ):
            existing[digest] = (src, label)
    new: list[LabelRow] = []
    for r in rows:
        found = existing.get(r.text_hash)
        if found is None:
            new.append(r)
            continue
        outcome.already.append((r.line, found[0], found[1]))
        outcome.conflicts += found[1] != r.label
    for r in new:
        outcome.by_label[r.label] = outcome.by_label.get(r.label, 0) + 1
    if dry_run:
        outcome.imported = len(new)  # would be imported
        return outcome
    if not new:
        return outcome
    with transaction.atomic():
        before = StanceExample.objects.count()
        StanceExample.objects.bulk_create(
            [StanceExample(text=r.text, text_hash=r.text_hash, label=r.label, source=source) for r in new],
            batch_size=1000,
            ignore_conflicts=True,  # another import racing us: its row wins, ours is a duplicate
        )
        outcome.imported = StanceExample.objects.count() - before
    return outcome
