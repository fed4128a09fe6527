"""Who can do what: the reviewers group, staff without it, crafted POSTs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from articles.models import Article, Mention, Ticker
from marketpulse.models import JobRun

pytestmark = pytest.mark.django_db


def test_reviewers_group_has_exactly_the_review_permissions():
    group = Group.objects.get(name="reviewers")
    perms = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type"))
    assert perms == [
        "articles.change_article",
        "articles.view_article",
        "articles.view_mention",
        "articles.view_ticker",
    ]


def test_staff_without_the_group_sees_nothing(bare_staff_client, make_article, tickers):
    article = make_article()
    index = bare_staff_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "permission to view or edit anything" in index.content.decode()
    for url in [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_review_queue"),
        reverse("admin:articles_article_quality"),
        reverse("admin:articles_ticker_changelist"),
        reverse("admin:marketpulse_jobrun_changelist"),
    ]:
        assert bare_staff_client.get(url).status_code == 403, url
    response = bare_staff_client.post(
        reverse("admin:articles_article_review_queue"), {"article_id": article.pk, "label": "positive"}
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.reviewed_label == ""


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("admin:articles_article_review_queue"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_reviewer_sees_review_pages_and_nothing_else(reviewer_client, make_article, tickers):
    article = make_article()
    ok = [
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_review_queue"),
        reverse("admin:articles_article_quality"),
        reverse("admin:articles_ticker_changelist"),
        reverse("admin:articles_ticker_change", args=[tickers["GME"].pk]),
        reverse("admin:articles_mention_changelist"),
    ]
    for url in ok:
        assert reviewer_client.get(url).status_code == 200, url
    forbidden = [
        reverse("admin:marketpulse_jobrun_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:articles_ticker_add"),
        reverse("admin:articles_article_add"),
        reverse("admin:articles_article_delete", args=[article.pk]),
    ]
    for url in forbidden:
        assert reviewer_client.get(url).status_code == 403, url
    index = reviewer_client.get(reverse("admin:index")).content.decode()
    assert "Articles" in index and "Job runs" not in index and "Users" not in index


def test_reviewer_cannot_edit_a_ticker(reviewer_client, tickers):
    gme = tickers["GME"]
    page = reviewer_client.get(reverse("admin:articles_ticker_change", args=[gme.pk])).content.decode()
    assert 'name="is_active"' not in page  # view-only
    response = reviewer_client.post(
        reverse("admin:articles_ticker_change", args=[gme.pk]),
        {"symbol": "GME", "name": "Hacked", "exchange": "", "aliases": "[]"},
    )
    assert response.status_code == 403
    gme.refresh_from_db()
    assert gme.name == "GameStop" and gme.is_active


def test_reviewer_crafted_post_changes_only_review_fields(reviewer_client, reviewer, make_article, tickers, refresh):
    article = make_article(label="negative", confidence=0.7, score=10, body="original body")
    refresh()
    url = reverse("admin:articles_article_change", args=[article.pk])
    form = reviewer_client.get(url).content.decode()
    assert 'name="reviewed_label"' in form
    for field in ("body", "score", "title", "sentiment_label", "author", "subreddit"):
        assert f'name="{field}"' not in form
    response = reviewer_client.post(
        url,
        {
            "reviewed_label": "positive",
            "body": "EDITED BODY",
            "title": "EDITED",
            "score": "999999",
            "sentiment_label": "positive",
            "sentiment_confidence": "0.01",
            "author": "mallory",
            "reviewed_by": "1",
            "reviewed_at": "2000-01-01 00:00:00",
            "mentions-TOTAL_FORMS": "1",
            "mentions-INITIAL_FORMS": "1",
            "mentions-MIN_NUM_FORMS": "0",
            "mentions-MAX_NUM_FORMS": "1000",
            "mentions-0-id": str(article.mentions.get().pk),
            "mentions-0-article": str(article.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = Article.objects.get(pk=article.pk)
    assert fresh.reviewed_label == "positive"
    assert fresh.reviewed_by == reviewer
    assert fresh.reviewed_at is not None and fresh.reviewed_at.year > 2000
    assert (fresh.body, fresh.title, fresh.score, fresh.author) == ("original body", "A title", 10, article.author)
    assert (fresh.sentiment_label, fresh.sentiment_confidence) == ("negative", 0.7)
    assert Mention.objects.filter(article=article).count() == 1


def test_reviewer_cannot_run_the_ticker_unlink_action(reviewer_client, reviewer, tickers, make_article):
    make_article(["YOLO"])
    Ticker.objects.filter(symbol="YOLO").update(is_active=False)
    assert not reviewer.has_perm("articles.change_ticker"), sorted(reviewer.get_all_permissions())
    response = reviewer_client.get(reverse("admin:articles_ticker_changelist"))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when the user may run no action at all
    actions = [value for value, _label in form.fields["action"].choices] if form else []
    assert "unlink_flagged" not in actions and "unlink_flagged" not in response.content.decode(), actions
    response = reviewer_client.post(
        reverse("admin:articles_ticker_changelist"),
        {"action": "unlink_flagged", "_selected_action": [tickers["YOLO"].pk]},
    )
    assert response.status_code in (200, 302), response.status_code
    assert Mention.objects.filter(ticker__symbol="YOLO").count() == 1


def test_reviewer_can_unlink_a_wrong_mention_but_not_delete_articles(reviewer_client, make_article, tickers):
    article = make_article(["GME", "SPY"])
    page = reviewer_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "delete_selected" not in page and "mark_positive" in page
    mention = Mention.objects.get(article=article, ticker__symbol="SPY")
    response = reviewer_client.post(
        reverse("admin:articles_mention_changelist"), {"action": "unlink", "_selected_action": [mention.pk]}
    )
    assert response.status_code == 302
    assert list(article.mentions.values_list("ticker__symbol", flat=True)) == ["GME"]
    assert Article.objects.filter(pk=article.pk).exists()


def test_jobrun_admin_is_read_only_for_superusers(admin_client, db):
    from django.utils import timezone

    start = timezone.now()
    run = JobRun.objects.create(
        command="scrape_reddit", started_at=start, status="failed", error="HTTP 429 from Reddit"
    )
    page = admin_client.get(reverse("admin:marketpulse_jobrun_change", args=[run.pk])).content.decode()
    assert "HTTP 429 from Reddit" in page and 'name="command"' not in page
    response = admin_client.post(
        reverse("admin:marketpulse_jobrun_change", args=[run.pk]), {"command": "x", "status": "succeeded"}
    )
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:marketpulse_jobrun_delete", args=[run.pk])).status_code == 403
    assert admin_client.get(reverse("admin:marketpulse_jobrun_add")).status_code == 403
