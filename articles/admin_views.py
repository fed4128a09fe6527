"""Admin pages beyond the model admin: the "Needs review" queue and the model-quality page.

Both are registered by `ArticleAdmin.get_urls` behind `admin_site.admin_view`; the queue
works without JavaScript, `static/admin-review/queue.js` adds the keys. Its rows and
keys: docs/design/review.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views import View

from articles import quality, review
from articles.models import LABEL_TO_STANCE, LABEL_VALUES, STANCE_VALUES, Article, Mention, Ticker

QUEUE_UPCOMING = 20
KEYS = {"positive": "1", "negative": "2", "neutral": "3"}
STANCE_KEYS = {LABEL_TO_STANCE[label]: key for label, key in KEYS.items()}
NEXT_KEY = "j"


def article_snippet(article: Article, length: int = 70) -> str:
    if article.is_removed and not article.text:
        return "[removed]"
    return Truncator(" ".join(article.text.split())).chars(length) or "(no text)"


def article_name(article: Article) -> SafeString:
    """An article in a message: its title (else its text), isolated (<bdi>), then its Reddit id as stored.

    A message never starts with the id: the admin capitalises a message's first letter
    (`capfirst`), which turned t3_101h2br into "T3_101h2br".
    """
    title = Truncator(" ".join(article.title.split())).chars(60) if article.title else article_snippet(article, 60)
    return format_html("“<bdi>{}</bdi>” ({})", title, article.reddit_id)


def stance_text(mention: Mention) -> str:
    """ "bullish +0.62", "bearish (reviewed; model: bullish +0.40)", "—" when unscored."""
    model = (
        f"{mention.stance} {mention.stance_score:+.2f}" if mention.stance and mention.stance_score is not None else ""
    )
    if mention.reviewed_stance:
        return f"{mention.reviewed_stance} (reviewed; model: {model or '—'})"
    return model or "—"


def cues_text(mention: Mention) -> str:
    """The cues that fired for this ticker, strongest first: "calls +0.6, sold -0.5"."""
    cues = [c for c in (mention.stance_cues or []) if isinstance(c, list | tuple) and len(c) == 2]
    cues.sort(key=lambda c: -abs(float(c[1])) if isinstance(c[1], int | float) else 0.0)
    return ", ".join(f"{name} {float(weight):+.2f}" for name, weight in cues) or "—"


@dataclass
class ReviewRow:
    """One decision in the queue: a ticker's stance, the whole text's label, or both (one ticker)."""

    kind: str  # "ticker", "text" or "both"
    title: str
    model: str  # what the model said, for display
    reviewed: str  # '' or the reviewer's answer so far
    cues: str = ""
    buttons: list[tuple[str, str, str, str]] = field(default_factory=list)  # (name, value, caption, key)
    focus: bool = False


def review_rows(article: Article, mentions: list[Mention]) -> list[ReviewRow]:
    """The queue's rows for `article` (docs/design/review.md); the first unreviewed one is focused."""

    def label_buttons(stance_caption: bool) -> list[tuple[str, str, str, str]]:
        return [
            (
                "label",
                label,
                f"{LABEL_TO_STANCE[label].capitalize()} ({label})" if stance_caption else label.capitalize(),
                KEYS[label],
            )
            for label in LABEL_VALUES
        ]

    def model_stance(m: Mention) -> str:
        return f"{m.stance} {m.stance_score:+.2f} · {m.stance_model}" if m.stance else "not scored yet"

    rows: list[ReviewRow] = []
    if len(mentions) == 1:
        m = mentions[0]
        rows.append(
            ReviewRow(
                kind="both",
                title=f"{m.ticker.symbol} (the only ticker: the text's label is its stance)",
                model=model_stance(m),
                reviewed=m.reviewed_stance,
                cues=cues_text(m),
                buttons=label_buttons(stance_caption=True),
            )
        )
    else:
        for m in mentions:
            rows.append(
                ReviewRow(
                    kind="ticker",
                    title=m.ticker.symbol,
                    model=model_stance(m),
                    reviewed=m.reviewed_stance,
                    cues=cues_text(m),
                    buttons=[
                        ("mention_stance", f"{m.pk}:{stance}", stance.capitalize(), STANCE_KEYS[stance])
                        for stance in STANCE_VALUES
                    ],
                )
            )
        rows.append(
            ReviewRow(
                kind="text",
                title="The whole text" + (" (then the article leaves the queue)" if mentions else ""),
                model=f"{article.sentiment_label} · {article.sentiment_model}",
                reviewed=article.reviewed_label,
                buttons=label_buttons(stance_caption=False),
            )
        )
    focused = next((row for row in rows if not row.reviewed), rows[-1])
    focused.focus = True
    return rows


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def figures_display(figures: quality.Figures) -> dict[str, Any]:
    """Figures as strings for the template ("—" where there is nothing behind a figure)."""
    return {
        "n": figures.n,
        "correct": figures.correct,
        "accuracy": _pct(figures.accuracy),
        "classes": [
            {
                "label": c.label,
                "precision": _pct(c.precision),
                "recall": _pct(c.recall),
                "predicted": c.predicted,
                "support": c.support,
            }
            for c in figures.classes
        ],
        "matrix": [{"truth": t, "cells": cells, "total": sum(cells)} for t, cells in figures.matrix_rows],
        "column_totals": [sum(figures.confusion[t][p] for t in LABEL_VALUES) for p in LABEL_VALUES],
    }


class _AdminPage(View):
    model_admin = None
    permission = "view"
    title = ""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        allowed = {
            "view": self.model_admin.has_view_permission,
            "review": self.model_admin.has_review_permission,
        }[self.permission]
        if not allowed(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        opts = self.model_admin.model._meta
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "title": self.title,
            **extra,
        }


