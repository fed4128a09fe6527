"""Migration articles/0005: existing mentions take their article's label as their stance,
so the rollups (and every page) keep their numbers. Driven with Django's MigrationExecutor:
back to 0004, rows made with the historical models, forward again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles.services import rollups_refresh

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("articles", "0007_bigint_counts")]
AFTER = [("articles", "0008_mention_stance")]
T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    """Every app at its newest migration again (other branches' 0005s and the merge included)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def _back_to_latest():
    """Whatever happens in a test, the next one finds every migration applied."""
    yield
    _migrate_to_latest()


def test_existing_mentions_take_their_articles_label():
    old_apps = _migrate(BEFORE)
    # The historical (0004) models.
    Article = old_apps.get_model("articles", "Article")
    Mention = old_apps.get_model("articles", "Mention")
    Ticker = old_apps.get_model("articles", "Ticker")
    TickerHourly = old_apps.get_model("articles", "TickerHourly")
    User = old_apps.get_model("auth", "User")
    reviewer = User.objects.create(username="mig-reviewer")
    tsla = Ticker.objects.create(symbol="TSLA")
    gme = Ticker.objects.create(symbol="GME")

    def make(rid, label="", score=None, reviewed="", model="finbert-x"):
        a = Article.objects.create(
            kind="comment",
            reddit_id=rid,
            subreddit="wallstreetbets",
            body="text",
            author=rid,
            created_utc=T0,
            sentiment_label=label,
            sentiment_score=score,
            sentiment_confidence=0.9 if label else None,
            sentiment_model=model if label else "",
            scored_at=T0 if label else None,
            reviewed_label=reviewed,
            reviewed_by=reviewer if reviewed else None,
            reviewed_at=T0 if reviewed else None,
        )
        return a

    pos = make("t1_pos", "positive", 0.7)
    neg = make("t1_neg", "negative", -0.4, reviewed="neutral")
    neu = make("t1_neu", "neutral", None)  # a label with no score: counts 0.0, as the rollups did
    unscored = make("t1_none")
    reviewed_only = make("t1_rev", reviewed="negative")
    for a, tickers in [
        (pos, [tsla, gme]),
        (neg, [tsla]),
        (neu, [tsla]),
        (unscored, [tsla]),
        (reviewed_only, [gme]),
    ]:
        for t in tickers:
            Mention.objects.create(article=a, ticker=t, matched_text=t.symbol, created_utc=T0)

    # The rollups as 0004's code counted them (article labels), for comparison.
    old_counts = {
        "TSLA": {"mentions": 4, "scored": 3, "positive": 1, "negative": 0, "neutral": 2, "sum": 0.7},
        "GME": {"mentions": 2, "scored": 2, "positive": 1, "negative": 1, "neutral": 0, "sum": 0.7 - 1.0},
    }
    assert TickerHourly.objects.count() == 0
    new_apps = _migrate(AFTER)

    Mention = new_apps.get_model("articles", "Mention")
    got = {
        (m.article.reddit_id, m.ticker.symbol): (
            m.stance,
            m.stance_score,
            m.stance_model,
            m.stance_cues,
            m.reviewed_stance,
            m.stance_reviewed_at,
        )
        for m in Mention.objects.select_related("article", "ticker")
    }
    assert got == {
        ("t1_pos", "TSLA"): ("bullish", 0.7, "finbert-x", [], "", None),
        ("t1_pos", "GME"): ("bullish", 0.7, "finbert-x", [], "", None),
        ("t1_neg", "TSLA"): ("bearish", -0.4, "finbert-x", [], "neutral", T0),
        ("t1_neu", "TSLA"): ("neutral", 0.0, "finbert-x", [], "", None),
        ("t1_none", "TSLA"): ("", None, "", [], "", None),
        ("t1_rev", "GME"): ("", None, "", [], "bearish", T0),
    }

    # Today's rollups from mention stance give the numbers the article labels gave.
    from articles.models import TickerHourly

    _migrate_to_latest()
    rollups_refresh()
    for symbol, want in old_counts.items():
        row = TickerHourly.objects.get(ticker__symbol=symbol)
        assert (row.mentions, row.scored, row.positive, row.negative, row.neutral) == (
            want["mentions"],
            want["scored"],
            want["positive"],
            want["negative"],
            want["neutral"],
        ), symbol
        assert row.sentiment_sum == pytest.approx(want["sum"]), symbol


def test_backwards_drops_the_fields_and_forwards_again():
    _migrate(BEFORE)
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), "articles_mention")}
    assert "stance" not in columns
    _migrate(AFTER)
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), "articles_mention")}
    assert {"stance", "stance_score", "stance_model", "stance_cues", "reviewed_stance", "stance_reviewed_at"} <= columns
