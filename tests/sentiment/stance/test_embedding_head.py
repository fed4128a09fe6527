"""train_stance's second candidate: a head on a local transformer's embeddings (issue 12).

The transformer is the tiny BERT of conftest.py (built and saved here, never downloaded).
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from sentiment.models import StanceModelVersion
from sentiment.stance import store as stance_store
from sentiment.stance.embedding_head import (
    EmbeddingModelError,
    load_embedding_head,
    save_embedding_head,
    train_embedding_head,
)
from sentiment.stance.linear import train_linear
from sentiment.stance.services import stance_model_train

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[3] / "sentiment" / "data" / "stance_demo_train.csv"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

TEXTS = [
    "to the moon, buying calls",
    "great earnings, buy buy buy",
    "loaded up on calls, good stock",
    "this will crash, buying puts",
    "terrible quarter, sell everything",
    "puts printing, bad stock",
    "what time does the market open",
    "hold and see",
    "anyone here from europe",
]
LABELS = ["bullish"] * 3 + ["bearish"] * 3 + ["neutral"] * 3


def call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the tiny model gains nothing from two, and the machine is shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def store_dir(settings, tmp_path) -> Path:
    store = tmp_path / "stance-store"
    settings.STANCE_MODEL_STORE = str(store)
    settings.STANCE_MODEL_CACHE = str(tmp_path / "stance-cache")
    settings.STANCE_EMBEDDING_MODEL = ""
    stance_store.promoted_scorer_reset()
    yield store
    stance_store.promoted_scorer_reset()


@pytest.fixture
def demo_examples(db):
    call("import_labels", str(DEMO), "--source", "demo")


def shuffled_labels(texts, labels, seed=0, **kwargs):
    """A clearly worse linear candidate: trained on labels shuffled at random."""
    shuffled = list(labels)
    random.Random(1234).shuffle(shuffled)
    return train_linear(texts, shuffled, seed=seed, **kwargs)


# --- the model on its own ---------------------------------------------------------------------------


def test_head_trains_scores_saves_and_reloads(tiny_model_dir, tmp_path):
    model = train_embedding_head(TEXTS, LABELS, seed=0, model_dir=tiny_model_dir)
    assert model.kind == "embedding-head" and set(model.classes) == {"bullish", "bearish", "neutral"}
    assert model.coef.shape == (3, 32)
    scores = model.score(["$TSLA to the moon", "sell it all"])
    assert len(scores) == 2
    for label, score, confidence in scores:
        assert label in model.classes and -1 <= score <= 1 and 0 < confidence <= 1
    assert model.predict([]) == []
    # Embeddings do not depend on the batch a text is in (attention-masked mean over real tokens).
    alone = model.embedder.embed(["hold and see"])
    batched = model.embedder.embed(["hold and see", "a much longer text about calls and puts on the stock"])
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-5)

    out = save_embedding_head(model, tmp_path / "head")
    doc = json.loads((out / "stance_head.json").read_text())
    assert doc["kind"] == "embedding-head" and doc["model_dir"] == str(Path(tiny_model_dir).resolve())
    assert not list(out.glob("*.safetensors")), "the transformer is referenced, not copied"
    loaded = load_embedding_head(out)
    assert loaded.predict(TEXTS) == model.predict(TEXTS)


def test_head_is_deterministic(tiny_model_dir):
    a = train_embedding_head(TEXTS, LABELS, seed=5, model_dir=tiny_model_dir)
    b = train_embedding_head(TEXTS, LABELS, seed=5, model_dir=tiny_model_dir)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.intercept, b.intercept)
    assert a.predict(TEXTS) == b.predict(TEXTS)


def test_loading_needs_the_same_transformer_directory(model_copy, tmp_path):
    model = train_embedding_head(TEXTS, LABELS, seed=0, model_dir=model_copy)
    out = save_embedding_head(model, tmp_path / "head")
    config = json.loads((model_copy / "config.json").read_text())
    config["layer_norm_eps"] = 1e-6
    (model_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not the one the head was trained on"):
        load_embedding_head(out)
    shutil.rmtree(model_copy)
    with pytest.raises(ValueError, match="not available here"):
        load_embedding_head(out)
    with pytest.raises(EmbeddingModelError, match="does not exist"):
        train_embedding_head(TEXTS, LABELS, model_dir=model_copy)


# --- train_stance ---------------------------------------------------------------------------------


def test_train_stance_trains_both_candidates_and_keeps_the_better(store_dir, demo_examples, settings, tiny_model_dir):
    settings.STANCE_EMBEDDING_MODEL = str(tiny_model_dir)
    out = call("train_stance", "--promote", "--seed", "0")
    (version_dir,) = (store_dir / "versions").iterdir()
    manifest = json.loads((version_dir / "metrics.json").read_text())
    cands = manifest["candidates"]
    assert set(cands) == {"linear", "embedding-head"}
    kept = manifest["kind"]
    other = "embedding-head" if kept == "linear" else "linear"
    assert cands[kept]["kept"] and not cands[other]["kept"]
    assert cands[kept]["macro_recall"] >= cands[other]["macro_recall"]
    assert manifest["metrics"]["macro_recall"] == cands[kept]["macro_recall"]
    assert cands["embedding-head"]["model_dir"] == str(Path(tiny_model_dir).resolve())
    assert "candidate linear: held-out macro recall" in out
    assert "candidate embedding-head: held-out macro recall" in out
    assert f"kept {kept}" in out
    # The stored artefact reloads (whichever kind it is) and scores.
    scorer = stance_store.promoted_scorer()
    assert scorer is not None and scorer.name == f"{kept}:{version_dir.name}"
    ((label, score, confidence),) = scorer.score(["loaded up on $NVDA calls, to the moon"])
    assert label in {"bullish", "bearish", "neutral"} and -1 <= score <= 1 and 0 <= confidence <= 1


def test_an_embedding_head_that_wins_is_stored_and_served(store_dir, demo_examples, tiny_model_dir):
    """Against a linear model trained on shuffled labels the head wins; its artefact is what is served."""
    outcome = stance_model_train(
        store=stance_store.store_open(str(store_dir)),
        now=NOW,
        train_fn=shuffled_labels,
        embedding_model=str(tiny_model_dir),
        promote_if_better=True,
    )
    cands = outcome.candidates
    assert outcome.kind == "embedding-head", cands
    assert cands["embedding-head"]["macro_recall"] > cands["linear"]["macro_recall"]
    version_dir = store_dir / "versions" / outcome.version
    assert (version_dir / "model" / "stance_head.json").is_file()
    assert StanceModelVersion.objects.get(version=outcome.version).kind == "embedding-head"
    scorer = stance_store.scorer_load(stance_store.store_open(str(store_dir)), outcome.version)
    assert scorer.name == f"embedding-head:{outcome.version}"
    texts = ["puts on $GME, it will crash", "buying calls"]
    direct = load_embedding_head(version_dir / "model").predict(texts)
    assert scorer.score(texts) == direct
    # The tiny random BERT does not beat cues + VADER, so it is not promoted; promoted by hand
    # (as a rollback would), promoted_scorer() serves the embedding head.
    assert not outcome.promoted
    stance_store.promote(stance_store.store_open(str(store_dir)), outcome.version)
    served = stance_store.promoted_scorer()
    assert served.name == scorer.name and served.score(texts) == direct


def test_train_stance_with_an_embedding_model_is_deterministic(store_dir, demo_examples, tiny_model_dir):
    store = stance_store.store_open(str(store_dir))
    runs = [
        stance_model_train(store=store, now=now, seed=2, embedding_model=str(tiny_model_dir))
        for now in (NOW, datetime(2026, 11, 30, 12, 5, tzinfo=UTC))
    ]
    a, b = runs
    for c in (a.candidates, b.candidates):
        for entry in c.values():
            entry.pop("train_seconds")
    assert a.candidates == b.candidates and a.metrics == b.metrics and a.kind == b.kind


def test_without_an_embedding_model_only_the_linear_candidate_runs(store_dir, demo_examples, monkeypatch):
    from sentiment.stance import embedding_head

    def never(*args, **kwargs):
        raise AssertionError("the embedding head must not be trained")

    monkeypatch.setattr(embedding_head, "train_embedding_head", never)
    out = call("train_stance", "--seed", "0")
    (version_dir,) = (store_dir / "versions").iterdir()
    manifest = json.loads((version_dir / "metrics.json").read_text())
    assert manifest["kind"] == "linear" and list(manifest["candidates"]) == ["linear"]
    assert "embedding-head" not in out and "kept " not in out


def test_a_missing_embedding_model_directory_fails_before_training(store_dir, demo_examples, settings, tmp_path):
    settings.STANCE_EMBEDDING_MODEL = str(tmp_path / "no-such-model")
    with pytest.raises(CommandError, match="STANCE_EMBEDDING_MODEL: .*does not exist") as exc:
        call("train_stance")
    assert exc.value.returncode == 5
    assert not (store_dir / "versions").exists()
