"""The current stance scorer: what `eval_stance` measures and what a new model must beat.

    scorer = current_scorer()      # the promoted model, else cues + VADER
    scorer.score(texts) -> [(label, score, confidence)]

Cues + VADER is the scorer analyze_sentiment falls back to when no model is promoted and
no FinBERT is loaded: `sentiment.stance.cues.combine(cue_score(text), VADER compound, "vader")`,
the rule and its thresholds in `sentiment/stance/cues.py`. Its confidence is |score| (the rule
has no probability).
"""

from __future__ import annotations

from collections.abc import Sequence

from sentiment.stance.cues import combine, cue_score
from sentiment.stance.store import Scorer, promoted_scorer


class CuesVaderScorer:
    """Retail cues combined with VADER's compound score (no trained model)."""

    name = "cues+vader"

    def __init__(self) -> None:
        from sentiment.analyzers import VaderAnalyzer

        self._vader = VaderAnalyzer()

    def score(self, texts: Sequence[str]) -> list[tuple[str, float, float]]:
        out = []
        for text in texts:
            compound = self._vader.score_one(text)[1]
            label, score = combine(cue_score(text), compound, "vader")
            out.append((label, score, round(min(1.0, abs(score)), 6)))
        return out


def current_scorer() -> Scorer:
    """The promoted model (sentiment.stance.store.promoted_scorer), else cues + VADER."""
    return promoted_scorer() or CuesVaderScorer()
