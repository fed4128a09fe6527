"""Sentiment analyzers behind one interface: `analyzer.score(texts) -> [(label, score, confidence)]`.

FinBERT (a local directory or a hub id already cached, never downloaded) or VADER;
`analyzer_load` decides which, and a configured local model that is missing fails fast
(`ModelBroken`) rather than quietly scoring with VADER. torch is imported lazily.
Design: docs/design/analyzers.md.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

LABELS = ("positive", "negative", "neutral")
VADER_THRESHOLD = 0.05
VADER_NAME = "vader"
#: VADER reads at most this many characters of a text, cut at a word boundary (issue 13).
#: Its cost grows with the square of the text (measured: 21 KB 2.2 s, 42 KB 8.9 s,
#: 100 KB 45 s), and nothing is gained past a couple of thousand characters: the
#: compound score sum/sqrt(sum**2 + 15) saturates (|compound| > 0.99 once the valences
#: add up to ~27, a few dozen opinion words), and FinBERT, whose label counts, reads
#: SENTIMENT_MAX_TOKENS tokens (512 at most, about 2,000 characters of English) too.
#: 2,000 characters cost VADER about 20 ms; a 100 KB comment scores in well under 0.5 s
#: (benchmarks/bench_vader_long.py).
VADER_MAX_CHARS = 2_000
# Written by `python -m sentiment.download_model` next to the weights.
METADATA_FILE = "marketpulse_model.json"
QUANTIZE_MIN_AGREEMENT = 0.99

Score = tuple[str, float, float]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_LABEL_ALIASES = {
    "positive": "positive",
    "pos": "positive",
    "bullish": "positive",
    "negative": "negative",
    "neg": "negative",
    "bearish": "negative",
    "neutral": "neutral",
    "neu": "neutral",
}


class ModelUnavailable(Exception):
    """FinBERT cannot run on this machine at all: fall back to VADER (loudly)."""


class ModelBroken(Exception):
    """The configured model exists in intent but cannot be used: fail fast."""


class Analyzer(Protocol):
    name: str
    batch_size: int

    def score(self, texts: Sequence[str]) -> list[Score]: ...

    def score_batches(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Score]]]: ...


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


# --- VADER ----------------------------------------------------------------------------


def vader_text(text: str, limit: int = VADER_MAX_CHARS) -> str:
    """The prefix of `text` VADER reads: at most `limit` characters, cut at the last whitespace
    within them (a hard cut when the prefix has none), so no word is scored half-read."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # one more: a space right after the limit is a clean cut
    for index in range(limit, max(0, limit - 200), -1):
        if head[index].isspace():
            return head[:index].rstrip()
    return text[:limit]


class VaderAnalyzer:
    """VADER: fast, lexicon based, no torch; on a bounded prefix (`vader_text`)."""

    name = VADER_NAME

    def __init__(self, *, batch_size: int = 256) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._sia = SentimentIntensityAnalyzer()
        self.batch_size = batch_size

    def score_one(self, text: str) -> Score:
        text = vader_text(text or "")
        if not text.strip():
            return ("neutral", 0.0, 1.0)
        polarity = self._sia.polarity_scores(text)
        compound = float(polarity["compound"])
        if compound >= VADER_THRESHOLD:
            label, share = "positive", polarity["pos"]
        elif compound <= -VADER_THRESHOLD:
            label, share = "negative", polarity["neg"]
        else:
            label, share = "neutral", polarity["neu"]
        return (
            label,
            round(_clamp(compound, -1.0, 1.0), 6),
            round(_clamp(float(share), 0.0, 1.0), 6),
        )

    def score(self, texts: Sequence[str]) -> list[Score]:
        return [self.score_one(text) for text in texts]

    def score_batches(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Score]]]:
        """One text at a time: the caller checks its stop flag between two, not after 256."""
        for i, text in enumerate(texts):
            yield [i], [self.score_one(text)]


# --- CPU budget -------------------------------------------------------------------------


