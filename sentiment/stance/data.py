"""The labelled data train_stance learns from, by source (`mentions`, `articles`, each import), one example per text.

When sources share a text, a reviewer's mention label wins over an article label, which wins
over an import; examples are ordered by hash, so the same data gives the same model.
Design: docs/design/stance.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from articles.models import LABEL_TO_STANCE, Article, Mention
from sentiment.models import StanceExample, text_hash
from sentiment.stance.cues import mention_clauses
from sentiment.stance.labels import RESERVED_SOURCES
from sentiment.text import scoring_text

SOURCE_MENTIONS, SOURCE_ARTICLES = RESERVED_SOURCES
SOURCE_PRIORITY = (SOURCE_MENTIONS, SOURCE_ARTICLES)  # then the imports


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    hash: str


def stance_sources() -> dict[str, int]:
    """Every source train_stance can read, with its number of labelled rows (before de-duplication)."""
    out = {
        SOURCE_MENTIONS: Mention.objects.exclude(reviewed_stance="").count(),
        SOURCE_ARTICLES: Article.objects.exclude(reviewed_label="").count(),
    }
    for source, n in StanceExample.objects.order_by().values_list("source").annotate(n=Count("id")):
        out[source] = n
    return out


def _mention_examples() -> list[Example]:
    reviewed = list(
        Mention.objects.exclude(reviewed_stance="")
        .order_by("pk")
        .values_list("article_id", "ticker__symbol", "reviewed_stance")
    )
    out = []
    article_ids = sorted({a for a, _, _ in reviewed})
    for i in range(0, len(article_ids), 2000):
        chunk = article_ids[i : i + 2000]
        symbols: dict[int, list[str]] = defaultdict(list)
        for article_id, symbol in Mention.objects.filter(article_id__in=chunk).values_list(
            "article_id", "ticker__symbol"
        ):
            symbols[article_id].append(symbol)
        texts = {
            pk: scoring_text(kind=kind, title=title, body=body)
            for pk, kind, title, body in Article.objects.filter(pk__in=chunk).values_list("pk", "kind", "title", "body")
        }
        wanted = set(chunk)
        for article_id, symbol, stance in reviewed:
            if article_id not in wanted or not texts.get(article_id):
                continue
            # The part of the article about this ticker, as the per-mention scorer reads it.
            clause = mention_clauses(texts[article_id], symbols[article_id]).get(symbol.upper(), texts[article_id])
            label = _stance_label(stance)
            if clause and label:
                out.append(Example(clause, label, SOURCE_MENTIONS, text_hash(clause)))
    return out


def _stance_label(raw: str) -> str | None:
    from sentiment.stance.labels import label_normalise

    return label_normalise(LABEL_TO_STANCE.get(raw, raw))


def _article_examples() -> list[Example]:
    out = []
    rows = (
        Article.objects.exclude(reviewed_label="")
        .filter(is_removed=False)
        .order_by("pk")
        .values_list("reviewed_label", "kind", "title", "body")
    )
    for reviewed, kind, title, body in rows.iterator(chunk_size=2000):
        text = scoring_text(kind=kind, title=title, body=body)
        if text:
            out.append(Example(text, LABEL_TO_STANCE[reviewed], SOURCE_ARTICLES, text_hash(text)))
    return out


def _imported_examples(sources: set[str] | None) -> list[Example]:
    qs = StanceExample.objects.order_by("pk")
    if sources is not None:
        qs = qs.filter(source__in=sorted(sources))
    return [
        Example(text, label, source, digest)
        for text, label, source, digest in qs.values_list("text", "label", "source", "text_hash").iterator(
            chunk_size=5000
        )
    ]


def stance_training_data(*, sources: Sequence[str] | None = None) -> list[Example]:
    """The labelled examples of `sources` (all when None), one per text, ordered by text hash."""
    wanted = set(sources) if sources else None
    batches: list[list[Example]] = []
    if wanted is None or SOURCE_MENTIONS in wanted:
        batches.append(_mention_examples())
    if wanted is None or SOURCE_ARTICLES in wanted:
        batches.append(_article_examples())
    imports = None if wanted is None else wanted - set(RESERVED_SOURCES)
    if imports is None or imports:
        batches.append(_imported_examples(imports))
    chosen: dict[str, Example] = {}
    for batch in batches:  # in priority order: the first source to have a text keeps it
        for ex in batch:
            chosen.setdefault(ex.hash, ex)
    return [chosen[h] for h in sorted(chosen)]


def data_hash(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.hash):
        digest.update(f"{ex.hash}\t{ex.label}\n".encode())
    return digest.hexdigest()
