"""Per-mention stance: what an article says about EACH ticker it mentions (`mention_stances_write`).

Written in the same transaction as the article's scores: the promoted stance model on the
ticker's clauses, else cues combined with the article's model score. Design: docs/design/stance.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection

from articles.models import Article, Mention
from sentiment.analyzers import VADER_NAME
from sentiment.stance.cues import STANCE_LABELS, cue_score, mention_clauses, mention_stance
from sentiment.stance.store import promoted_scorer
from sentiment.text import scoring_text

STANCE_FIELDS = ["stance", "stance_score", "stance_model", "stance_cues"]
_READ_CHUNK = 500  # article ids per IN (...) (SQLite caps bound parameters)
_WRITE_BATCH = 500  # mentions per UPDATE (5 parameters each)
_MODEL_NAME_MAX = 200


def stance_model_name(model_name: str) -> str:
    """What `stance_model` records for the cue rule over the article model `model_name`."""
    name = "cues+vader" if model_name == VADER_NAME else f"cues+finbert:{model_name}"
    return name[:_MODEL_NAME_MAX]


def mention_stances_write(*, articles: Sequence[Article], article_ids: Iterable[int], model_name: str) -> int:
    """Score and write the stance of every mention of `articles` whose id is in `article_ids`.

    `articles` carry their text fields and the `sentiment_score` just computed; call it
    inside the transaction that writes them. Returns the number of mentions written.
    """
    wanted = set(article_ids)
    by_id = {a.pk: a for a in articles if a.pk in wanted}
    if not by_id:
        return 0
    symbols: dict[int, list[tuple[int, str]]] = defaultdict(list)
    ids = sorted(by_id)
    for start in range(0, len(ids), _READ_CHUNK):
        rows = Mention.objects.filter(article_id__in=ids[start : start + _READ_CHUNK]).values_list(
            "id", "article_id", "ticker__symbol"
        )
        for mention_id, article_id, symbol in rows:
            symbols[article_id].append((mention_id, symbol))
    if not symbols:
        return 0
    scorer = promoted_scorer()
    updates = (
        _score_with_model(by_id, symbols, scorer)
        if scorer is not None
        else _score_with_cues(by_id, symbols, model_name)
    )
    _update_stances(updates)
    return len(updates)


# (mention id, stance, stance_score, stance_model, stance_cues): plain tuples, as building
# a Mention per row costs a model __init__ each.
StanceRow = tuple[int, str, float, str, list]


def _update_stances(updates: list[StanceRow]) -> None:
    """`Mention.objects.bulk_update(updates, STANCE_FIELDS)`, as one `UPDATE ... FROM (VALUES ...)` per 500 rows.

    Why not bulk_update: it builds a CASE WHEN per row per field and resolves each as an
    ORM expression; for 2,000 mentions that Python alone cost more than VADER scoring
    the whole chunk (benchmarks/bench_stance_cost.py, BENCHMARKS.md "Stance"). This is
    the same statement with the values as one bound table: PostgreSQL and SQLite >= 3.33.
    """
    if not updates:
        return
    meta = Mention._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    pk = qn(meta.pk.column)
    columns = [qn(meta.get_field(name).column) for name in STANCE_FIELDS]
    if connection.vendor == "postgresql":
        row = "(%s::bigint, %s::varchar, %s::double precision, %s::varchar, %s::jsonb)"
    else:
        row = "(%s, %s, %s, %s, %s)"
    assignments = ", ".join(f"{col} = v.c{i}" for i, col in enumerate(columns))
    names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
    with connection.cursor() as cursor:
        for start in range(0, len(updates), _WRITE_BATCH):
            batch = updates[start : start + _WRITE_BATCH]
            params: list = []
            for mention_id, stance, score, model, cues in batch:
                params.extend((mention_id, stance, score, model, json.dumps(cues)))
            values = ", ".join([row] * len(batch))
            cursor.execute(
                f"WITH v({names}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id",
                params,
            )


def _text(article: Article) -> str:
    return scoring_text(kind=article.kind, title=article.title, body=article.body)


def _score_with_cues(
    by_id: dict[int, Article], symbols: dict[int, list[tuple[int, str]]], model_name: str
) -> list[StanceRow]:
    name = stance_model_name(model_name)
    updates = []
    for article_id, mentions in symbols.items():
        article = by_id[article_id]
        stances = mention_stance(_text(article), [s for _, s in mentions], article.sentiment_score or 0.0, model_name)
        for mention_id, symbol in mentions:
            st = stances[symbol.upper()]
            updates.append((mention_id, st.label, st.score, name, [[cue, weight] for cue, weight in st.cues]))
    return updates


def _score_with_model(by_id: dict[int, Article], symbols: dict[int, list[tuple[int, str]]], scorer) -> list[StanceRow]:
    name = str(scorer.name)[:_MODEL_NAME_MAX]
    keys: list[int] = []
    clauses: list[str] = []
    for article_id, mentions in symbols.items():
        parts = mention_clauses(_text(by_id[article_id]), [s for _, s in mentions])
        for mention_id, symbol in mentions:
            keys.append(mention_id)
            clauses.append(parts[symbol.upper()])
    results = scorer.score(clauses)
    cues: dict[str, list[list]] = {}
    updates = []
    for mention_id, clause, (label, score, _confidence) in zip(keys, clauses, results, strict=True):
        if label not in STANCE_LABELS:
            raise ValueError(f"stance model {name!r} answered {label!r}, not one of {', '.join(STANCE_LABELS)}")
        if clause not in cues:
            cues[clause] = [[cue, weight] for cue, weight in cue_score(clause).hits]
        updates.append((mention_id, label, round(max(-1.0, min(1.0, float(score))), 6), name, cues[clause]))
    return updates
