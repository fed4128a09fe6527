"""How good is the model? Its labels compared with reviewers' labels.

Only articles that have both a model label and a reviewer's label count. The
reviewer's label is the truth. One grouped query fetches the counts per
(model, month, model label, reviewed label); everything else is arithmetic here.

For a group of n reviewed articles:
- accuracy = (model label == reviewed label) / n
- precision(c) = reviewed c among those the model called c / model called c
- recall(c) = model called c among those reviewed c / reviewed c
- confusion[true][predicted] = count (rows: reviewer, columns: model)

A figure with nothing behind it (e.g. precision of a class the model never
predicted) is None, shown as "—", never 0. "Month" is the month the article was
written on Reddit (so drift in what people write shows up), in UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from articles.models import LABEL_VALUES, Article
from marketpulse.spreadsheet import cell_protect


@dataclass
class ClassFigures:
    label: str
    support: int  # reviewed as this class (recall's denominator)
    predicted: int  # model said this class (precision's denominator)
    correct: int
    precision: float | None
    recall: float | None


@dataclass
class Figures:
    n: int = 0
    correct: int = 0
    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {t: dict.fromkeys(LABEL_VALUES, 0) for t in LABEL_VALUES}
    )

    def add(self, *, truth: str, predicted: str, count: int) -> None:
        self.n += count
        self.confusion[truth][predicted] += count
        if truth == predicted:
            self.correct += count

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def classes(self) -> list[ClassFigures]:
        out = []
        for c in LABEL_VALUES:
            support = sum(self.confusion[c].values())
            predicted = sum(self.confusion[t][c] for t in LABEL_VALUES)
            correct = self.confusion[c][c]
            out.append(
                ClassFigures(
                    label=c,
                    support=support,
                    predicted=predicted,
                    correct=correct,
                    precision=correct / predicted if predicted else None,
                    recall=correct / support if support else None,
                )
            )
        return out

    @property
    def matrix_rows(self) -> list[tuple[str, list[int]]]:
        return [(t, [self.confusion[t][p] for p in LABEL_VALUES]) for t in LABEL_VALUES]


@dataclass
class QualityReport:
    overall: Figures
    by_model: dict[str, Figures]
    by_month: dict[date, Figures]
    by_model_month: dict[tuple[str, date], Figures]
    labels: list[str] = field(default_factory=lambda: list(LABEL_VALUES))


def reviewed_articles(queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    qs = Article.objects.all() if queryset is None else queryset
    return qs.exclude(reviewed_label="").exclude(sentiment_label="")


def _month(value: datetime | date) -> date:
    return date(value.year, value.month, 1)


def quality_report(*, queryset: QuerySet[Article] | None = None) -> QualityReport:
    """Accuracy, per-class precision/recall and confusion matrices: overall, by model, by month."""
    rows: Iterable[dict] = (
        reviewed_articles(queryset)
        .annotate(month=TruncMonth("created_utc"))
        .values("sentiment_model", "month", "sentiment_label", "reviewed_label")
        .annotate(n=Count("id"))
        .order_by()
    )
    overall = Figures()
    by_model: dict[str, Figures] = defaultdict(Figures)
    by_month: dict[date, Figures] = defaultdict(Figures)
    by_model_month: dict[tuple[str, date], Figures] = defaultdict(Figures)
    for row in rows:
        model = row["sentiment_model"] or "(unknown)"
        month = _month(row["month"])
        kwargs = {"truth": row["reviewed_label"], "predicted": row["sentiment_label"], "count": row["n"]}
        overall.add(**kwargs)
        by_model[model].add(**kwargs)
        by_month[month].add(**kwargs)
        by_model_month[(model, month)].add(**kwargs)
    return QualityReport(
        overall=overall,
        by_model=dict(sorted(by_model.items())),
        by_month=dict(sorted(by_month.items(), reverse=True)),
        by_model_month=dict(sorted(by_model_month.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=False)),
    )


# --- Export ----------------------------------------------------------------------------------

EXPORT_FIELDS = [
    "reddit_id",
    "kind",
    "subreddit",
    "created_utc",
    "text",
    "tickers",
    "reviewed_label",
    "model_label",
    "model_confidence",
    "model",
    "vader_label",
    "reviewed_at",
    "reviewer",
]


def reviews_export_rows(*, chunk_size: int = 1000) -> Iterable[dict]:
    """Every reviewed article as a flat dict (EXPORT_FIELDS), oldest review first.

    Streams with a server-side cursor where the database has one; tickers come in
    one extra query per chunk.
    """
    qs = (
        Article.objects.exclude(reviewed_label="")
        .select_related("reviewed_by")
        .prefetch_related("tickers")
        .order_by("reviewed_at", "pk")
    )
    for a in qs.iterator(chunk_size=chunk_size):
        yield {
            "reddit_id": a.reddit_id,
            "kind": a.kind,
            "subreddit": a.subreddit,
            "created_utc": a.created_utc.isoformat(),
            "text": a.text,
            "tickers": sorted(t.symbol for t in a.tickers.all()),
            "reviewed_label": a.reviewed_label,
            "model_label": a.sentiment_label,
            "model_confidence": a.sentiment_confidence,
            "model": a.sentiment_model,
            "vader_label": a.vader_label,
            "reviewed_at": a.reviewed_at.isoformat() if a.reviewed_at else None,
            "reviewer": a.reviewed_by.get_username() if a.reviewed_by else None,
        }


def reviews_export(*, fmt: str, stream) -> int:
    """Write the reviewed set to a text stream as csv or jsonl; return the row count.

    CSV cells that a spreadsheet would run as a formula are quoted (`cell_protect`).
    """
    import csv
    import json

    if fmt not in {"csv", "jsonl"}:
        raise ValueError(f"format must be csv or jsonl, not {fmt!r}")
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in reviews_export_rows():
            row = {**row, "tickers": " ".join(row["tickers"])}
            writer.writerow({k: "" if v is None else cell_protect(v) for k, v in row.items()})
            count += 1
    else:
        for row in reviews_export_rows():
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
