"""The linear stance model: TF-IDF words and characters plus cue features into a balanced LogisticRegression.

    model = train_linear(texts, labels, seed=0); model.predict(texts) -> [(label, score, confidence)]

Deterministic, and saved without pickle (JSON + .npz). Pure Python + scikit-learn: no Django.
Design: docs/design/stance.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from sentiment.stance.cues import BEARISH, BULLISH, FEATURE_NAMES, NEUTRAL, STANCE_LABELS, cue_features
from sentiment.stance.lexicon import LEXICON_PATH

FORMAT = "marketpulse-stance-linear/1"
MODEL_FILE = "stance_model.json"
ARRAYS_FILE = "stance_arrays.npz"

_ALIASES = {
    "bullish": BULLISH,
    "bull": BULLISH,
    "positive": BULLISH,
    "pos": BULLISH,
    "buy": BULLISH,
    "long": BULLISH,
    "1": BULLISH,
    "bearish": BEARISH,
    "bear": BEARISH,
    "negative": BEARISH,
    "neg": BEARISH,
    "sell": BEARISH,
    "short": BEARISH,
    "-1": BEARISH,
    "neutral": NEUTRAL,
    "neu": NEUTRAL,
    "none": NEUTRAL,
    "0": NEUTRAL,
}

_TICKER = re.compile(r"\$[A-Za-z][A-Za-z.]{0,6}\b")
WORD_TOKENS = r"(?u)\$?\w+|[^\w\s]"

DEFAULT_PARAMS: dict[str, Any] = {
    "word_ngram_range": [1, 2],
    "char_ngram_range": [2, 5],
    "C": 2.0,
    "tol": 1e-3,
    "cue_scale": 1.0,
    "max_iter": 1000,
}


def normalise_stance_label(raw: str) -> str:
    """bullish/bearish/neutral from a label or one of its aliases; ValueError otherwise."""
    label = _ALIASES.get(str(raw).strip().lower())
    if label is None:
        raise ValueError(f"unknown stance label {raw!r}: expected bullish/bearish/neutral (or positive/negative)")
    return label


def prepare_text(text: str) -> str:
    """What the vectorisers read: tickers folded into one token."""
    return _TICKER.sub(" $tkr ", text or "")


def _lexicon_digest() -> str:
    return hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()[:16]


def _cue_matrix(texts: Sequence[str], scale: float) -> sparse.csr_matrix:
    rows = np.asarray([cue_features(t) for t in texts], dtype=np.float64).reshape(len(texts), len(FEATURE_NAMES))
    return sparse.csr_matrix(rows * scale)


def _vectorizers(params: dict[str, Any], n_docs: int, vocab_word=None, vocab_char=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        token_pattern=WORD_TOKENS,
        ngram_range=tuple(params["word_ngram_range"]),
        sublinear_tf=True,
        min_df=1,
        vocabulary=vocab_word,
        dtype=np.float64,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(params["char_ngram_range"]),
        sublinear_tf=True,
        # one-off char grams are noise once there is enough text; keep all on tiny sets
        min_df=2 if n_docs >= 1000 else 1,
        vocabulary=vocab_char,
        dtype=np.float64,
    )
    return word, char


class LogisticStanceScorer:
    """What both trained stance models share: multinomial (or binary) logistic weights over
    `features(texts)`, read as (label, score, confidence). Subclasses give `features`,
    `coef`, `intercept` and `classes`."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]

    def features(self, texts: Sequence[str]) -> Any:
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes)))
        decision = self.features(list(texts)) @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:  # binary: one row of weights for classes[1]
            p1 = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        decision = decision - decision.max(axis=1, keepdims=True)
        exp = np.exp(decision)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float, float]]:
        """[(label, score, confidence)]: score = P(bullish) - P(bearish), confidence = top probability."""
        probs = self.predict_proba(list(texts))
        index = {c: i for i, c in enumerate(self.classes)}
        out = []
        for row in probs:
            top = int(np.argmax(row))
            bull = row[index[BULLISH]] if BULLISH in index else 0.0
            bear = row[index[BEARISH]] if BEARISH in index else 0.0
            out.append((self.classes[top], round(float(bull - bear), 6), round(float(row[top]), 6)))
        return out

    def labels_for(self, texts: Sequence[str]) -> list[str]:
        return [label for label, _, _ in self.predict(texts)]

    # The analyzer interface (sentiment.analyzers.Analyzer.score) for use as a scorer.
    def score(self, texts: Sequence[str]) -> list[tuple[str, float, float]]:
        return self.predict(texts)


