"""The stance training core: determinism, evaluate() on a hand-computed example, save/load."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from sentiment.stance.linear import (
    ARRAYS_FILE,
    MODEL_FILE,
    cross_validate,
    evaluate,
    load_model,
    normalise_stance_label,
    save_model,
    stratified_split,
    train_linear,
)

DATA = Path(__file__).resolve().parents[3] / "sentiment" / "data"


def _rows(name: str) -> tuple[list[str], list[str]]:
    rows = list(csv.DictReader((DATA / name).open(encoding="utf-8")))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="module")
def demo() -> tuple[list[str], list[str]]:
    return _rows("stance_demo_train.csv")


def test_evaluate_matches_a_hand_computed_example() -> None:
    gold = ["bullish", "bullish", "bullish", "bearish", "bearish", "neutral"]
    pred = ["bullish", "bearish", "bullish", "bearish", "neutral", "neutral"]
    m = evaluate(lambda _texts: pred, ["t"] * 6, gold)
    # bullish: tp 2, predicted 2, support 3 -> P 1.0, R 0.6667, F1 0.8
    assert m["per_class"]["bullish"] == {"precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3}
    # bearish: tp 1, predicted 2, support 2 -> P 0.5, R 0.5, F1 0.5
    assert m["per_class"]["bearish"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    # neutral: tp 1, predicted 2, support 1 -> P 0.5, R 1.0, F1 0.6667
    assert m["per_class"]["neutral"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert m["accuracy"] == round(4 / 6, 4)
    assert m["macro_recall"] == round((2 / 3 + 0.5 + 1.0) / 3, 4)
    assert m["directional_macro_recall"] == round((2 / 3 + 0.5) / 2, 4)
    assert m["confusion"]["bullish"] == {"bullish": 2, "bearish": 1, "neutral": 0}
    assert m["confusion"]["bearish"] == {"bullish": 0, "bearish": 1, "neutral": 1}


def test_evaluate_accepts_scorer_tuples_and_label_aliases() -> None:
    m = evaluate(lambda texts: [("bullish", 0.5, 0.9) for _ in texts], ["a", "b"], ["positive", "negative"])
    assert m["per_class"]["bullish"]["recall"] == 1.0
    assert m["per_class"]["bearish"]["recall"] == 0.0
    assert m["directional_macro_recall"] == 0.5
    with pytest.raises(ValueError):
        evaluate(lambda texts: ["bullish"], ["a", "b"], ["bullish", "bearish"])


def test_label_aliases() -> None:
    assert normalise_stance_label(" Positive ") == "bullish"
    assert normalise_stance_label("NEG") == "bearish"
    assert normalise_stance_label("neutral") == "neutral"
    with pytest.raises(ValueError):
        normalise_stance_label("sideways")


def test_stratified_split_is_deterministic_and_stratified(demo) -> None:
    texts, labels = demo
    a = stratified_split(texts, labels, seed=3, test_size=0.25)
    b = stratified_split(texts, labels, seed=3, test_size=0.25)
    c = stratified_split(texts, labels, seed=4, test_size=0.25)
    assert a == b and a[1] != c[1]
    tr_x, te_x, tr_y, te_y = a
    assert len(tr_x) + len(te_x) == len(texts) and not set(tr_x) & set(te_x)
    for label in ("bullish", "bearish", "neutral"):
        assert abs(te_y.count(label) / len(te_y) - labels.count(label) / len(labels)) < 0.02


def test_same_seed_and_data_give_identical_metrics(demo) -> None:
    texts, labels = demo
    tr_x, te_x, tr_y, te_y = stratified_split(texts, labels, seed=0, test_size=0.3)
    m1 = train_linear(tr_x, tr_y, seed=0)
    m2 = train_linear(tr_x, tr_y, seed=0)
    assert evaluate(m1.predict, te_x, te_y) == evaluate(m2.predict, te_x, te_y)
    assert np.array_equal(m1.coef, m2.coef)
    # and it learned something: far better than the 1/3 of a constant answer
    assert evaluate(m1.predict, te_x, te_y)["macro_recall"] > 0.7


def test_the_model_learns_from_the_data_not_only_the_cues() -> None:
    # a made-up word the lexicon does not know, learned from labels alone
    texts = [f"$AB{i % 7} zorbling hard" for i in range(30)] + [f"$CD{i % 7} flimbed again" for i in range(30)]
    labels = ["bullish"] * 30 + ["bearish"] * 30
    model = train_linear(texts, labels, seed=1)
    assert [label for label, _, _ in model.predict(["$XY zorbling", "$XY flimbed"])] == ["bullish", "bearish"]
    label, score, confidence = model.predict(["$XY zorbling"])[0]
    assert score > 0 and 0.5 < confidence <= 1.0


def test_save_load_round_trip_without_pickle(tmp_path, demo) -> None:
    texts, labels = demo
    model = train_linear(texts, labels, seed=0)
    save_model(model, tmp_path / "stance", metrics={"macro_recall": 0.5})
    assert sorted(p.name for p in (tmp_path / "stance").iterdir()) == sorted([MODEL_FILE, ARRAYS_FILE])
    with np.load(tmp_path / "stance" / ARRAYS_FILE, allow_pickle=False) as arrays:
        assert set(arrays.files) == {"idf_word", "idf_char", "coef", "intercept"}
    loaded = load_model(tmp_path / "stance")
    probe = texts[:40] + ["never seen before 🚀", "", "$ZZZ 100p"]
    assert loaded.predict(probe) == model.predict(probe)
    assert loaded.classes == model.classes
    assert loaded.meta["metrics"] == {"macro_recall": 0.5}


def test_load_refuses_what_is_not_a_model(tmp_path) -> None:
    with pytest.raises(ValueError, match="not a stance model"):
        load_model(tmp_path)
    (tmp_path / MODEL_FILE).write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="format"):
        load_model(tmp_path)


def test_binary_labels_train_and_predict() -> None:
    texts = ["calls 🚀", "moon soon", "bought more", "puts 📉", "going to zero", "sold it all"] * 3
    labels = ["bullish"] * 3 + ["bearish"] * 3
    model = train_linear(texts, labels * 3, seed=0)
    out = model.predict(["calls 🚀", "puts 📉"])
    assert [label for label, _, _ in out] == ["bullish", "bearish"]
    assert out[0][1] > 0 > out[1][1]


def test_train_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        train_linear(["a", "b"], ["bullish"], seed=0)
    with pytest.raises(ValueError):
        train_linear(["a", "b"], ["bullish", "bullish"], seed=0)


@pytest.mark.slow
def test_cross_validation_is_deterministic(demo) -> None:
    texts, labels = demo
    a = cross_validate(texts[:150], labels[:150], seed=0, folds=3)
    b = cross_validate(texts[:150], labels[:150], seed=0, folds=3)
    assert a == b and a["n"] == 150
