"""ingest.ids: the one base-36 encoder (the fake Reddit server, the generators and the tests use it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.ids import BASE36_DIGITS, to36


def test_known_values():
    assert [to36(n) for n in (0, 1, 35, 36, 36**6)] == ["0", "1", "z", "10", "1000000"]


@given(st.integers(min_value=0, max_value=36**12))
def test_round_trips_through_int(value):
    text = to36(value)
    assert int(text, 36) == value and set(text) <= set(BASE36_DIGITS)


def test_negative_is_refused():
    with pytest.raises(ValueError):
        to36(-1)