def effective_cpu_count(cgroup_root: str | os.PathLike = "/sys/fs/cgroup") -> int:
    """CPUs this process may really use: affinity mask, capped by a cgroup CPU quota.

    `os.cpu_count()` reports the host's CPUs; a Fargate task with 0.5 vCPU or a
    container limited with `--cpus` sees all of them but gets a quota. Running more
    torch threads than the quota only adds contention.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    root = Path(cgroup_root)
    quota: float | None = None
    try:  # cgroup v2: "max 100000" or "50000 100000"
        parts = (root / "cpu.max").read_text().split()
        if parts and parts[0] != "max":
            quota = int(parts[0]) / int(parts[1] if len(parts) > 1 else 100000)
    except (OSError, ValueError, ZeroDivisionError):
        pass
    if quota is None:
        for sub in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):  # cgroup v1
            try:
                q = int((root / sub / "cpu.cfs_quota_us").read_text().strip())
                p = int((root / sub / "cpu.cfs_period_us").read_text().strip())
            except (OSError, ValueError):
                continue
            if q > 0 and p > 0:
                quota = q / p
                break
    if quota is not None and quota > 0:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


# --- FinBERT ----------------------------------------------------------------------------


def is_local_path(ref: str) -> bool:
    """True when SENTIMENT_MODEL names a directory rather than a hub id."""
    expanded = os.path.expanduser(ref)
    return (
        os.path.isabs(expanded)
        or ref.startswith(("./", "../", "~", ".\\"))
        or os.path.isdir(expanded)
        or not _HUB_ID.match(ref)
    )


def normalise_labels(id2label: dict[Any, str]) -> dict[int, str]:
    """Map a model's id2label onto positive/negative/neutral, or raise ModelBroken."""
    mapped: dict[int, str] = {}
    for key, raw in (id2label or {}).items():
        label = _LABEL_ALIASES.get(str(raw).strip().lower())
        if label is None:
            raise ModelBroken(
                f"the model's label {raw!r} (id {key}) is not positive/negative/neutral; "
                f"id2label is {dict(id2label)!r}: is this a sentiment model?"
            )
        mapped[int(key)] = label
    if sorted(mapped.values()) != sorted(LABELS):
        raise ModelBroken(
            f"the model must have exactly the labels positive, negative, neutral; id2label is {dict(id2label)!r}"
        )
    return mapped


def read_metadata(model_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(model_dir) / METADATA_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class FinbertAnalyzer:
    """A transformers sequence classifier scored in length-sorted, dynamically padded batches."""

    def __init__(
        self,
        model_ref: str,
        *,
        max_tokens: int = 256,
        batch_size: int = 32,
        quantize: bool = False,
        threads: int | None = None,
        local_files_only: bool = True,
        max_batch_tokens: int | None = None,
    ) -> None:
        self.model_ref = model_ref
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        # Padded tokens per forward pass (2,048 at the default batch size: 32 short texts, or 8 x 256).
        self.max_batch_tokens = max_batch_tokens or batch_size * 64
        self.tokens_real = 0  # non-padding tokens fed to the model (benchmarks read these)
        self.tokens_padded = 0
        self.quantized = False
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelUnavailable(f"torch/transformers are not installed ({exc})") from exc

        self._torch = torch
        self.threads = threads or effective_cpu_count()
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        hf_logging.disable_progress_bar()

        location = model_ref
        if is_local_path(model_ref):
            location = os.path.expanduser(model_ref)
            if not os.path.isdir(location):
                raise ModelBroken(f"SENTIMENT_MODEL directory {model_ref!r} does not exist")
            if not (Path(location) / "config.json").is_file():
                raise ModelBroken(f"SENTIMENT_MODEL directory {model_ref!r} has no config.json: not a saved model")
        elif local_files_only and not _hub_id_cached(model_ref):
            raise ModelUnavailable(
                f"{model_ref!r} is not in the local Hugging Face cache and downloads are off at run time "
                "(bake it in with `python -m sentiment.download_model --out DIR` and set SENTIMENT_MODEL=DIR)"
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=local_files_only)
            model = AutoModelForSequenceClassification.from_pretrained(location, local_files_only=local_files_only)
        except Exception as exc:  # corrupt weights, bad config, missing tokenizer files...
            raise ModelBroken(f"cannot load the model from {model_ref!r}: {type(exc).__name__}: {exc}") from exc
        self.id2label = normalise_labels(model.config.id2label)
        self._pos = next(i for i, label in self.id2label.items() if label == "positive")
        self._neg = next(i for i, label in self.id2label.items() if label == "negative")
        if model.config.num_labels != len(self.id2label):
            raise ModelBroken(f"the model has {model.config.num_labels} outputs but {len(self.id2label)} labels")
        model.eval()
        if quantize:
            try:
                model = quantize_dynamic(model)
                self.quantized = True
            except (AttributeError, RuntimeError) as exc:  # torch.ao.quantization is deprecated upstream
                logger.warning("int8 quantisation unavailable in this torch (%s): scoring in fp32", exc)
        self.model = model
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        metadata = read_metadata(location) if os.path.isdir(location) else {}
        base_name = metadata.get("source") or model_ref
        self.name = (f"{base_name}+int8" if self.quantized else base_name)[:200]
        self.metadata = metadata

    # The per-text work: clean text is cut at a generous character bound first so a
    # 40,000-character post does not cost a 40,000-character tokenisation, then the
    # tokenizer truncates to max_tokens tokens (special tokens included).
    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        char_cap = self.max_tokens * 24
        encoded = self.tokenizer(
            [text[:char_cap] for text in texts],
            add_special_tokens=True,
            truncation=True,
            max_length=self.max_tokens,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return encoded["input_ids"]

    def score_batches(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Score]]]:
        """Yield (indices, scores) per model batch, shortest texts first.

        Sorting by token length means each batch pads to a near-equal length
        (dynamic padding) instead of to the longest text of a random mix. Empty
        texts are neutral without a forward pass.
        """
        empty = [i for i, text in enumerate(texts) if not text or not text.strip()]
        if empty:
            yield empty, [("neutral", 0.0, 1.0)] * len(empty)
        todo = [i for i, text in enumerate(texts) if text and text.strip()]
        if not todo:
            return
        ids = self.encode([texts[i] for i in todo])
        order = sorted(range(len(todo)), key=lambda k: len(ids[k]))
        for chunk in self._batches(order, ids):
            scores = self._forward([ids[k] for k in chunk])
            yield [todo[k] for k in chunk], scores

    def _batches(self, order: list[int], ids: list[list[int]]) -> Iterator[list[int]]:
        """Up to batch_size texts per batch, and at most max_batch_tokens padded tokens.

        The token budget keeps a batch of long posts (32 x 256 tokens) from
        allocating 4x the activations of the usual batch: peak memory stays near
        the model's size, which is what decides the Fargate task size.
        """
        batch: list[int] = []
        for k in order:  # ascending length: the newest item is the widest
            width = len(ids[k])
            if batch and (len(batch) + 1 > self.batch_size or (len(batch) + 1) * width > self.max_batch_tokens):
                yield batch
                batch = []
            batch.append(k)
        if batch:
            yield batch

    def score(self, texts: Sequence[str]) -> list[Score]:
        out: list[Score | None] = [None] * len(texts)
        for idx, scores in self.score_batches(texts):
            for i, s in zip(idx, scores, strict=False):
                out[i] = s
        return out  # type: ignore[return-value]

    def _forward(self, batch: list[list[int]]) -> list[Score]:
        torch = self._torch
        width = max(len(row) for row in batch)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for r, row in enumerate(batch):
            input_ids[r, : len(row)] = torch.tensor(row, dtype=torch.long)
            attention[r, : len(row)] = 1
        self.tokens_real += int(attention.sum())
        self.tokens_padded += len(batch) * width
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids, attention_mask=attention).logits
            probs = torch.softmax(logits.float(), dim=-1).tolist()
        results: list[Score] = []
        for p in probs:
            top = max(range(len(p)), key=p.__getitem__)
            score = _clamp(p[self._pos] - p[self._neg], -1.0, 1.0)
            results.append(
                (
                    self.id2label[top],
                    round(score, 6),
                    round(_clamp(p[top], 0.0, 1.0), 6),
                )
            )
        return results


