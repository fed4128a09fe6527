"""{% stance_versions %}: the trained stance versions side by side (metrics per version, promoted marked).

Reads `StanceModelVersion` only (one or two queries); used by the model-quality page and
the versions' changelist in the admin.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from sentiment.models import STANCE_LABEL_VALUES, StanceModelVersion

register = template.Library()


def _f(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _column(v: StanceModelVersion) -> dict[str, Any]:
    m = v.metrics or {}
    pc = m.get("per_class") or {}
    counts = v.data_counts or {}
    held = counts.get("held_out") or {}
    train = counts.get("train") or {}
    sources = counts.get("by_source") or {}
    return {
        "version": v.version,
        "promoted": v.promoted,
        "cells": {
            "kind": v.kind,
            "trained": v.created_at.strftime("%Y-%m-%d %H:%M UTC") if v.created_at else "—",
            "examples": f"{counts.get('total', 0)} ({train.get('total', 0)} train / {held.get('total', 0)} held out)",
            "sources": ", ".join(f"{s} {sum(c.values())}" for s, c in sources.items()) or "—",
            "macro_recall": _f(m.get("macro_recall")),
            "directional": _f(m.get("directional_macro_recall")),
            "accuracy": _f(m.get("accuracy")),
            **{
                f"pr_{label}": (
                    f"{_f(pc[label]['precision'], 2)} / {_f(pc[label]['recall'], 2)}" if label in pc else "—"
                )
                for label in STANCE_LABEL_VALUES
            },
            "baseline": f"{_f((v.baseline_metrics or {}).get('macro_recall'))} {v.baseline_name}".strip(),
            "decision": v.decision or "—",
            "git": v.git_sha[:10] or "—",
        },
    }


ROWS = [
    ("kind", "kind"),
    ("trained", "trained"),
    ("examples", "examples"),
    ("sources", "examples per source"),
    ("macro_recall", "macro recall (held out)"),
    ("directional", "directional recall (bullish, bearish)"),
    ("accuracy", "accuracy"),
    *[(f"pr_{label}", f"{label} precision / recall") for label in STANCE_LABEL_VALUES],
    ("baseline", "current scorer then, same examples"),
    ("decision", "promotion"),
    ("git", "git"),
]


@register.inclusion_tag("admin/sentiment/_stance_versions.html")
def stance_versions(limit: int = 6) -> dict[str, Any]:
    versions = list(StanceModelVersion.objects.order_by("-created_at", "-id")[:limit])
    if len(versions) == limit and not any(v.promoted for v in versions):
        promoted = StanceModelVersion.objects.filter(promoted=True).first()
        if promoted is not None:
            versions.append(promoted)  # the live one is always shown
    columns = [_column(v) for v in versions]
    try:
        changelist = reverse("admin:sentiment_stancemodelversion_changelist")
    except NoReverseMatch:
        changelist = ""
    return {
        "columns": columns,
        "rows": [(key, title, [c["cells"][key] for c in columns]) for key, title in ROWS],
        "changelist_url": changelist,
        "total": StanceModelVersion.objects.count() if len(versions) >= limit else len(versions),
    }
