"""The promoted stance model (placeholder: h-learn replaces this module with the model store)."""

from __future__ import annotations


def promoted_scorer():
    """The promoted stance scorer (`.name`, `.score(texts) -> [(label, score, confidence)]`), or None."""
    return None
