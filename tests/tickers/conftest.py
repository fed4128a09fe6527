"""Fixtures for the ticker list tests: sample files in the real SEC / NASDAQ formats."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_path():
    """Path of a sample file in tests/tickers/fixtures/."""

    def _path(name: str) -> Path:
        path = FIXTURES / name
        assert path.exists(), path
        return path

    return _path


@pytest.fixture
def write_file(tmp_path):
    """Write text (or bytes) to a temp file and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