class ReviewQueueView(_AdminPage):
    permission = "review"
    title = "Needs review"

    def _offset(self, raw: str | None) -> int:
        try:
            return max(0, min(int(raw or 0), 1_000_000))
        except ValueError:
            return 0

    def _url(self, offset: int) -> str:
        url = reverse(f"{self.model_admin.admin_site.name}:articles_article_review_queue")
        return f"{url}?offset={offset}" if offset else url

    def get(self, request: HttpRequest) -> HttpResponse:
        offset = self._offset(request.GET.get("offset"))
        top_ids = review.top_ticker_ids()
        page = review.review_queue_page(
            offset=offset,
            size=1 + QUEUE_UPCOMING,
            top_ids=top_ids,
            prefetch=[Prefetch("tickers", queryset=Ticker.objects.only("id", "symbol").order_by("symbol"))],
        )
        current = page[0] if page else None
        context = self.context(
            request,
            current=current,
            upcoming=page[1:],
            offset=offset,
            next_offset=offset + 1,
            queue_left=len(page),
            labels=[(label, KEYS[label]) for label in LABEL_VALUES],
            stances=[(stance, STANCE_KEYS[stance]) for stance in STANCE_VALUES],
            next_key=NEXT_KEY,
            top_ids=set(top_ids),
            weights={
                "unsure": review.WEIGHT_UNSURE,
                "disagree": review.WEIGHT_DISAGREE,
                "upvotes": review.WEIGHT_UPVOTES,
                "top": review.WEIGHT_TOP_TICKER,
                "top_n": review.QUEUE_TOP_N,
                "days": review.QUEUE_DAYS,
                "upvotes_full": review.UPVOTES_FULL,
            },
        )
        if current is not None:
            context["reddit_url"] = current.reddit_url
            context["parts"] = review.review_value_parts(current, top_ids=top_ids)
            mentions = list(
                Mention.objects.filter(article=current).select_related("ticker").order_by("ticker__symbol", "pk")
            )
            context["rows"] = review_rows(current, mentions)
        return TemplateResponse(request, "admin/articles/article/review_queue.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        offset = self._offset(request.POST.get("offset"))
        if "skip" in request.POST:
            return HttpResponseRedirect(self._url(offset + 1))
        if "mention_stance" in request.POST:
            return self._post_stance(request, offset)
        label = request.POST.get("label", "")
        try:
            article_id = int(request.POST.get("article_id", ""))
        except ValueError:
            article_id = None
        if label not in LABEL_VALUES or article_id is None:
            messages.error(request, "Nothing reviewed: pick one of the label buttons.")
            return HttpResponseRedirect(self._url(offset))
        article = (
            Article.objects.filter(pk=article_id)
            .only("pk", "reddit_id", "reviewed_label", "kind", "title", "body", "is_removed")
            .first()
        )
        if article is None:
            messages.error(request, "That article no longer exists.")
            return HttpResponseRedirect(self._url(offset))
        if article.reviewed_label:
            messages.warning(
                request,
                format_html("Left as is: {} was already reviewed ({}).", article_name(article), article.reviewed_label),
            )
            return HttpResponseRedirect(self._url(offset))
        if not review.review_mark(article_ids=[article.pk], label=label, reviewer=request.user, only_unreviewed=True):
            messages.warning(
                request, format_html("Left as is: {} was reviewed by someone else just now.", article_name(article))
            )
            return HttpResponseRedirect(self._url(offset))
        messages.success(request, format_html("Reviewed the whole text: {}, {}.", label, article_name(article)))
        # The reviewed article left the queue, so the same offset is the next one.
        return HttpResponseRedirect(self._url(offset))

    def _post_stance(self, request: HttpRequest, offset: int) -> HttpResponse:
        """One ticker's stance; the article stays in the queue (same offset) for its other rows."""
        raw_id, _, stance = request.POST.get("mention_stance", "").partition(":")
        try:
            mention_id, article_id = int(raw_id), int(request.POST.get("article_id", ""))
        except ValueError:
            mention_id = article_id = None
        if stance not in STANCE_VALUES or mention_id is None:
            messages.error(request, "Nothing reviewed: pick one of the stance buttons.")
            return HttpResponseRedirect(self._url(offset))
        mention = (
            Mention.objects.filter(pk=mention_id, article_id=article_id)
            .select_related("ticker", "article")
            .only(
                "pk",
                "ticker__symbol",
                "article__reddit_id",
                "article__kind",
                "article__title",
                "article__body",
                "article__is_removed",
            )
            .first()
        )
        if mention is None:
            messages.error(request, "That ticker is no longer linked to this article.")
            return HttpResponseRedirect(self._url(offset))
        review.stance_mark(mention_ids=[mention.pk], stance=stance)
        messages.success(
            request,
            format_html("Reviewed {}: {}, in {}.", mention.ticker.symbol, stance, article_name(mention.article)),
        )
        return HttpResponseRedirect(self._url(offset))


class QualityView(_AdminPage):
    permission = "view"
    title = "Model quality: model labels vs reviewers' labels"

    def get(self, request: HttpRequest) -> HttpResponse:
        report = quality.quality_report()
        context = self.context(
            request,
            labels=report.labels,
            overall=figures_display(report.overall),
            by_model=[(name, figures_display(f)) for name, f in report.by_model.items()],
            by_month=[(month, figures_display(f)) for month, f in report.by_month.items()],
            by_model_month=[(name, month, figures_display(f)) for (name, month), f in report.by_model_month.items()],
        )
        return TemplateResponse(request, "admin/articles/article/quality.html", context)
