"""Spreadsheet-safe CSV cells: text a spreadsheet would run as a formula gets a leading `'`.

A string starting with `=`, `+`, `-`, `@`, a tab or a carriage return (after any run of
`'`, so the rule is reversible by dropping one) is prefixed with `'`: the OWASP "CSV
injection" rule. A spreadsheet shows such a cell as the text and drops the `'` on save.
"""

from __future__ import annotations

import re

_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def cell_protect(value):
    """The value as a spreadsheet shows it as text; non-strings pass through."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value
