"""The second stance candidate: a logistic-regression head on a LOCAL transformer's mean-pooled embeddings.

    model = train_embedding_head(texts, labels, seed=0, model_dir="/models/finbert")

Nothing is downloaded; the artefact records the transformer directory's path and fingerprint
and loads only against the same files. torch is imported lazily. Design: docs/design/stance.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.stance.linear import LogisticStanceScorer

KIND = "embedding-head"
FORMAT = "marketpulse-stance-embedding-head/1"
MODEL_FILE = "stance_head.json"
ARRAYS_FILE = "stance_head_arrays.npz"

DEFAULT_PARAMS: dict[str, Any] = {
    "pooling": "mean",
    "max_length": 128,
    "batch_size": 32,
    "C": 1.0,
    "tol": 1e-4,
    "max_iter": 2000,
}

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack")


class EmbeddingModelError(ValueError):
    """The transformer directory is missing or is not a saved model."""


def check_model_dir(model_dir: str | os.PathLike) -> Path:
    """The directory as an absolute Path; EmbeddingModelError unless it holds a saved model (config.json)."""
    path = Path(os.path.expanduser(str(model_dir))).resolve()
    if not path.is_dir():
        raise EmbeddingModelError(f"transformer model directory {str(model_dir)!r} does not exist")
    if not (path / "config.json").is_file():
        raise EmbeddingModelError(f"transformer model directory {str(model_dir)!r} has no config.json")
    return path


def model_fingerprint(model_dir: Path) -> str:
    """SHA-256 of config.json plus the names and sizes of the weight files (cheap; a different model differs)."""
    digest = hashlib.sha256((model_dir / "config.json").read_bytes())
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and path.name.endswith(_WEIGHT_SUFFIXES):
            digest.update(f"\n{path.name}\t{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


class Embedder:
    """Mean-pooled last hidden states of a local transformer (loaded once)."""

    def __init__(self, model_dir: str | os.PathLike, *, max_length: int = 128, batch_size: int = 32) -> None:
        self.model_dir = check_model_dir(model_dir)
        self.max_length = max_length
        self.batch_size = batch_size
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:  # pragma: no cover - the jobs image has both
            raise EmbeddingModelError(f"torch/transformers are not installed ({exc})") from exc
        hf_logging.disable_progress_bar()
        self._torch = torch
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
            # A sequence-classification checkpoint (FinBERT) loads as its base encoder here.
            self.model = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True)
        except Exception as exc:  # corrupt weights, bad config, missing tokenizer files...
            raise EmbeddingModelError(
                f"cannot load a transformer from {str(self.model_dir)!r}: {type(exc).__name__}: {exc}"
            ) from exc
        self.model.eval()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), hidden) float64; rows in the order of `texts`."""
        from sentiment.stance.linear import prepare_text

        torch = self._torch
        prepared = [prepare_text(t) for t in texts]
        out = np.zeros((len(prepared), int(self.model.config.hidden_size)), dtype=np.float64)
        # Length-sorted batches pad less; the result is put back in the input order.
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tokenizer(
                    [prepared[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                out[idx] = pooled.to(torch.float64).numpy()
        return out


@dataclass
class EmbeddingHeadModel(LogisticStanceScorer):
    """A fitted head + the transformer it reads. Build with train_embedding_head or load_embedding_head."""

    embedder: Embedder
    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]
    params: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    name = "stance-embedding-head"
    kind = KIND

    def features(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.embed(list(texts))


def train_embedding_head(
    texts: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    model_dir: str | os.PathLike = "",
    params: dict[str, Any] | None = None,
    embedder: Embedder | None = None,
) -> EmbeddingHeadModel:
    """Fit the head on `model_dir`'s embeddings. Deterministic: same inputs and seed -> same model."""
    from sentiment.stance.linear import logistic_fit, training_labels

    gold = training_labels(texts, labels)
    params = {**DEFAULT_PARAMS, **(params or {})}
    if embedder is None:
        embedder = Embedder(model_dir, max_length=int(params["max_length"]), batch_size=int(params["batch_size"]))
    x = embedder.embed(list(texts))
    fit = logistic_fit(x, gold, params=params, seed=seed)
    return EmbeddingHeadModel(
        embedder=embedder,
        coef=fit.coef,
        intercept=fit.intercept,
        classes=fit.classes,
        params=params,
        meta={
            "n_train": len(texts),
            "label_counts": fit.label_counts,
            "seed": seed,
            "model_dir": str(embedder.model_dir),
            "model_fingerprint": model_fingerprint(embedder.model_dir),
            "hidden_size": int(x.shape[1]),
        },
    )


def save_embedding_head(
    model: EmbeddingHeadModel, directory: str | Path, metrics: dict[str, Any] | None = None
) -> Path:
    """Write the head to `directory` (created): stance_head.json + stance_head_arrays.npz."""
    import sklearn

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": FORMAT,
        "kind": KIND,
        "classes": model.classes,
        "params": model.params,
        "meta": {**model.meta, "sklearn": sklearn.__version__},
        "model_dir": model.meta["model_dir"],
        "model_fingerprint": model.meta["model_fingerprint"],
        "metrics": metrics or model.meta.get("metrics"),
    }
    (out / MODEL_FILE).write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    with (out / ARRAYS_FILE).open("wb") as fh:
        np.savez(fh, coef=model.coef, intercept=model.intercept)
    return out


def load_embedding_head(directory: str | Path) -> EmbeddingHeadModel:
    """Load a directory written by save_embedding_head; ValueError when it is not one, or when the
    transformer directory it names is gone or holds another model."""
    src = Path(directory)
    try:
        doc = json.loads((src / MODEL_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{src} is not an embedding-head stance model directory ({exc})") from exc
    if doc.get("format") != FORMAT:
        raise ValueError(f"{src}: unknown embedding-head model format {doc.get('format')!r}")
    recorded = str(doc.get("model_dir") or "")
    try:
        model_dir = check_model_dir(recorded)
    except EmbeddingModelError as exc:
        raise ValueError(
            f"{src}: the head was trained on the transformer in {recorded!r}, which is not available here ({exc}); "
            "deploy that model directory at the same path, or retrain (manage.py train_stance)"
        ) from exc
    if model_fingerprint(model_dir) != doc.get("model_fingerprint"):
        raise ValueError(
            f"{src}: the transformer in {recorded!r} is not the one the head was trained on "
            "(config or weight files differ); retrain it (manage.py train_stance)"
        )
    with np.load(src / ARRAYS_FILE, allow_pickle=False) as arrays:
        coef, intercept = arrays["coef"], arrays["intercept"]
    params = {**DEFAULT_PARAMS, **doc["params"]}
    embedder = Embedder(model_dir, max_length=int(params["max_length"]), batch_size=int(params["batch_size"]))
    if coef.shape[1] != int(embedder.model.config.hidden_size):
        raise ValueError(f"{src}: {coef.shape[1]} weights for a hidden size of {embedder.model.config.hidden_size}")
    meta = dict(doc.get("meta") or {})
    if doc.get("metrics"):
        meta["metrics"] = doc["metrics"]
    return EmbeddingHeadModel(embedder, coef, intercept, list(doc["classes"]), params, meta)
