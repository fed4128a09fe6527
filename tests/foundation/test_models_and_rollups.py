"""Database constraints on the domain, and the hourly rollups built from raw rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone as djtz

from articles.models import Article, Mention, Ticker, TickerHourly
from articles.services import rollups_refresh, rollups_refresh_for_articles
from tests.conftest import stance_from_article

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def make_article(reddit_id: str, *, kind="comment", minutes=0, author="ape", score=1, label="", sscore=None, **extra):
    scored = (
        {"sentiment_label": label, "sentiment_score": sscore, "sentiment_confidence": 0.9, "scored_at": djtz.now()}
        if label
        else {}
    )
    return Article.objects.create(
        kind=kind,
        reddit_id=reddit_id,
        subreddit="wallstreetbets",
        body="text",
        author=author,
        score=score,
        created_utc=T0 + timedelta(minutes=minutes),
        **scored,
        **extra,
    )


def link(article: Article, ticker: Ticker) -> Mention:
    return Mention.objects.create(
        article=article,
        ticker=ticker,
        matched_text=ticker.symbol,
        created_utc=article.created_utc,
        **stance_from_article(article),
    )


@pytest.fixture
def tsla():
    return Ticker.objects.create(symbol="TSLA", name="Tesla")


@pytest.fixture
def gme():
    return Ticker.objects.create(symbol="GME", name="GameStop")


@pytest.mark.parametrize(
    "fields",
    [
        {"sentiment_score": 1.5, "sentiment_label": "positive", "sentiment_confidence": 0.5},
        {"sentiment_score": 0.5, "sentiment_label": "positive", "sentiment_confidence": 1.2},
        {"sentiment_score": 0.5, "sentiment_label": "bullish", "sentiment_confidence": 0.5},
        {"sentiment_score": 0.5, "sentiment_label": "", "sentiment_confidence": 0.5},  # a time without a label
        {"kind": "video"},
        {"num_comments": -1},
        {"reviewed_label": "negative"},  # a review without a time
    ],
)
def test_article_check_constraints(fields):
    base = {"kind": "comment", "reddit_id": "t1_bad", "subreddit": "wsb", "created_utc": T0}
    if "sentiment_score" in fields:
        base["scored_at"] = T0
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(**(base | fields))


def test_reddit_id_is_unique_and_mentions_are_unique_pairs(tsla):
    article = make_article("t1_a")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_article("t1_a")
    link(article, tsla)
    with pytest.raises(IntegrityError), transaction.atomic():
        link(article, tsla)


@pytest.mark.parametrize("symbol", ["", "tsla", "TOO-LONG-SYMBOL", "A B"])
def test_ticker_symbol_format(symbol):
    # PostgreSQL rejects an over-long value as DataError before the check runs.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Ticker.objects.create(symbol=symbol)


def test_article_text_and_effective_label():
    post = Article(kind="post", title="TSLA to the moon", body="calls")
    assert post.text == "TSLA to the moon\n\ncalls"
    comment = Article(kind="comment", title="ignored", body="puts")
    assert comment.text == "puts"
    assert Article(sentiment_label="negative", reviewed_label="positive").effective_label == "positive"
    assert Article(sentiment_label="negative").effective_label == "negative"


def test_rollups_aggregate_per_ticker_and_hour(tsla, gme):
    a1 = make_article("t3_p1", kind="post", minutes=5, author="alice", score=100, label="positive", sscore=0.8)
    a2 = make_article("t1_c1", minutes=10, author="bob", score=3, label="negative", sscore=-0.6)
    a3 = make_article("t1_c2", minutes=20, author="bob", score=2)  # unscored
    a4 = make_article("t1_c3", minutes=70, author="carol", score=5, label="neutral", sscore=0.1)  # next hour
    for article in (a1, a2, a3, a4):
        link(article, tsla)
    link(a1, gme)

    assert rollups_refresh() == 3
    h0 = TickerHourly.objects.get(ticker=tsla, hour=T0)
    assert (h0.mentions, h0.posts, h0.comments, h0.unique_authors, h0.upvotes) == (3, 1, 2, 2, 105)
    assert (h0.scored, h0.positive, h0.negative, h0.neutral) == (2, 1, 1, 0)
    assert h0.sentiment_sum == pytest.approx(0.2)
    h1 = TickerHourly.objects.get(ticker=tsla, hour=T0 + timedelta(hours=1))
    assert (h1.mentions, h1.neutral, h1.sentiment_sum) == (1, 1, pytest.approx(0.1))
    g0 = TickerHourly.objects.get(ticker=gme, hour=T0)
    assert (g0.mentions, g0.posts, g0.positive) == (1, 1, 1)


def test_reviewed_stance_overrides_the_model(tsla):
    article = make_article("t1_r", label="negative", sscore=-0.9)
    mention = link(article, tsla)
    rollups_refresh()
    assert TickerHourly.objects.get().negative == 1

    Mention.objects.filter(pk=mention.pk).update(reviewed_stance="bullish", stance_reviewed_at=djtz.now())
    rollups_refresh_for_articles(article_ids=[article.pk])
    row = TickerHourly.objects.get()
    assert (row.positive, row.negative, row.sentiment_sum) == (1, 0, 1.0)
    # A reviewed mention counts as scored even before the model saw it.
    fresh = make_article("t1_unscored_reviewed", minutes=1)
    Mention.objects.create(
        article=fresh,
        ticker=tsla,
        created_utc=fresh.created_utc,
        reviewed_stance="neutral",
        stance_reviewed_at=djtz.now(),
    )
    rollups_refresh_for_articles(article_ids=[fresh.pk])
    row.refresh_from_db()
    assert (row.mentions, row.scored, row.neutral) == (2, 2, 1)


def test_rollups_count_each_mentions_stance_not_the_article_label(tsla, gme):
    """One article, two tickers, opposite stances: each ticker's rollup counts its own."""
    user = get_user_model().objects.create(username="reviewer")
    article = make_article("t1_pair", label="positive", sscore=0.4)
    Mention.objects.create(article=article, ticker=tsla, created_utc=T0, stance="bearish", stance_score=-0.6)
    Mention.objects.create(article=article, ticker=gme, created_utc=T0, stance="bullish", stance_score=0.7)
    rollups_refresh()
    t, g = TickerHourly.objects.get(ticker=tsla), TickerHourly.objects.get(ticker=gme)
    assert (t.scored, t.positive, t.negative, t.sentiment_sum) == (1, 0, 1, pytest.approx(-0.6))
    assert (g.scored, g.positive, g.negative, g.sentiment_sum) == (1, 1, 0, pytest.approx(0.7))
    # The article's own review (the whole text) does not move a multi-ticker article's stances.
    Article.objects.filter(pk=article.pk).update(reviewed_label="negative", reviewed_by=user, reviewed_at=djtz.now())
    rollups_refresh()
    g.refresh_from_db()
    assert (g.positive, g.negative) == (1, 0)
    # A mention not scored yet counts as a mention without sentiment.
    Mention.objects.filter(ticker=gme).update(stance="", stance_score=None)
    rollups_refresh()
    g.refresh_from_db()
    assert (g.mentions, g.scored, g.sentiment_sum) == (1, 0, 0.0)


