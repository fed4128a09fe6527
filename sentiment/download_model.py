"""Save the sentiment model into a directory, for the jobs image (build time only).

    python -m sentiment.download_model [--model ProsusAI/finbert] [--out /opt/models/finbert]

Loads the model and tokenizer (from the hub at build time, or from a local
directory), checks that its labels are positive/negative/neutral, saves both with
`save_pretrained`, measures int8-vs-fp32 label agreement on a check set and writes
it with the source id to `marketpulse_model.json`. At run time the task sets
SENTIMENT_MODEL=/opt/models/finbert and HF_HUB_OFFLINE=1, so nothing downloads;
`analyze_sentiment` refuses SENTIMENT_QUANTIZE when the agreement here was < 99%.

No Django: it runs in a Dockerfile step without any configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sentiment.analyzers import (
    METADATA_FILE,
    QUANTIZE_MIN_AGREEMENT,
    FinbertAnalyzer,
    ModelBroken,
    ModelUnavailable,
    label_agreement,
    normalise_labels,
)
from sentiment.samples import CHECK_SENTENCES, generate_comments

DEFAULT_MODEL = "ProsusAI/finbert"


def default_out(model: str) -> Path:
    name = model.rstrip("/").replace("\\", "/").split("/")[-1] or "model"
    return Path(__file__).resolve().parent.parent / "var" / "models" / name


def quantization_check(model_dir: str, *, n: int = 400, max_tokens: int = 256) -> dict:
    """Label agreement of int8 dynamic quantisation vs fp32 on the check set."""
    texts = CHECK_SENTENCES + generate_comments(n, seed=7)
    threads = int(os.environ.get("SENTIMENT_THREADS") or 0) or None
    fp32 = FinbertAnalyzer(model_dir, max_tokens=max_tokens, batch_size=32, threads=threads)
    reference = fp32.score(texts)
    del fp32
    int8 = FinbertAnalyzer(model_dir, max_tokens=max_tokens, batch_size=32, quantize=True, threads=threads)
    quantized = int8.score(texts)
    agreement = label_agreement(reference, quantized)
    return {
        "agreement": round(agreement, 4),
        "texts": len(texts),
        "ok": agreement >= QUANTIZE_MIN_AGREEMENT,
        "max_abs_score_diff": round(max(abs(a[1] - b[1]) for a, b in zip(reference, quantized, strict=False)), 4),
    }


def download(
    model: str,
    out: Path,
    *,
    check_quantization: bool = True,
    check_size: int = 400,
    stdout=sys.stdout,
) -> dict:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    source = os.path.expanduser(model)
    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(source)
    classifier = AutoModelForSequenceClassification.from_pretrained(source)
    normalise_labels(classifier.config.id2label)  # refuse a non-sentiment model before saving anything
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    classifier.save_pretrained(out)
    previous = {}
    if os.path.isdir(source):
        try:
            previous = json.loads((Path(source) / METADATA_FILE).read_text())
        except (OSError, ValueError):
            previous = {}
    metadata = {
        "source": previous.get("source") or model,
        "labels": {str(k): v for k, v in classifier.config.id2label.items()},
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    del classifier
    if check_quantization:
        metadata["quantization"] = quantization_check(str(out), n=check_size)
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    stdout.write(
        f"saved {model} to {out} in {time.monotonic() - started:.1f} s"
        + (
            f"; int8 vs fp32 label agreement {metadata['quantization']['agreement'] * 100:.1f}% "
            f"on {metadata['quantization']['texts']} texts"
            if check_quantization
            else ""
        )
        + "\n"
    )
    return metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentiment.download_model", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default=os.environ.get("SENTIMENT_MODEL_SOURCE") or DEFAULT_MODEL,
        help=f"Hugging Face id or local directory to copy from (default {DEFAULT_MODEL}).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Directory to save into (default var/models/<name>).",
    )
    parser.add_argument(
        "--no-quantization-check",
        action="store_true",
        help="Skip measuring int8 vs fp32 agreement (then SENTIMENT_QUANTIZE runs unverified).",
    )
    parser.add_argument(
        "--check-size",
        type=int,
        default=400,
        metavar="N",
        help="Generated comments in the int8 check set, on top of the hand-written sentences (default 400).",
    )
    args = parser.parse_args(argv)
    out = args.out or default_out(args.model)
    try:
        download(
            args.model,
            out,
            check_quantization=not args.no_quantization_check,
            check_size=max(0, args.check_size),
        )
    except (ModelBroken, ModelUnavailable) as exc:
        sys.stderr.write(f"download_model: {exc}\n")
        return 3
    except Exception as exc:
        sys.stderr.write(f"download_model: cannot load or save {args.model!r}: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
