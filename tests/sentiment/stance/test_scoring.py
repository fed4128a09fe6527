"""Per-mention stance through analyze_sentiment (SQLite and PostgreSQL): what each ticker gets,
the rollups that count it, the promoted-model rule, and all-or-nothing writes."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Mention, Ticker, TickerHourly
from articles.services import rollups_refresh
from sentiment.analyzers import VaderAnalyzer
from sentiment.services import articles_score
from sentiment.stance import scoring as stance_module

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


def article(body: str, symbols: list[str], *, n: list[int] = [0]) -> Article:  # noqa: B006 (a counter)
    n[0] += 1
    a = Article.objects.create(
        kind="comment",
        reddit_id=f"t1_st{n[0]}",
        subreddit="wallstreetbets",
        parent_post_id="t3_parent",
        body=body,
        author=f"user{n[0]}",
        created_utc=CREATED,
    )
    for symbol in symbols:
        ticker, _ = Ticker.objects.get_or_create(symbol=symbol)
        Mention.objects.create(article=a, ticker=ticker, matched_text=symbol, created_utc=CREATED)
    return a


def stances(a: Article) -> dict[str, tuple[str, str]]:
    return {m.ticker.symbol: (m.stance, m.stance_model) for m in a.mentions.select_related("ticker")}


def analyze(*args: str) -> str:
    out = StringIO()
    call_command("analyze_sentiment", "--model", "vader", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_demo_messages_get_a_stance_per_ticker_with_vader_alone():
    """VADER reads all three as neutral (0.0); the cues on each ticker's own clauses decide."""
    calls = article("TSLA calls printing", ["TSLA"])
    leaps = article("Loaded up on TSLA and NIO leaps, see you in 2028", ["TSLA", "NIO"])
    swap = article("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
    analyze()
    assert stances(calls) == {"TSLA": ("bullish", "cues+vader")}
    assert stances(leaps) == {"TSLA": ("bullish", "cues+vader"), "NIO": ("bullish", "cues+vader")}
    assert stances(swap) == {"TSLA": ("bearish", "cues+vader"), "NVDA": ("bullish", "cues+vader")}
    # The article keeps the model's opinion of the whole text.
    for a in (calls, leaps, swap):
        a.refresh_from_db()
        assert (a.sentiment_label, a.sentiment_model) == ("neutral", "vader")
    # The cues that fired are stored, so the admin can show why.
    tsla = Mention.objects.get(article=swap, ticker__symbol="TSLA")
    nvda = Mention.objects.get(article=swap, ticker__symbol="NVDA")
    assert [name for name, _ in tsla.stance_cues] == ["sold my"] and tsla.stance_score < 0
    assert {name for name, _ in nvda.stance_cues} == {"all in", "calls"} and nvda.stance_score > 0
    # The rollups count each mention's stance: TSLA 2 bullish + 1 bearish, NVDA 1 bullish.
    t = TickerHourly.objects.get(ticker__symbol="TSLA")
    v = TickerHourly.objects.get(ticker__symbol="NVDA")
    assert (t.mentions, t.scored, t.positive, t.negative, t.neutral) == (3, 3, 2, 1, 0)
    assert t.sentiment_sum == pytest.approx(sum(m.stance_score for m in Mention.objects.filter(ticker__symbol="TSLA")))
    assert (v.scored, v.positive, v.negative) == (1, 1, 0)
    # Per-chunk refreshes equal a full rebuild.
    before = sorted(TickerHourly.objects.values_list("ticker_id", "hour", "scored", "positive", "negative", "neutral"))
    rollups_refresh()
    assert sorted(
        TickerHourly.objects.values_list("ticker_id", "hour", "scored", "positive", "negative", "neutral")
    ) == (before)


def test_rescore_recomputes_the_stance_and_keeps_reviews():
    a = article("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
    analyze()
    Mention.objects.filter(article=a, ticker__symbol="TSLA").update(
        reviewed_stance="neutral", stance_reviewed_at=CREATED, stance="bullish", stance_score=0.9
    )
    analyze("--rescore")
    tsla = Mention.objects.get(article=a, ticker__symbol="TSLA")
    assert (tsla.stance, tsla.reviewed_stance, tsla.effective_stance) == ("bearish", "neutral", "neutral")
    assert TickerHourly.objects.get(ticker__symbol="TSLA").neutral == 1


def test_mention_writes_are_a_fixed_number_of_queries_per_chunk(settings):
    for i in range(40):
        article(f"Sold my TSLA, all in NVDA calls #{i}", ["TSLA", "NVDA"])
    vader = VaderAnalyzer(batch_size=10)
    with CaptureQueriesContext(connection) as ctx:
        articles_score(analyzer=vader, vader=vader, claim_size=40)
    mention_sql = [q["sql"] for q in ctx.captured_queries if "articles_mention" in q["sql"]]
    reads = [q for q in mention_sql if q.lstrip().upper().startswith("SELECT")]
    writes = [q for q in mention_sql if "UPDATE" in q.upper() and "stance_cues" in q]
    assert len(writes) == 1, writes  # one UPDATE for 80 mentions
    assert Mention.objects.filter(stance="").count() == 0
    assert len(reads) <= 6  # the stance read, and the rollup refresh's own


class FakeScorer:
    name = "linear:20261130T0500-test"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score(self, texts):
        self.seen.extend(texts)
        return [("bearish", -0.75, 0.9) if "Sold" in t else ("bullish", 0.5, 0.8) for t in texts]


def test_a_promoted_model_scores_each_tickers_clauses(monkeypatch):
    scorer = FakeScorer()
    monkeypatch.setattr(stance_module, "promoted_scorer", lambda: scorer)
    a = article("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
    analyze()
    assert sorted(scorer.seen) == ["Sold my TSLA", "all in NVDA calls"]
    tsla = Mention.objects.get(article=a, ticker__symbol="TSLA")
    nvda = Mention.objects.get(article=a, ticker__symbol="NVDA")
    assert (tsla.stance, tsla.stance_score, tsla.stance_model) == ("bearish", -0.75, scorer.name)
    assert (nvda.stance, nvda.stance_score) == ("bullish", 0.5)
    assert [name for name, _ in tsla.stance_cues] == ["sold my"]  # the cues still explain it
    a.refresh_from_db()
    assert a.sentiment_model == "vader"  # the article's own score is still the analyzer's


def test_a_failed_stance_write_leaves_the_articles_unscored(monkeypatch):
    """Articles and their mentions are written together or not at all."""

    class Broken(FakeScorer):
        def score(self, texts):
            return [("up", 0.5, 0.5) for _ in texts]

    monkeypatch.setattr(stance_module, "promoted_scorer", lambda: Broken())
    a = article("TSLA calls printing", ["TSLA"])
    with pytest.raises(ValueError, match="not one of bullish"):
        analyze()
    a.refresh_from_db()
    assert a.scored_at is None and a.sentiment_label == ""
    assert Mention.objects.get(article=a).stance == ""


def test_finbert_rows_record_the_model_in_the_stance_model(finbert_settings, tiny_model_dir):
    a = article("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
    out = StringIO()
    call_command("analyze_sentiment", stdout=out, stderr=StringIO())
    models = {m.stance_model for m in a.mentions.all()}
    assert models == {f"cues+finbert:{tiny_model_dir}"}
    # FinBERT's P(pos) - P(neg) takes half the weight; strong cues still decide here.
    assert stances(a)["TSLA"][0] == "bearish" and stances(a)["NVDA"][0] == "bullish"


def test_a_model_trained_and_promoted_by_train_stance_scores_the_mentions(settings, tmp_path):
    """The real store: import the demo labels, train and promote, then analyze_sentiment."""
    from sentiment.stance import store as stance_store

    settings.STANCE_MODEL_STORE = str(tmp_path / "store")
    settings.STANCE_MODEL_CACHE = str(tmp_path / "cache")
    stance_store.promoted_scorer_reset()
    try:
        demo = str(Path(__file__).resolve().parents[3] / "sentiment" / "data" / "stance_demo_train.csv")
        call_command("import_labels", demo, "--source", "demo", stdout=StringIO(), stderr=StringIO())
        call_command("train_stance", "--promote", "--seed", "0", stdout=StringIO(), stderr=StringIO())
        scorer = stance_store.promoted_scorer()
        assert scorer is not None and scorer.name.startswith("linear:")
        a = article("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
        analyze()
        got = stances(a)
        assert {model for _, model in got.values()} == {scorer.name}
        assert got["NVDA"][0] == "bullish"
        a.refresh_from_db()
        assert a.sentiment_model == "vader"
    finally:
        stance_store.promoted_scorer_reset()
