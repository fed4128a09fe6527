"""Admin pages beyond the model admin: the "Needs review" queue and the model-quality page.

Both are registered by `ArticleAdmin.get_urls` and wrapped in `admin_site.admin_view`
(login, staff, CSRF). The queue works without JavaScript (one form, one button per
label and a "next" button); `static/admin-review/queue.js` adds the keys: 1 positive,
2 negative, 3 neutral, j next (skip).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from articles import quality, review
from articles.models import LABEL_VALUES, Article, Ticker

QUEUE_UPCOMING = 20
KEYS = {"positive": "1", "negative": "2", "neutral": "3"}
NEXT_KEY = "j"


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
        return TemplateResponse(request, "admin/articles/article/review_queue.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        offset = self._offset(request.POST.get("offset"))
        if "skip" in request.POST:
            return HttpResponseRedirect(self._url(offset + 1))
        label = request.POST.get("label", "")
        try:
            article_id = int(request.POST.get("article_id", ""))
        except ValueError:
            article_id = None
        if label not in LABEL_VALUES or article_id is None:
            messages.error(request, "Nothing reviewed: pick one of the label buttons.")
            return HttpResponseRedirect(self._url(offset))
        article = Article.objects.filter(pk=article_id).only("pk", "reddit_id", "reviewed_label").first()
        if article is None:
            messages.error(request, "That article no longer exists.")
            return HttpResponseRedirect(self._url(offset))
        if article.reviewed_label:
            messages.warning(
                request, f"{article.reddit_id} was already reviewed ({article.reviewed_label}); left as is."
            )
            return HttpResponseRedirect(self._url(offset))
        if not review.review_mark(article_ids=[article.pk], label=label, reviewer=request.user, only_unreviewed=True):
            messages.warning(request, f"{article.reddit_id} was reviewed by someone else just now; left as is.")
            return HttpResponseRedirect(self._url(offset))
        messages.success(request, f"{article.reddit_id}: {label}.")
        # The reviewed article left the queue, so the same offset is the next one.
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
