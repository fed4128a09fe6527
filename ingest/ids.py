"""Reddit ids: an item's id is its creation number in base 36 (`t1_` + id36 is a comment's fullname).

No Django here: the fake Reddit server, the benchmarks' generators and the tests use it too.
"""

from __future__ import annotations

BASE36_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to36(value: int) -> str:
    """`value` (>= 0) in base 36, lower case, as Reddit writes ids: 0 -> "0", 36 -> "10"."""
    if value < 0:
        raise ValueError(f"a Reddit id is not negative: {value}")
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = BASE36_DIGITS[rem] + out
        if value == 0:
            return out
