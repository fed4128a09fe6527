"""Reads of the delivery log for the operator: the webhook URLs that keep failing (`daily_status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from articles.models import AlertDelivery

#: A row still pending after this many attempts is a URL that keeps failing.
FAILING_AFTER_ATTEMPTS = 3
#: Given-up rows younger than this are reported.
REPORT_DAYS = 7
_ROWS_READ = 1000  # bound the read; counts past it are a lower bound


@dataclass(frozen=True)
class FailingUrl:
    label: str  # scheme://host[:port], never the path
    url_hash: str
    gave_up: int
    retrying: int
    last_error: str


def alert_urls_failing(*, now: datetime | None = None) -> list[FailingUrl]:
    """Every URL with a given-up delivery in the last REPORT_DAYS days or a pending one at
    FAILING_AFTER_ATTEMPTS attempts or more, worst first. One query."""
    now = now or timezone.now()
    rows = (
        AlertDelivery.objects.filter(
            Q(state=AlertDelivery.State.FAILED, created_at__gte=now - timedelta(days=REPORT_DAYS))
            | Q(state=AlertDelivery.State.PENDING, attempts__gte=FAILING_AFTER_ATTEMPTS)
        )
        .order_by("-created_at")
        .values_list("url_hash", "url_label", "state", "last_error")[:_ROWS_READ]
    )
    found: dict[str, dict] = {}
    for digest, label, state, error in rows:
        entry = found.setdefault(digest, {"label": label, "gave_up": 0, "retrying": 0, "last_error": error})
        entry["gave_up" if state == AlertDelivery.State.FAILED else "retrying"] += 1
    failing = [FailingUrl(url_hash=digest, **entry) for digest, entry in found.items()]
    return sorted(failing, key=lambda f: (-f.gave_up, -f.retrying, f.label))
