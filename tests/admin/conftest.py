"""Fixtures for the admin review tests: tickers, scored articles with mentions, users."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from articles.models import Article, Mention, Ticker
from articles.services import rollups_refresh
from tests.conftest import stance_from_article

_seq = itertools.count(1)


def hour_ago(hours: float = 1.0) -> datetime:
    """A time well inside an hour bucket, `hours` before now (UTC)."""
    now = timezone.now().astimezone(UTC)
    return (now - timedelta(hours=hours)).replace(minute=30, second=0, microsecond=0)


@pytest.fixture
def tickers(db) -> dict[str, Ticker]:
    out = {}
    for symbol, name, etf in [
        ("GME", "GameStop", False),
        ("TSLA", "Tesla", False),
        ("SPY", "SPDR S&P 500", True),
        ("YOLO", "AdvisorShares Pure Cannabis", True),
    ]:
        out[symbol] = Ticker.objects.create(symbol=symbol, name=name, is_etf=etf, aliases=[name.split()[0]])
    return out


@pytest.fixture
def make_article(db):
    """Create a scored article mentioning `symbols`; rollups are NOT refreshed (call refresh())."""

    def make(
        symbols=("GME",),
        *,
        label="neutral",
        confidence=0.9,
        vader=None,
        score=10,
        created=None,
        kind="post",
        title="A title",
        body="Some body",
        model="finbert-test",
        scored=True,
        **extra,
    ) -> Article:
        n = next(_seq)
        created = created or hour_ago(1)
        sentiment_score = {"positive": 0.8, "negative": -0.8, "neutral": 0.0}[label] if scored else None
        article = Article.objects.create(
            kind=kind,
            reddit_id=f"{'t3' if kind == 'post' else 't1'}_adm{n}",
            subreddit=extra.pop("subreddit", "wallstreetbets"),
            parent_post_id="" if kind == "post" else "t3_parent",
            title=title if kind == "post" else "",
            body=body,
            author=extra.pop("author", f"user{n}"),
            permalink=f"/r/wallstreetbets/comments/adm{n}/x/",
            score=score,
            created_utc=created,
            sentiment_label=label if scored else "",
            sentiment_score=sentiment_score,
            sentiment_confidence=confidence if scored else None,
            sentiment_model=model if scored else "",
            scored_at=timezone.now() if scored else None,
            vader_label=vader or "",
            vader_score=None,
            **extra,
        )
        for symbol in symbols:
            ticker = Ticker.objects.get(symbol=symbol)
            Mention.objects.create(
                article=article,
                ticker=ticker,
                matched_text=f"${symbol}",
                created_utc=created,
                **stance_from_article(article),
            )
        return article

    return make


@pytest.fixture
def refresh():
    def run():
        rollups_refresh()

    return run


@pytest.fixture
def reviewer(db, reviewers_group) -> User:
    user = User.objects.create_user("rita", password="review-pass-123", is_staff=True)
    user.groups.add(reviewers_group)
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def bare_staff_client(client, db):
    user = User.objects.create_user("sam", password="staff-pass-123", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _clear_cache():
    """Login-throttle counters live in the cache; start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reviewers_group(db) -> Group:
    """The `reviewers` group. A transactional test's flush empties it (data-migration
    rows do not survive a flush), so re-run the migration's own function then."""
    import importlib

    from django.apps import apps

    group = Group.objects.filter(name="reviewers").first()
    if group is None:
        importlib.import_module("articles.migrations.0002_reviewers_group").create_group(apps, None)
        group = Group.objects.get(name="reviewers")
    return group