@dataclass
class LinearStanceModel(LogisticStanceScorer):
    """A fitted stance model: vectorisers + linear weights. Build with train_linear or load_model."""

    word: Any
    char: Any
    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]
    params: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    name = "stance-linear"

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        prepared = [prepare_text(t) for t in texts]
        return sparse.hstack(
            [
                self.word.transform(prepared),
                self.char.transform(prepared),
                _cue_matrix(texts, float(self.params["cue_scale"])),
            ],
            format="csr",
        )


def training_labels(texts: Sequence[str], labels: Sequence[str]) -> list[str]:
    """The labels of a training set, normalised; a clear error for a mismatch or a single label."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    gold = [normalise_stance_label(label) for label in labels]
    if len(set(gold)) < 2:
        raise ValueError("training needs at least two different labels")
    return gold


def train_linear(
    texts: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> LinearStanceModel:
    """Fit the linear stance model. Deterministic: same texts, labels, seed and params -> same model."""
    gold = training_labels(texts, labels)
    params = {**DEFAULT_PARAMS, **(params or {})}
    prepared = [prepare_text(t) for t in texts]
    word, char = _vectorizers(params, len(texts))
    x = sparse.hstack(
        [word.fit_transform(prepared), char.fit_transform(prepared), _cue_matrix(texts, float(params["cue_scale"]))],
        format="csr",
    )
    fit = logistic_fit(x, gold, params=params, seed=seed)
    return LinearStanceModel(
        word=word,
        char=char,
        coef=fit.coef,
        intercept=fit.intercept,
        classes=fit.classes,
        params=params,
        meta={
            "n_train": len(texts),
            "label_counts": fit.label_counts,
            "seed": seed,
            "lexicon_sha256": _lexicon_digest(),
        },
    )


@dataclass(frozen=True)
class LogisticFit:
    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]
    label_counts: dict[str, int]


def logistic_fit(x: Any, gold: list[str], *, params: dict[str, Any], seed: int) -> LogisticFit:
    """The one LogisticRegression fit of the stance models (this one and the embedding head):
    class_weight="balanced", lbfgs (deterministic), C/max_iter/tol from `params`."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=float(params["C"]),
        class_weight="balanced",
        max_iter=int(params["max_iter"]),
        tol=float(params["tol"]),
        random_state=seed,
    )
    clf.fit(x, gold)
    return LogisticFit(
        coef=np.asarray(clf.coef_, dtype=np.float64),
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        classes=[str(c) for c in clf.classes_],
        label_counts={label: gold.count(label) for label in STANCE_LABELS if label in gold},
    )


def stratified_split(
    texts: Sequence[str], labels: Sequence[str], seed: int = 0, test_size: float = 0.2
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(train_texts, test_texts, train_labels, test_labels), each label in both sides' proportion."""
    from sklearn.model_selection import train_test_split

    tr_x, te_x, tr_y, te_y = train_test_split(
        list(texts), list(labels), test_size=test_size, random_state=seed, stratify=list(labels)
    )
    return list(tr_x), list(te_x), list(tr_y), list(te_y)


def evaluate(
    predict_fn: Callable[[Sequence[str]], Sequence[Any]],
    texts: Sequence[str],
    labels: Sequence[str],
) -> dict[str, Any]:
    """Metrics of `predict_fn` (texts -> labels, or (label, ...) tuples) against gold `labels`.

    accuracy; per class precision/recall/f1/support; macro_recall over the gold
    classes present; directional_macro_recall = mean recall of bullish and bearish
    (the number issue 12 is judged on: a neutral answer is a miss); confusion
    {gold: {predicted: n}}.
    """
    gold = [normalise_stance_label(label) for label in labels]
    raw = list(predict_fn(list(texts)))
    pred = [p[0] if isinstance(p, tuple | list) else p for p in raw]
    if len(pred) != len(gold):
        raise ValueError(f"predict_fn returned {len(pred)} answers for {len(gold)} texts")
    classes = [c for c in STANCE_LABELS if c in gold or c in pred]
    confusion = {g: dict.fromkeys(classes, 0) for g in classes}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    recall: dict[str, float] = {}
    f1: dict[str, float] = {}
    for c in classes:
        tp = confusion[c][c]
        predicted = sum(confusion[g][c] for g in classes)
        support = sum(confusion[c].values())
        precision = tp / predicted if predicted else 0.0
        recall[c] = tp / support if support else 0.0
        f1[c] = 2 * precision * recall[c] / (precision + recall[c]) if precision + recall[c] else 0.0
        per_class[c] = {
            "precision": round(precision, 4),
            "recall": round(recall[c], 4),
            "f1": round(f1[c], 4),
            "support": support,
        }
    present = [c for c in classes if per_class[c]["support"]]
    directional = [c for c in (BULLISH, BEARISH) if c in present]
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)

    def mean(values: list[float]) -> float:  # macro averages from unrounded values
        return round(sum(values) / len(values), 4) if values else 0.0

    return {
        "n": len(gold),
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "per_class": per_class,
        "macro_recall": mean([recall[c] for c in present]),
        "directional_macro_recall": mean([recall[c] for c in directional]),
        "macro_f1": mean([f1[c] for c in present]),
        "confusion": confusion,
        "labels": classes,
    }


