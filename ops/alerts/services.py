"""`alerts_deliver`: create one `AlertDelivery` per new surge and webhook URL, then send the due ones.

Exactly once per URL: a row is claimed by one conditional UPDATE (a claim older than
`claim_stale_after` is taken over) and marked sent only after a 2xx. See docs/design/alerts.md.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from articles.models import AlertDelivery, Surge
from ops.alerts.payload import SIGNATURE_HEADER, alert_body, signature
from ops.alerts.transport import RefusedUrl, post, url_check, url_hash, url_label

logger = logging.getLogger("ops.alerts")

#: A surge first recorded longer ago than this gets no new deliveries (a replay over history
#: records old events: they are backtests, not news).
FRESH_FOR = timedelta(hours=6)
#: Attempts per surge and URL before the row is given up (state failed).
MAX_ATTEMPTS = 8
#: The wait after the first failure; doubled after each next one, at most BACKOFF_MAX.
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
DELIVERY_HEADER = "X-MarketPulse-Delivery"


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 5, 10, 20 ... min, at most 6 h."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def claim_stale_after(timeout: float) -> timedelta:
    """A claim older than one send's worst case (connect + read timeouts, plus a second) is dead."""
    return timedelta(seconds=2 * timeout + 1)


@dataclass
class DeliveryCounts:
    created: int = 0  # new (surge, URL) rows
    sent: int = 0
    failed: int = 0  # attempts that failed this run (retried later)
    gave_up: int = 0  # rows that reached MAX_ATTEMPTS this run
    busy: int = 0  # due rows another sender holds a live claim on
    deferred: int = 0  # due rows left for the next run, their URL having failed this run
    refused_urls: int = 0  # configured URLs that are not http(s): never sent to
    failing_urls: list[str] = field(default_factory=list)  # labels of the URLs that failed this run

    def as_dict(self) -> dict:
        return asdict(self)


def _surges_to_alert(*, now: datetime, symbols: list[str], min_score: float):
    surges = Surge.objects.filter(detected_at__gte=now - FRESH_FOR, score__gte=min_score)
    if symbols:
        surges = surges.filter(ticker__symbol__in=symbols)
    return surges


def deliveries_create(*, urls: list[str], symbols: list[str], min_score: float, now: datetime, dry_run: bool) -> int:
    """One pending row per fresh surge (watch list, min score) and URL; existing rows untouched."""
    surge_ids = list(_surges_to_alert(now=now, symbols=symbols, min_score=min_score).values_list("pk", flat=True))
    if not surge_ids or not urls:
        return 0
    created = 0
    for url in urls:
        digest = url_hash(url)
        have = set(
            AlertDelivery.objects.filter(url_hash=digest, surge_id__in=surge_ids).values_list("surge_id", flat=True)
        )
        missing = [pk for pk in surge_ids if pk not in have]
        if missing and not dry_run:
            AlertDelivery.objects.bulk_create(
                [AlertDelivery(surge_id=pk, url_hash=digest, url_label=url_label(url)) for pk in missing],
                ignore_conflicts=True,  # another sender made it first: the unique (surge, url_hash) holds
            )
        created += len(missing)
    return created


def _claim(pk: int, *, token: str, now: datetime, stale_after: timedelta) -> bool:
    """Take the row for this sender: one UPDATE whose WHERE is the whole rule, so of two senders
    (or a rerun after a kill) exactly one gets it; PostgreSQL rechecks the WHERE after a lock wait."""
    claimed_at = timezone.now()
    return bool(
        AlertDelivery.objects.filter(pk=pk, state=AlertDelivery.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=claimed_at - stale_after))
        .update(claimed_at=claimed_at, claimed_by=token, attempts=F("attempts") + 1)
    )


def _due(digest: str, *, now: datetime):
    return (
        AlertDelivery.objects.filter(url_hash=digest, state=AlertDelivery.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("surge__ticker")
        .order_by("surge__started_at", "pk")
    )


def _send_one(row: AlertDelivery, url: str, *, secret: str, timeout: float, token: str, counts: DeliveryCounts):
    body = alert_body(row.surge)
    headers = {DELIVERY_HEADER: f"{row.surge_id}-{row.url_hash[:16]}"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    outcome = post(url, body, headers, timeout=timeout)
    done = timezone.now()
    mine = AlertDelivery.objects.filter(pk=row.pk, claimed_by=token)
    if outcome.ok:
        if not mine.update(state=AlertDelivery.State.SENT, sent_at=done, claimed_at=None, last_error=""):
            logger.warning("alert %s: sent, but its claim was taken over (a send slower than the timeout)", row)
        counts.sent += 1
        return True
    attempts = AlertDelivery.objects.values_list("attempts", flat=True).get(pk=row.pk)
    gave_up = attempts >= MAX_ATTEMPTS
    mine.update(
        state=AlertDelivery.State.FAILED if gave_up else AlertDelivery.State.PENDING,
        next_attempt_at=None if gave_up else done + backoff(attempts),
        last_error=outcome.error[:500],
        claimed_at=None,
        claimed_by="",
    )
    counts.failed += 1
    if gave_up:
        counts.gave_up += 1
        logger.error(
            "alert to %s for %s gave up after %d attempts: %s",
            row.url_label,
            row.surge,
            attempts,
            outcome.error,
        )
    else:
        logger.warning(
            "alert to %s for %s failed (attempt %d of %d): %s; next try after %s",
            row.url_label,
            row.surge,
            attempts,
            MAX_ATTEMPTS,
            outcome.error,
            backoff(attempts),
        )
    return False


def alerts_deliver(
    *,
    urls: list[str] | None = None,
    secret: str | None = None,
    symbols: list[str] | None = None,
    min_score: float | None = None,
    timeout: float | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> DeliveryCounts:
    """Create the new surges' deliveries and send every due one; the settings ALERT_* by default.

    Never raises for a webhook's failure: each is logged and counted, and a URL that fails is
    left alone for the rest of this run (its rows wait for the next), so it blocks no other URL.
    With dry_run nothing is written or sent; `created` counts the rows it would make.
    """
    urls = settings.ALERT_WEBHOOK_URLS if urls is None else urls
    secret = settings.ALERT_WEBHOOK_SECRET if secret is None else secret
    symbols = settings.ALERT_SYMBOLS if symbols is None else [s.upper() for s in symbols]
    min_score = settings.ALERT_MIN_SCORE if min_score is None else min_score
    timeout = settings.ALERT_TIMEOUT_SECONDS if timeout is None else timeout
    now = now or timezone.now()
    counts = DeliveryCounts()
    good: list[str] = []
    for url in dict.fromkeys(u.strip() for u in urls if u.strip()):
        try:
            good.append(url_check(url))
        except RefusedUrl as exc:
            counts.refused_urls += 1
            logger.error("alert URL %s refused: %s (only http and https are sent to)", url_label(url), exc)
    counts.created = deliveries_create(urls=good, symbols=symbols, min_score=min_score, now=now, dry_run=dry_run)
    if dry_run:
        return counts
    token = uuid.uuid4().hex
    stale_after = claim_stale_after(timeout)
    for url in good:
        failing = False
        for row in _due(url_hash(url), now=now):
            if failing:
                counts.deferred += 1
                continue
            if not _claim(row.pk, token=token, now=now, stale_after=stale_after):
                counts.busy += 1
                continue
            if not _send_one(row, url, secret=secret, timeout=timeout, token=token, counts=counts):
                failing = True
                counts.failing_urls.append(url_label(url))
    return counts