@pytest.mark.parametrize(
    "fields",
    [
        {"stance": "positive", "stance_score": 0.5},  # not a stance
        {"stance": "bullish", "stance_score": 1.5},  # out of range
        {"stance": "bullish"},  # a stance without a score
        {"stance_score": 0.5},  # a score without a stance
        {"reviewed_stance": "bearish"},  # a review without a time
        {"reviewed_stance": "up", "stance_reviewed_at": T0},
    ],
)
def test_mention_stance_check_constraints(tsla, fields):
    article = make_article("t1_c")
    with pytest.raises(IntegrityError), transaction.atomic():
        Mention.objects.create(article=article, ticker=tsla, created_utc=T0, **fields)


def test_refresh_removes_rows_whose_mentions_are_gone_and_respects_scope(tsla, gme):
    a = make_article("t1_x", minutes=1)
    b = make_article("t1_y", minutes=2)
    link(a, tsla)
    link(b, gme)
    rollups_refresh()
    assert TickerHourly.objects.count() == 2

    Mention.objects.filter(article=a, ticker=tsla).delete()
    Mention.objects.filter(article=b).delete()
    # Only TSLA is in scope: GME's (now stale) row must be left alone by this call.
    rollups_refresh_for_articles(article_ids=[a.pk], ticker_ids=[tsla.pk])
    assert list(TickerHourly.objects.values_list("ticker__symbol", flat=True)) == ["GME"]
    rollups_refresh(since=T0, until=T0 + timedelta(minutes=30))
    assert TickerHourly.objects.count() == 0


def test_refresh_is_idempotent_and_an_empty_scope_writes_nothing(tsla):
    link(make_article("t1_z"), tsla)
    rollups_refresh()
    first = list(TickerHourly.objects.values("ticker_id", "hour", "mentions"))
    rollups_refresh()
    assert list(TickerHourly.objects.values("ticker_id", "hour", "mentions")) == first
    assert rollups_refresh(ticker_ids=[]) == 0
    assert rollups_refresh_for_articles(article_ids=[]) == 0


def test_refresh_rollups_command(tsla, capsys):
    from django.core.management import call_command

    link(make_article("t1_cmd"), tsla)
    call_command("refresh_rollups", "--since", "2026-11-20")
    assert TickerHourly.objects.count() == 1
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="argument --since: not a valid date or time"):
        call_command("refresh_rollups", "--since", "last tuesday")


def test_refresh_updates_rows_written_by_the_orm_in_place(tsla):
    """The refresh writes with one INSERT ... SELECT ... ON CONFLICT (ticker, hour); a row the
    ORM wrote (the way before, and what a database upgraded in place holds) must be found by
    that conflict target and updated, never doubled: on SQLite the hour is text, so the SQL's
    hour and the ORM's must be the same string."""
    a = make_article("t1_orm", minutes=5, score=3, label="positive", sscore=0.9)
    link(a, tsla)
    hour = T0.replace(minute=0)
    TickerHourly.objects.create(ticker=tsla, hour=hour, mentions=7, comments=7, upvotes=99)
    before = TickerHourly.objects.get()
    assert rollups_refresh(ticker_ids=[tsla.pk]) == 1
    row = TickerHourly.objects.get()  # one row: updated, not a second one beside it
    assert row.pk == before.pk and row.hour == hour
    assert (row.mentions, row.comments, row.upvotes, row.scored, row.positive) == (1, 1, 3, 1, 1)
    assert row.updated_at > before.updated_at