def cross_validate(
    texts: Sequence[str], labels: Sequence[str], seed: int = 0, folds: int = 5, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Stratified k-fold: every text predicted by a model that never saw it; metrics over the pooled predictions."""
    from sklearn.model_selection import StratifiedKFold

    texts = list(texts)
    gold = [normalise_stance_label(label) for label in labels]
    predicted: list[str] = [""] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(texts, gold):
        model = train_linear([texts[i] for i in train_idx], [gold[i] for i in train_idx], seed=seed, params=params)
        for i, label in zip(test_idx, model.labels_for([texts[i] for i in test_idx]), strict=True):
            predicted[i] = label
    return evaluate(lambda _texts: predicted, texts, gold)


# --- save / load (no pickle) ------------------------------------------------------------


def _vocab_list(vectorizer) -> list[str]:
    vocab = vectorizer.vocabulary_
    out = [""] * len(vocab)
    for term, i in vocab.items():
        out[i] = term
    return out


def save_model(model: LinearStanceModel, directory: str | Path, metrics: dict[str, Any] | None = None) -> Path:
    """Write the model to `directory` (created): stance_model.json + stance_arrays.npz."""
    import sklearn

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": FORMAT,
        "classes": model.classes,
        "params": model.params,
        "meta": {**model.meta, "sklearn": sklearn.__version__},
        "feature_names": list(FEATURE_NAMES),
        "vocab_word": _vocab_list(model.word),
        "vocab_char": _vocab_list(model.char),
        "metrics": metrics or model.meta.get("metrics"),
    }
    (out / MODEL_FILE).write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    with (out / ARRAYS_FILE).open("wb") as fh:
        np.savez(
            fh,
            idf_word=model.word.idf_,
            idf_char=model.char.idf_,
            coef=model.coef,
            intercept=model.intercept,
        )
    return out


def load_model(directory: str | Path) -> LinearStanceModel:
    """Load a directory written by save_model; ValueError when it is not one."""
    src = Path(directory)
    try:
        doc = json.loads((src / MODEL_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{src} is not a stance model directory ({exc})") from exc
    if doc.get("format") != FORMAT:
        raise ValueError(f"{src}: unknown stance model format {doc.get('format')!r}")
    if doc.get("feature_names") != list(FEATURE_NAMES):
        raise ValueError(f"{src}: trained with other cue features; retrain it (manage.py train_stance)")
    with np.load(src / ARRAYS_FILE, allow_pickle=False) as arrays:
        idf_word, idf_char = arrays["idf_word"], arrays["idf_char"]
        coef, intercept = arrays["coef"], arrays["intercept"]
    params = doc["params"]
    vocab_word = {term: i for i, term in enumerate(doc["vocab_word"])}
    vocab_char = {term: i for i, term in enumerate(doc["vocab_char"])}
    word, char = _vectorizers(params, 0, vocab_word, vocab_char)
    word.idf_ = idf_word
    char.idf_ = idf_char
    expected = len(vocab_word) + len(vocab_char) + len(FEATURE_NAMES)
    if coef.shape[1] != expected:
        raise ValueError(f"{src}: {coef.shape[1]} weights for {expected} features")
    meta = dict(doc.get("meta") or {})
    if doc.get("metrics"):
        meta["metrics"] = doc["metrics"]
    return LinearStanceModel(word, char, coef, intercept, list(doc["classes"]), params, meta)
