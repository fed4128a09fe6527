"""Fixtures for the sentiment tests: a tiny BERT classifier built here, never downloaded.

The model has FinBERT's labels ({0: positive, 1: negative, 2: neutral}), a small
WordPiece vocabulary written by the fixture, a BertTokenizerFast built from it, and
is saved with `save_pretrained`, so the real loading and scoring code runs on it.
"""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sentiment.samples import vocabulary

ROOT_DIR = Path(__file__).resolve().parents[2]
FINBERT_ID2LABEL = {0: "positive", 1: "negative", 2: "neutral"}
MAX_POSITIONS = 512

_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789") + list(".,!?$'-:;()%&*/")
_WORDS = [
    "stock",
    "good",
    "bad",
    "great",
    "terrible",
    "moon",
    "crash",
    "calls",
    "puts",
    "buy",
    "sell",
    "hold",
]


def write_vocab(path: Path) -> Path:
    words = list(dict.fromkeys(_SPECIAL + _CHARS + ["##" + c for c in _CHARS[:36]] + _WORDS + vocabulary()))
    path.write_text("\n".join(words) + "\n")
    return path


def build_model(
    out: Path,
    *,
    id2label: dict[int, str] = FINBERT_ID2LABEL,
    favour: int | None = None,
    seed: int = 1234,
) -> Path:
    """Save a tiny BertForSequenceClassification + tokenizer to `out`.

    favour=i zeroes the classifier weights and puts a large bias on output i, so
    the model answers id2label[i] for every text (to test the label mapping).
    """
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertTokenizerFast,
    )

    out.mkdir(parents=True, exist_ok=True)
    vocab_file = write_vocab(out / "vocab-source.txt")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=MAX_POSITIONS,
        num_labels=3,
        id2label=dict(id2label),
        label2id={v: k for k, v in id2label.items()},
    )
    model = BertForSequenceClassification(config)
    if favour is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.zero_()
            model.classifier.bias[favour] = 4.0
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "vocab-source.txt").unlink()
    return out


@pytest.fixture(scope="session")
def model_factory(tmp_path_factory):
    """Build (once per session per variant) a tiny model directory."""
    cache: dict[tuple, Path] = {}

    def make(*, id2label=FINBERT_ID2LABEL, favour=None, seed=1234) -> Path:
        key = (tuple(sorted(id2label.items())), favour, seed)
        if key not in cache:
            cache[key] = build_model(
                tmp_path_factory.mktemp("tiny-model"),
                id2label=id2label,
                favour=favour,
                seed=seed,
            )
        return cache[key]

    return make


@pytest.fixture(scope="session")
def tiny_model_dir(model_factory) -> Path:
    return model_factory()


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path) -> Path:
    """A private copy of the tiny model this test may break."""
    dest = tmp_path / "model-copy"
    shutil.copytree(tiny_model_dir, dest)
    return dest


_ids = itertools.count(1)

BASE_TIME = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)

SAMPLE_BODIES = [
    "TSLA to the moon 🚀🚀 buying calls, great earnings",
    "This is terrible, GME is going to crash. Sell everything",
    "What time does the market open tomorrow?",
    "&gt; quoted parent\n\nI think **AMD** is *undervalued* [DD here](https://example.com/dd) &amp; cheap",
    "🚀🚀🚀💎🙌",
    "",
]


def make_articles(
    n: int,
    *,
    kind: str = "comment",
    prefix: str | None = None,
    ticker=None,
    first_seen_at=None,
    **extra,
):
    """Bulk-create n unscored articles (and a mention each when `ticker` is given)."""
    from articles.models import Article, Mention

    objs = []
    for i in range(n):
        uid = next(_ids)
        rid = f"{prefix or ('t1_' if kind == 'comment' else 't3_')}{uid:x}"
        created = BASE_TIME + timedelta(minutes=i % 600)
        fields = {
            "kind": kind,
            "reddit_id": rid,
            "subreddit": "wallstreetbets",
            "parent_post_id": "t3_parent" if kind == "comment" else "",
            "title": f"Post {uid} about the market" if kind == "post" else "",
            "body": SAMPLE_BODIES[i % len(SAMPLE_BODIES)] + f" #{uid}",
            "author": f"user{uid % 50}",
            "created_utc": created,
        }
        fields.update(extra)
        objs.append(Article(**fields))
    created_objs = Article.objects.bulk_create(objs, batch_size=1000)
    if first_seen_at is not None:
        Article.objects.filter(pk__in=[a.pk for a in created_objs]).update(first_seen_at=first_seen_at)
    if ticker is not None:
        Mention.objects.bulk_create(
            [
                Mention(
                    article=a,
                    ticker=ticker,
                    matched_text=ticker.symbol,
                    created_utc=a.created_utc,
                )
                for a in created_objs
            ],
            batch_size=1000,
        )
    return created_objs


@pytest.fixture
def ticker(db):
    from articles.models import Ticker

    return Ticker.objects.get_or_create(symbol="TSLA", defaults={"name": "Tesla"})[0]


@pytest.fixture
def finbert_settings(settings, tiny_model_dir):
    settings.SENTIMENT_MODEL = str(tiny_model_dir)
    settings.SENTIMENT_BACKEND = "finbert"
    settings.SENTIMENT_QUANTIZE = False
    settings.SENTIMENT_BATCH_SIZE = 8
    settings.SENTIMENT_MAX_TOKENS = 64
    # One torch thread: a tiny model gains nothing from two, and on a busy machine
    # (CI, parallel suites) two spinning OpenMP threads are many times slower.
    settings.SENTIMENT_THREADS = 1
    return settings