def quantize_dynamic(model: Any) -> Any:
    """int8 dynamic quantisation of the Linear layers (weights int8, activations quantised per batch)."""
    import torch

    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao (not a dependency
        # here); the eager dynamic path still works in torch 2.13 and is what we measure.
        warnings.simplefilter("ignore")
        # inplace: each Linear is swapped (and its fp32 weight freed) in turn, so the
        # peak is the fp32 model plus one layer, not two whole models.
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return model


def _hub_id_cached(model_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = try_to_load_from_cache(model_id, "config.json")
    return isinstance(found, str)


# --- Choosing one ----------------------------------------------------------------------

_warned_fallback = False


def analyzer_load(
    *,
    backend: str,
    model_ref: str,
    max_tokens: int,
    batch_size: int,
    quantize: bool,
    threads: int | None = None,
    warn: Callable[[str], None] | None = None,
) -> Analyzer:
    """The analyzer for `backend` (finbert|vader); the rules: docs/design/analyzers.md.

    Raises ModelBroken (fail fast). On ModelUnavailable returns VADER after one
    loud warning per process (logged, and passed to `warn` for the command's stderr).
    """
    global _warned_fallback
    if backend == "vader":
        return VaderAnalyzer()
    if backend != "finbert":
        raise ValueError(f"unknown sentiment backend {backend!r}")
    quantize = quantize and _quantize_allowed(model_ref)
    try:
        return FinbertAnalyzer(
            model_ref,
            max_tokens=max_tokens,
            batch_size=batch_size,
            quantize=quantize,
            threads=threads or None,
        )
    except ModelUnavailable as exc:
        message = f"FinBERT is not available ({exc}); scoring with VADER instead, rows record sentiment_model='vader'"
        if not _warned_fallback:
            logger.warning("%s", message)
            _warned_fallback = True
        if warn is not None:
            warn(message)
        return VaderAnalyzer()


def _quantize_allowed(model_ref: str) -> bool:
    """Honour SENTIMENT_QUANTIZE unless download_model measured < 99% agreement with fp32."""
    location = os.path.expanduser(model_ref)
    if not os.path.isdir(location):
        return True
    check = read_metadata(location).get("quantization") or {}
    agreement = check.get("agreement")
    if agreement is None:
        logger.warning(
            "SENTIMENT_QUANTIZE is on but int8/fp32 agreement was never measured for %s",
            model_ref,
        )
        return True
    if agreement < QUANTIZE_MIN_AGREEMENT:
        logger.warning(
            "SENTIMENT_QUANTIZE is on but int8 agreed with fp32 on only %.1f%% of the check set (< %.0f%%): using fp32",
            agreement * 100,
            QUANTIZE_MIN_AGREEMENT * 100,
        )
        return False
    return True


def label_agreement(a: Sequence[Score], b: Sequence[Score]) -> float:
    """Share of texts on which two analyzers gave the same label."""
    if not a:
        return 1.0
    return sum(1 for x, y in zip(a, b, strict=False) if x[0] == y[0]) / len(a)
