"""Benchmark: analyze_sentiment's FinBERT scoring vs the naive way, on this machine.

    .venv/bin/python benchmarks/bench_sentiment.py [--n 2000] [--naive-limit 500] [--json-out FILE]

No download: a randomly initialised `BertForSequenceClassification(BertConfig(num_labels=3))`
— FinBERT's exact architecture (BERT-base: 12 layers, hidden 768, 110M parameters), so
the same compute — is saved to a temp dir with a WordPiece tokenizer whose 30,522-entry
vocabulary (BERT's size) is: the special tokens, single characters and `##` pieces,
every word the comment generator uses (one token per word, as BERT-base tokenises
plain English words), and filler entries up to 30,522. Emoji become [UNK] as in FinBERT.

Texts: 2,000 generated r/wallstreetbets-like comments (`sentiment.samples`, fixed seed,
log-normal lengths: median 14 words, long tail to 600 words, truncated at 256 tokens).

Reported, in one run:
  * items/s: naive (`pipeline(text)` once per article, on the first --naive-limit
    texts) vs ours (`FinbertAnalyzer.score`, length-sorted dynamic-padding batches of
    32, inference_mode) in fp32 and int8 (dynamic quantisation of the Linear layers);
  * int8 vs fp32 label agreement on the 2,000 texts (random weights: see the caveat
    printed; the real check runs on the real model in `download_model`);
  * tokens/s: ours (real, non-padding tokens) vs a dense 32 x 128 batch (the ceiling);
  * peak RSS and wall time of the whole `manage.py analyze_sentiment` process scoring
    the 2,000 comments from a SQLite database (`/usr/bin/time -v`), fp32 and int8.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.samples import generate_comments, vocabulary  # noqa: E402 (after the sys.path line)

FINBERT_ID2LABEL = {0: "positive", 1: "negative", 2: "neutral"}
VOCAB_SIZE = 30522


def build_model(out: Path, *, seed: int) -> Path:
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertTokenizerFast,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789") + list(".,!?$'-:;()%&*/#@\"")
    words = list(dict.fromkeys(special + chars + ["##" + c for c in chars] + vocabulary()))
    filler = (f"##x{i}" for i in range(VOCAB_SIZE))
    while len(words) < VOCAB_SIZE:
        words.append(next(filler))
    out.mkdir(parents=True, exist_ok=True)
    vocab_file = out / "vocab-source.txt"
    vocab_file.write_text("\n".join(words) + "\n")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True)
    vocab_file.unlink()
    torch.manual_seed(seed)
    config = BertConfig(
        num_labels=3,
        id2label=FINBERT_ID2LABEL,
        label2id={v: k for k, v in FINBERT_ID2LABEL.items()},
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "marketpulse_model.json").write_text(json.dumps({"source": "random-init BERT-base (benchmark)"}) + "\n")
    return out


def bench_naive(model_dir: Path, texts: list[str], max_tokens: int, threads: int) -> dict:
    import torch
    from transformers import pipeline

    torch.set_num_threads(threads)
    pipe = pipeline("text-classification", model=str(model_dir), device=-1)
    pipe(texts[0], truncation=True, max_length=max_tokens)  # warm-up
    started = time.perf_counter()
    for text in texts:
        pipe(text, truncation=True, max_length=max_tokens)
    seconds = time.perf_counter() - started
    return {
        "items": len(texts),
        "seconds": round(seconds, 2),
        "items_per_s": round(len(texts) / seconds, 2),
    }


def bench_ours(
    model_dir: Path,
    texts: list[str],
    *,
    quantize: bool,
    max_tokens: int,
    batch_size: int,
    threads: int,
) -> tuple[dict, list]:
    from sentiment.analyzers import FinbertAnalyzer

    analyzer = FinbertAnalyzer(
        str(model_dir),
        max_tokens=max_tokens,
        batch_size=batch_size,
        quantize=quantize,
        threads=threads,
    )
    analyzer.score(texts[:batch_size])  # warm-up
    analyzer.tokens_real = analyzer.tokens_padded = 0
    started = time.perf_counter()
    results = analyzer.score(texts)
    seconds = time.perf_counter() - started
    return (
        {
            "items": len(texts),
            "seconds": round(seconds, 2),
            "items_per_s": round(len(texts) / seconds, 2),
            "tokens_real": analyzer.tokens_real,
            "tokens_padded": analyzer.tokens_padded,
            "padding_share": round(1 - analyzer.tokens_real / analyzer.tokens_padded, 4),
            "tokens_per_s": round(analyzer.tokens_real / seconds, 1),
            "threads": analyzer.threads,
        },
        results,
    )


def bench_ceiling(model_dir: Path, *, quantize: bool, threads: int, repeats: int = 6) -> dict:
    import torch

    from sentiment.analyzers import FinbertAnalyzer

    analyzer = FinbertAnalyzer(str(model_dir), quantize=quantize, threads=threads)
    ids = torch.randint(1000, VOCAB_SIZE, (32, 128))
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        analyzer.model(input_ids=ids, attention_mask=mask)  # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            analyzer.model(input_ids=ids, attention_mask=mask)
        seconds = time.perf_counter() - started
    return {
        "tokens_per_s": round(32 * 128 * repeats / seconds, 1),
        "seconds": round(seconds, 2),
    }


def bench_process_rss(model_dir: Path, texts: list[str], workdir: Path, *, quantize: bool, threads: int) -> dict:
    """The whole analyze_sentiment process under /usr/bin/time -v, on a fresh SQLite DB."""
    db = workdir / f"bench-{'int8' if quantize else 'fp32'}.sqlite3"
    env = dict(
        os.environ,
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY="benchmark-only",
        MARKETPULSE_IGNORE_DOTENV="1",
        DATABASE_URL=f"sqlite:///{db}",
        SENTIMENT_MODEL=str(model_dir),
        SENTIMENT_BACKEND="finbert",
        SENTIMENT_QUANTIZE="true" if quantize else "false",
        SENTIMENT_MAX_TOKENS="256",
        SENTIMENT_BATCH_SIZE="32",
        HF_HUB_OFFLINE="1",
        LOG_LEVEL="WARNING",
    )
    env["SENTIMENT_THREADS"] = str(threads)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    loader = (
        "import json,sys\n"
        "from datetime import datetime, timedelta, timezone\n"
        "from articles.models import Article\n"
        "texts = json.load(open(sys.argv[1]))\n"
        "t0 = datetime(2026, 11, 27, tzinfo=timezone.utc)\n"
        "Article.objects.bulk_create([Article(kind='comment', reddit_id=f't1_b{i:x}', subreddit='wallstreetbets',"
        " body=t, author=f'u{i % 97}', created_utc=t0 + timedelta(seconds=i)) for i, t in enumerate(texts)],"
        " batch_size=500)\n"
    )
    texts_file = workdir / "texts.json"
    texts_file.write_text(json.dumps(texts))
    script = workdir / "load.py"
    script.write_text(
        f"import os, sys, django\nsys.path.insert(0, {str(ROOT)!r})\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'marketpulse.settings')\n"
        "django.setup()\n" + loader
    )
    subprocess.run([sys.executable, str(script), str(texts_file)], env=env, cwd=ROOT, check=True)
    done = subprocess.run(
        ["/usr/bin/time", "-v", *manage, "analyze_sentiment"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"analyze_sentiment failed:\n{done.stdout}\n{done.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr).group(1)
    summary = next((line for line in done.stdout.splitlines() if "scored" in line), "")
    return {
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "wall": wall,
        "summary": summary.strip(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="Generated comments (default 2000).")
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=500,
        help="Texts scored the naive way (default 500).",
    )
    parser.add_argument("--seed", type=int, default=2026, help="Seed for texts and weights.")
    parser.add_argument("--max-tokens", type=int, default=256, help="Token cap (SENTIMENT_MAX_TOKENS).")
    parser.add_argument("--batch-size", type=int, default=32, help="Model batch (SENTIMENT_BATCH_SIZE).")
    parser.add_argument(
        "--skip-process",
        action="store_true",
        help="Skip the /usr/bin/time -v process runs.",
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="Also write the figures as JSON here.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads for every measurement (default 0: the CPUs this process really has).",
    )
    parser.add_argument(
        "--process-limit",
        type=int,
        default=2000,
        help="Comments the /usr/bin/time -v analyze_sentiment runs score (default 2000).",
    )
    args = parser.parse_args()
    from sentiment.analyzers import effective_cpu_count

    threads = args.threads or effective_cpu_count()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = generate_comments(args.n, seed=args.seed)
    words = sorted(len(t.split()) for t in texts)
    report: dict = {
        "machine": {
            "cpus_affinity": len(os.sched_getaffinity(0)),
            "loadavg_start": os.getloadavg(),
            "torch_threads": threads,
        },
        "texts": {
            "n": len(texts),
            "median_words": words[len(words) // 2],
            "mean_words": round(sum(words) / len(words), 1),
        },
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-sentiment-"))
    try:
        t0 = time.perf_counter()
        model_dir = build_model(workdir / "model", seed=args.seed)
        print(
            f"model built in {time.perf_counter() - t0:.1f} s at {model_dir}",
            flush=True,
        )

        report["naive"] = bench_naive(model_dir, texts[: args.naive_limit], args.max_tokens, threads)
        print("naive", report["naive"], flush=True)
        report["ours_fp32"], fp32 = bench_ours(
            model_dir,
            texts,
            quantize=False,
            max_tokens=args.max_tokens,
            batch_size=args.batch_size,
            threads=threads,
        )
        print("ours fp32", report["ours_fp32"], flush=True)
        report["ours_int8"], int8 = bench_ours(
            model_dir,
            texts,
            quantize=True,
            max_tokens=args.max_tokens,
            batch_size=args.batch_size,
            threads=threads,
        )
        print("ours int8", report["ours_int8"], flush=True)
        agree = sum(1 for a, b in zip(fp32, int8, strict=False) if a[0] == b[0]) / len(fp32)
        margin = sorted(abs(a[1] - b[1]) for a, b in zip(fp32, int8, strict=False))
        report["int8_vs_fp32"] = {
            "label_agreement": round(agree, 4),
            "median_abs_score_diff": round(margin[len(margin) // 2], 5),
            "caveat": "random weights: near-uniform probabilities, so labels flip on tiny differences; "
            "the decisive check is download_model's on the real FinBERT",
        }
        print("int8 vs fp32", report["int8_vs_fp32"], flush=True)
        report["ceiling_fp32"] = bench_ceiling(model_dir, quantize=False, threads=threads)
        report["ceiling_int8"] = bench_ceiling(model_dir, quantize=True, threads=threads)
        print("ceiling", report["ceiling_fp32"], report["ceiling_int8"], flush=True)
        report["speedup_fp32_vs_naive"] = round(report["ours_fp32"]["items_per_s"] / report["naive"]["items_per_s"], 2)
        report["speedup_int8_vs_naive"] = round(report["ours_int8"]["items_per_s"] / report["naive"]["items_per_s"], 2)
        report["fp32_share_of_ceiling"] = round(
            report["ours_fp32"]["tokens_per_s"] / report["ceiling_fp32"]["tokens_per_s"],
            3,
        )
        report["int8_share_of_ceiling"] = round(
            report["ours_int8"]["tokens_per_s"] / report["ceiling_int8"]["tokens_per_s"],
            3,
        )
        if not args.skip_process and not Path("/usr/bin/time").exists():
            report["process"] = "NOT RUN: /usr/bin/time is missing (Debian: apt-get install time)"
            print(report["process"], flush=True)
        elif not args.skip_process:
            report["process_fp32"] = bench_process_rss(
                model_dir, texts[: args.process_limit], workdir, quantize=False, threads=threads
            )
            print("process fp32", report["process_fp32"], flush=True)
            report["process_int8"] = bench_process_rss(
                model_dir, texts[: args.process_limit], workdir, quantize=True, threads=threads
            )
            print("process int8", report["process_int8"], flush=True)
        report["machine"]["loadavg_end"] = os.getloadavg()
        report["total_seconds"] = round(time.perf_counter() - t0, 1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
