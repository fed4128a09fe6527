"""The surge log and the alert delivery log in the admin: listed, read only, the URL never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import AlertDelivery, Surge, Ticker

pytestmark = pytest.mark.django_db


def surge(symbol: str = "GME", **fields) -> Surge:
    ticker, _ = Ticker.objects.get_or_create(symbol=symbol, defaults={"name": symbol})
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
    values = {
        "started_at": start,
        "peak_at": start + timedelta(hours=1),
        "last_hour": start + timedelta(hours=2),
        "ended_at": None,
        "unique_authors": 62,
        "expected": 10.0,
        "mentions": 80,
        "score": 14.2,
        "bullish": 30,
        "bearish": 10,
        "neutral": 20,
        "detected_at": start + timedelta(hours=1, minutes=15),
    }
    values.update(fields)
    return Surge.objects.create(ticker=ticker, **values)


def test_the_surge_log_lists_each_event_with_its_figures(admin_client):
    surge()
    surge("TSLA", ended_at=timezone.now() - timedelta(hours=1), bullish=0, bearish=0, neutral=0)
    page = admin_client.get(reverse("admin:articles_surge_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "GME" in text and "TSLA" in text
    assert "6.2x" in text and "50% / 17%" in text  # 62 / 10 authors; 30 and 10 of 60 scored
    assert (
        admin_client.get(reverse("admin:articles_surge_changelist") + "?ended_at__isnull=True")
        .context["cl"]
        .result_count
        == 1
    )


def test_nobody_adds_or_changes_a_surge_here(admin_client):
    s = surge()
    assert admin_client.get(reverse("admin:articles_surge_add")).status_code == 403
    assert admin_client.post(reverse("admin:articles_surge_delete", args=[s.pk]), {"post": "yes"}).status_code == 403
    assert Surge.objects.filter(pk=s.pk).exists()


def test_the_delivery_log_shows_the_host_and_the_error_never_the_url(admin_client):
    s = surge()
    AlertDelivery.objects.create(
        surge=s,
        url_hash="0" * 64,
        url_label="https://hooks.example.com",
        state=AlertDelivery.State.PENDING,
        attempts=3,
        last_error="HTTP 500",
    )
    page = admin_client.get(reverse("admin:articles_alertdelivery_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "https://hooks.example.com" in text and "HTTP 500" in text and "pending" in text
    assert admin_client.get(reverse("admin:articles_alertdelivery_add")).status_code == 403
