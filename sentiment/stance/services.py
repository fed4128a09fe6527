"""Learning from reviewers: gather the labelled data, train, compare, store, promote (`train_stance`).

    outcome = stance_model_train(sources=None, seed=0, test_size=0.2, promote_if_better=True)

Promotion needs MIN_HELD_OUT_TO_PROMOTE held-out examples, a strictly better held-out macro
recall than the current scorer, and no loss on the shipped EVAL_SET. Design: docs/design/stance.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from sentiment.models import StanceModelVersion
from sentiment.stance.data import Example, data_hash, stance_training_data
from sentiment.stance.store import (
    Scorer,
    Store,
    promote,
    promoted_read,
    promoted_scorer_reset,
    scorer_load,
    store_open,
    train_hashes_read,
    version_save,
)

MANIFEST_FORMAT = "marketpulse-stance-version/1"
MIN_COMPARISON = 20
#: Fewer held-out examples than this and --promote refuses: a comparison on a handful decides nothing.
MIN_HELD_OUT_TO_PROMOTE = 30
#: The fixed, shipped evaluation set: a promoted model must not do worse there than the current scorer.
EVAL_SET = Path(__file__).resolve().parent.parent / "data" / "stance_eval.csv"
SHORT_HASH = 16


class NotEnoughData(Exception):
    """Too few examples (or labels) to split and train."""


def git_sha() -> str:
    """GIT_SHA (set at image build), else `git rev-parse HEAD` where git and a checkout exist, else "unknown"."""
    sha = os.environ.get("GIT_SHA", "").strip()
    if sha:
        return sha[:64]
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and out else "unknown"


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    kind: str
    model: Any
    metrics: dict[str, Any]
    train_seconds: float

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float, float]]:
        return self.model.predict(list(texts))


@dataclass
class TrainOutcome:
    version: str
    uri: str
    kind: str
    data_hash: str
    counts: dict[str, Any]
    metrics: dict[str, Any]
    candidates: dict[str, dict[str, Any]]
    baseline_name: str
    comparison: dict[str, Any]
    better: bool
    promoted: bool
    decision: str
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def candidate_score(self) -> float:
        return self.comparison["candidate"]["macro_recall"]

    @property
    def baseline_score(self) -> float:
        return self.comparison["baseline"]["macro_recall"]


def _counts(examples: Sequence[Example]) -> dict[str, Any]:
    by_source: dict[str, Counter] = defaultdict(Counter)
    for ex in examples:
        by_source[ex.source][ex.label] += 1
    return {
        "total": len(examples),
        "by_label": dict(sorted(Counter(ex.label for ex in examples).items())),
        "by_source": {src: dict(sorted(c.items())) for src, c in sorted(by_source.items())},
    }


def _check_enough(examples: Sequence[Example], test_size: float) -> None:
    by_label = Counter(ex.label for ex in examples)
    if len(by_label) < 2:
        raise NotEnoughData(
            f"{len(examples)} examples with labels {dict(by_label)}: training needs at least two labels"
        )
    n_test = max(len(by_label), round(len(examples) * test_size))
    if any(n < 2 for n in by_label.values()) or n_test >= len(examples) - len(by_label):
        raise NotEnoughData(
            f"{len(examples)} examples ({dict(by_label)}) are too few to hold out {test_size:.0%} stratified: "
            "every label needs at least 2, and the held-out set one per label"
        )


def embedding_model_setting() -> str:
    """settings.STANCE_EMBEDDING_MODEL: a local transformer directory, or "" (no second candidate)."""
    return str(getattr(settings, "STANCE_EMBEDDING_MODEL", "") or "").strip()


def _current_scorer(store: Store) -> tuple[Scorer, set[str]]:
    """The scorer in use now (the store's promoted version, else cues + VADER) and the hashes it trained on."""
    from sentiment.stance.baseline import CuesVaderScorer

    pointer = promoted_read(store)
    if pointer is None:
        return CuesVaderScorer(), set()
    return scorer_load(store, pointer["version"]), train_hashes_read(store, pointer["version"])


def eval_set_compare(candidate: Callable, current: Scorer, path: Path = EVAL_SET) -> dict[str, Any]:
    """The candidate's and the current scorer's macro recall on the fixed evaluation set."""
    from sentiment.stance.labels import labels_parse
    from sentiment.stance.linear import evaluate

    rows = labels_parse(path).rows
    texts, labels = [r.text for r in rows], [r.label for r in rows]
    return {
        "path": str(path.relative_to(settings.BASE_DIR)) if path.is_relative_to(settings.BASE_DIR) else str(path),
        "examples": len(rows),
        "candidate": evaluate(candidate, texts, labels)["macro_recall"],
        "baseline": evaluate(current.score, texts, labels)["macro_recall"],
    }


def stance_model_train(
    *,
    sources: Sequence[str] | None = None,
    seed: int = 0,
    test_size: float = 0.2,
    promote_if_better: bool = False,
    store: Store | None = None,
    now: datetime | None = None,
    train_fn: Callable[..., Any] | None = None,
    embedding_model: str | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainOutcome:
    """Train, measure against the current scorer, store the version, promote when asked and better.

    `train_fn(texts, labels, seed=...)` replaces `train_linear` (tests: a deliberately
    worse model). `embedding_model`: the transformer directory of the second candidate
    (None: settings.STANCE_EMBEDDING_MODEL; "": no second candidate). Raises
    NotEnoughData, StoreError, EmbeddingModelError (the directory is not a saved model).
    """
    from sentiment.stance.embedding_head import KIND as EMBEDDING_KIND
    from sentiment.stance.embedding_head import check_model_dir, save_embedding_head, train_embedding_head
    from sentiment.stance.linear import evaluate, save_model, stratified_split, train_linear

    say = log or (lambda _msg: None)
    embedding_dir = embedding_model_setting() if embedding_model is None else embedding_model.strip()
    if embedding_dir:
        embedding_dir = str(check_model_dir(embedding_dir))  # fail before the data is read
    store = store if store is not None else store_open()
    now = now or datetime.now(UTC)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    examples = stance_training_data(sources=sources)
    _check_enough(examples, test_size)
    seconds["data"] = time.perf_counter() - t0
    by_text = {ex.text: ex for ex in examples}
    texts = [ex.text for ex in examples]
    labels = [ex.label for ex in examples]
    try:
        tr_x, te_x, tr_y, te_y = stratified_split(texts, labels, seed=seed, test_size=test_size)
    except ValueError as exc:  # e.g. fewer held-out examples than labels
        raise NotEnoughData(f"{len(examples)} examples cannot be split {test_size:.0%} stratified: {exc}") from None
    counts = _counts(examples)
    counts["train"] = dict(sorted(Counter(tr_y).items()), total=len(tr_x))
    counts["held_out"] = dict(sorted(Counter(te_y).items()), total=len(te_x))
    say(
        f"data: {len(examples)} examples {counts['by_label']} from {sorted(counts['by_source'])}; "
        f"{len(tr_x)} to train, {len(te_x)} held out (seed {seed})"
    )

    fit = train_fn or train_linear
    t1 = time.perf_counter()
    model = fit(tr_x, tr_y, seed=seed)
    train_seconds = time.perf_counter() - t1
    candidates = [Candidate("linear", model, evaluate(model.predict, te_x, te_y), train_seconds)]
    if embedding_dir:
        t1 = time.perf_counter()
        head = train_embedding_head(tr_x, tr_y, seed=seed, model_dir=embedding_dir)
        head_metrics = evaluate(head.predict, te_x, te_y)  # the same held-out examples
        candidates.append(Candidate(EMBEDDING_KIND, head, head_metrics, time.perf_counter() - t1))
    # The best by macro recall, then accuracy; max() keeps the first of equals: the linear model.
    best = max(candidates, key=lambda c: (c.metrics["macro_recall"], c.metrics["accuracy"]))
    seconds["train"] = sum(c.train_seconds for c in candidates)
    if len(candidates) > 1:
        say(
            "candidates on the "
            + f"{len(te_x)} held-out examples: "
            + "; ".join(
                f"{c.kind} macro recall {c.metrics['macro_recall']:.4f} accuracy {c.metrics['accuracy']:.4f}"
                for c in candidates
            )
            + f"; kept {best.kind}"
        )

    t2 = time.perf_counter()
    current, seen = _current_scorer(store)
    compare_idx = [i for i, t in enumerate(te_x) if by_text[t].hash[:SHORT_HASH] not in seen]
    note = ""
    if len(compare_idx) < len(te_x):
        if len(compare_idx) >= MIN_COMPARISON:
            note = f"{len(te_x) - len(compare_idx)} held-out examples the current model was trained on left out"
        else:
            note = (
                f"only {len(compare_idx)} held-out examples are new to the current model: compared on all "
                f"{len(te_x)} (the current model has seen some of them)"
            )
            compare_idx = list(range(len(te_x)))
    cmp_x = [te_x[i] for i in compare_idx]
    cmp_y = [te_y[i] for i in compare_idx]
    baseline = evaluate(current.score, cmp_x, cmp_y)
    cand_cmp = best.metrics if len(cmp_x) == len(te_x) else evaluate(best.predict, cmp_x, cmp_y)
    better = cand_cmp["macro_recall"] > baseline["macro_recall"]
    eval_set = eval_set_compare(best.predict, current)
    seconds["compare"] = time.perf_counter() - t2
    comparison = {
        "metric": "macro_recall",
        "examples": len(cmp_x),
        "note": note,
        "candidate": cand_cmp,
        "baseline_name": current.name,
        "baseline": baseline,
        "eval_set": eval_set,
    }

    data_digest = data_hash(examples)
    version = f"{now:%Y%m%dT%H%M%SZ}-{data_digest[:10]}"
    existing = set(store.children("versions"))
    suffix = 2
    while version in existing:  # two runs in one second on the same data
        version = f"{now:%Y%m%dT%H%M%SZ}-{data_digest[:10]}-{suffix}"
        suffix += 1

    promote_it = False
    if not promote_if_better:
        decision = "not promoted (run without --promote)"
    elif len(te_x) < MIN_HELD_OUT_TO_PROMOTE:
        decision = (
            f"refused: only {len(te_x)} held-out examples, fewer than the {MIN_HELD_OUT_TO_PROMOTE} a promotion "
            f"needs (MIN_HELD_OUT_TO_PROMOTE): label more examples or raise --test-size; {current.name} stays"
        )
    elif not better:
        decision = (
            f"refused: macro recall {cand_cmp['macro_recall']:.4f} is not above the current scorer's "
            f"{baseline['macro_recall']:.4f} ({current.name}); {current.name} stays"
        )
    elif eval_set["candidate"] < eval_set["baseline"]:
        decision = (
            f"refused: on the shipped evaluation set ({eval_set['path']}, {eval_set['examples']} examples) macro "
            f"recall would fall from {eval_set['baseline']:.4f} ({current.name}) to {eval_set['candidate']:.4f}; "
            f"{current.name} stays"
        )
    else:
        promote_it = True
        decision = (
            f"promoted: macro recall {cand_cmp['macro_recall']:.4f} > {baseline['macro_recall']:.4f} ({current.name}), "
            f"and {eval_set['candidate']:.4f} >= {eval_set['baseline']:.4f} on {eval_set['path']}"
        )
    sha = git_sha()
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": version,
        "kind": best.kind,
        "created_at": now.isoformat(timespec="seconds"),
        "git_sha": sha,
        "seed": seed,
        "test_size": test_size,
        "sources": sorted(sources) if sources else "all",
        "data": {"hash": data_digest, **counts},
        "metrics": best.metrics,
        "candidates": {
            c.kind: {
                "macro_recall": c.metrics["macro_recall"],
                "accuracy": c.metrics["accuracy"],
                "directional_macro_recall": c.metrics["directional_macro_recall"],
                "train_seconds": round(c.train_seconds, 2),
                "kept": c is best,
                **({"model_dir": c.model.meta["model_dir"]} if c.kind == EMBEDDING_KIND else {}),
            }
            for c in candidates
        },
        "comparison": comparison,
        "decision": decision,
        "params": getattr(best.model, "params", {}),
    }

    t3 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="stance-train-"))
    try:
        if best.kind == EMBEDDING_KIND:
            save_embedding_head(best.model, work / "model", metrics=best.metrics)
        else:
            save_model(best.model, work / "model", metrics=best.metrics)
        train_hashes = sorted(by_text[t].hash[:SHORT_HASH] for t in tr_x)
        uri = version_save(
            store, version=version, model_dir=work / "model", manifest=manifest, train_hashes=train_hashes
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    promoted = False
    pointer = None
    if promote_it:
        pointer = promote(store, version)
        promoted = True
        promoted_scorer_reset()
    seconds["store"] = time.perf_counter() - t3

    with transaction.atomic():
        if promoted:
            StanceModelVersion.objects.filter(promoted=True).update(promoted=False)
        StanceModelVersion.objects.create(
            version=version,
            kind=best.kind,
            uri=uri,
            created_at=now,
            git_sha=sha,
            metrics=best.metrics,
            baseline_name=current.name,
            baseline_metrics=baseline,
            data_counts=manifest["data"],
            promoted=promoted,
            promoted_at=datetime.fromisoformat(pointer["promoted_at"]) if pointer else None,
            decision=decision[:300],
        )
    return TrainOutcome(
        version=version,
        uri=uri,
        kind=best.kind,
        data_hash=data_digest,
        counts=counts,
        metrics=best.metrics,
        candidates=manifest["candidates"],
        baseline_name=current.name,
        comparison=comparison,
        better=better,
        promoted=promoted,
        decision=decision,
        seconds={k: round(v, 2) for k, v in seconds.items()},
    )
