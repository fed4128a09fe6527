"""Ticker admin ("never link" + unlink), JobRun admin listing, login throttling (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from articles.models import Mention, Ticker, TickerHourly
from marketpulse.models import JobRun

pytestmark = pytest.mark.django_db


def test_never_link_count_and_unlink_action(admin_client, make_article, tickers, refresh):
    make_article(["YOLO", "GME"])
    make_article(["YOLO"], created=timezone.now() - timedelta(days=3))
    make_article(["GME"])
    refresh()
    Ticker.objects.filter(symbol="YOLO").update(is_active=False)
    url = reverse("admin:articles_ticker_changelist")
    cl = admin_client.get(url).context["cl"]
    shown = {t.symbol: t.flagged_mentions for t in cl.result_list}
    assert shown["YOLO"] == 2 and shown["GME"] is None
    change = admin_client.get(reverse("admin:articles_ticker_change", args=[tickers["YOLO"].pk])).content.decode()
    assert "2 — flagged" in change
    assert TickerHourly.objects.filter(ticker__symbol="YOLO").count() == 2

    response = admin_client.post(
        url, {"action": "unlink_flagged", "_selected_action": [tickers["YOLO"].pk, tickers["GME"].pk]}, follow=True
    )
    text = response.content.decode()
    assert "Removed 2 mention(s) of 1 never-link ticker(s)" in text and "Skipped GME" in text
    assert not Mention.objects.filter(ticker__symbol="YOLO").exists()
    assert not TickerHourly.objects.filter(ticker__symbol="YOLO").exists()
    assert Mention.objects.filter(ticker__symbol="GME").count() == 2
    assert TickerHourly.objects.get(ticker__symbol="GME").mentions == 2


def test_ticker_search_by_alias_and_flagging_warns(admin_client, tickers):
    url = reverse("admin:articles_ticker_changelist")
    found = {t.symbol for t in admin_client.get(url + "?q=GameStop").context["cl"].result_list}
    assert found == {"GME"}
    found = {t.symbol for t in admin_client.get(url + "?q=advisorshares").context["cl"].result_list}
    assert found == {"YOLO"}
    assert {t.symbol for t in admin_client.get(url + "?is_etf__exact=1").context["cl"].result_list} == {"SPY", "YOLO"}
    yolo = tickers["YOLO"]
    response = admin_client.post(
        reverse("admin:articles_ticker_change", args=[yolo.pk]),
        {"symbol": "YOLO", "name": yolo.name, "exchange": "", "is_etf": "on", "aliases": '["AdvisorShares"]'},
        follow=True,
    )
    assert "will no longer be linked" in response.content.decode()
    yolo.refresh_from_db()
    assert yolo.is_active is False and yolo.aliases == ["AdvisorShares"]


def test_jobrun_changelist_newest_first_with_duration_and_filters(admin_client, django_assert_max_num_queries):
    now = timezone.now()
    JobRun.objects.create(
        command="scrape_reddit",
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=2) + timedelta(seconds=75),
        status="succeeded",
    )
    JobRun.objects.create(
        command="analyze_sentiment",
        started_at=now - timedelta(hours=1),
        finished_at=now - timedelta(hours=1) + timedelta(seconds=4.5),
        status="failed",
        error="RuntimeError: model missing",
    )
    JobRun.objects.create(command="scrape_reddit", started_at=now, status="running")
    url = reverse("admin:marketpulse_jobrun_changelist")
    with django_assert_max_num_queries(8):
        response = admin_client.get(url)
    rows = response.context["cl"].result_list
    assert [r.status for r in rows] == ["running", "failed", "succeeded"]
    html = response.content.decode()
    assert "1 min 15 s" in html and "4.5 s" in html and "RuntimeError: model missing" in html
    filtered = admin_client.get(url + "?command=scrape_reddit&status__exact=succeeded").context["cl"].result_list
    assert [r.status for r in filtered] == ["succeeded"]


def test_login_throttled_after_repeated_failures(client, reviewer, settings):
    """django-axes: the limit per username and per address; even the right password is then refused."""
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("admin:login")
    for _ in range(2):
        response = client.post(url, {"username": "rita", "password": "wrong"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    response = client.post(url, {"username": "rita", "password": "wrong"})
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    # Now even the right password is refused, for this user and from this address.
    response = client.post(url, {"username": "rita", "password": "review-pass-123"})
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    User.objects.create_user("other", password="other-pass-123", is_staff=True)
    response = client.post(url, {"username": "other", "password": "other-pass-123"})
    assert response.status_code == 429


def test_login_success_clears_the_count(client, reviewer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "rita", "password": "wrong"})
    response = client.post(url, {"username": "rita", "password": "review-pass-123"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reviewer.pk)
    client.logout()
    for _ in range(2):  # the count started again: two more failures do not lock
        assert client.post(url, {"username": "rita", "password": "wrong"}).status_code == 200


def test_behind_the_load_balancer_the_forwarded_address_is_counted(client, reviewer, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]  # the balancer's subnet
    balancer = {"REMOTE_ADDR": "10.1.2.3"}
    url = reverse("admin:login")
    for _ in range(2):
        client.post(
            url, {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", **balancer
        )
    # Another client behind the same balancer is not locked out by the attacker's address...
    response = client.post(
        url, {"username": "rita", "password": "review-pass-123"}, HTTP_X_FORWARDED_FOR="198.51.100.7", **balancer
    )
    assert response.status_code == 302
    client.logout()
    # ...while the attacker's address is, whatever it claims in front.
    response = client.post(
        url,
        {"username": "rita", "password": "review-pass-123"},
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9",
        **balancer,
    )
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()


def test_a_peer_not_trusted_cannot_pick_its_address(client, reviewer, settings):
    """X-Forwarded-For from a peer outside FORWARDED_ALLOW_IPS is ignored: REMOTE_ADDR counts."""
    settings.AXES_FAILURE_LIMIT = 2
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]
    url = reverse("admin:login")
    for n in range(2):
        client.post(url, {"username": f"u{n}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = client.post(url, {"username": "rita", "password": "review-pass-123"}, HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert response.status_code == 429  # locked by its real address, 127.0.0.1


def test_lockouts_are_listed_and_lifted_in_the_admin(client, admin_client, reviewer, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "rita", "password": "wrong"}, REMOTE_ADDR="192.0.2.5")
    assert client.post(url, {"username": "rita", "password": "review-pass-123"}).status_code == 429
    attempts = list(AccessAttempt.objects.filter(username="rita").values_list("pk", flat=True))
    changelist = reverse("admin:axes_accessattempt_changelist")
    listing = admin_client.get(changelist).content.decode()
    assert "rita" in listing and "192.0.2.5" in listing
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}, follow=True
    )
    assert response.status_code == 200 and not AccessAttempt.objects.exists()
    assert client.post(url, {"username": "rita", "password": "review-pass-123"}).status_code == 302
