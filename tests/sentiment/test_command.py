"""analyze_sentiment in-process (SQLite and PostgreSQL): selection, writes, JobRun, rollups, fail-fast."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, TickerHourly
from articles.services import rollups_refresh
from marketpulse.jobs import DryRunHandle
from marketpulse.models import JobRun
from sentiment import analyzers
from sentiment.analyzers import FinbertAnalyzer, VaderAnalyzer
from sentiment.services import SCORE_FIELDS, _write, articles_score
from tests.sentiment.conftest import make_articles

pytestmark = pytest.mark.django_db


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("analyze_sentiment", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def last_run() -> JobRun:
    return JobRun.objects.filter(command="analyze_sentiment").order_by("-pk").first()


def test_scores_every_unscored_article(finbert_settings, ticker, tiny_model_dir):
    make_articles(30, ticker=ticker)
    make_articles(6, kind="post", ticker=ticker)
    out, _ = run("--batch-size", "4")
    assert not Article.objects.filter(scored_at__isnull=True).exists()
    for a in Article.objects.all():
        assert a.sentiment_label in {"positive", "negative", "neutral"}
        assert -1.0 <= a.sentiment_score <= 1.0 and 0.0 <= a.sentiment_confidence <= 1.0
        assert a.sentiment_model == str(tiny_model_dir)
        assert a.vader_label in {"positive", "negative", "neutral"} and -1.0 <= a.vader_score <= 1.0
    job = last_run()
    assert job.status == JobRun.Status.SUCCEEDED
    c = job.counters
    assert c["scored"] == 36 and c["positive"] + c["negative"] + c["neutral"] == 36
    assert c["backlog"] == 0 and c["model"] == str(tiny_model_dir)
    assert "scored 36" in out and "items/s" in out and "peak RSS" in out
    # VADER's opinion is its own: the clearly negative sample is negative for VADER.
    neg = Article.objects.filter(body__startswith="This is terrible").first()
    assert neg.vader_label == "negative"
    # Rollups were refreshed per batch: identical to a full rebuild, every mention scored.
    per_batch = sorted(TickerHourly.objects.values_list("ticker_id", "hour", "mentions", "scored", "sentiment_sum"))
    assert sum(row[3] for row in per_batch) == 36
    rollups_refresh()
    rebuilt = sorted(TickerHourly.objects.values_list("ticker_id", "hour", "mentions", "scored", "sentiment_sum"))
    assert [r[:4] for r in per_batch] == [r[:4] for r in rebuilt]
    for a, b in zip(per_batch, rebuilt, strict=False):
        assert a[4] == pytest.approx(b[4])


def test_second_run_scores_nothing(finbert_settings):
    make_articles(5)
    run()
    before = list(Article.objects.order_by("pk").values_list("pk", "scored_at"))
    out, _ = run()
    assert "scored 0" in out
    assert list(Article.objects.order_by("pk").values_list("pk", "scored_at")) == before


def test_empty_backlog_records_the_run_without_loading_the_model(finbert_settings, monkeypatch):
    make_articles(2)
    run()
    monkeypatch.setattr(
        "sentiment.management.commands.analyze_sentiment.analyzer_load",
        lambda **_: pytest.fail("the model was loaded with nothing to score"),
    )
    with CaptureQueriesContext(connection) as ctx:
        out, _ = run()
    assert "nothing to score" in out and "model was not loaded" in out
    job = last_run()
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.counters["scored"] == 0 and job.counters["backlog"] == 0
    # the JobRun insert + the EXISTS + the backlog count + the finish update, nothing more
    assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]


def test_hours_back_only_scores_recently_first_seen(finbert_settings):
    old = make_articles(4, first_seen_at=timezone.now() - timedelta(hours=48))
    new = make_articles(3)
    run("--hours-back", "24")
    assert Article.objects.filter(pk__in=[a.pk for a in new], scored_at__isnull=False).count() == 3
    assert Article.objects.filter(pk__in=[a.pk for a in old], scored_at__isnull=True).count() == 4
    assert last_run().counters["backlog"] == 4


def test_source_reddit_skips_non_reddit_ids(finbert_settings):
    reddit = make_articles(3)
    other = make_articles(2, prefix="x_manual_")
    run("--source", "reddit")
    assert not Article.objects.filter(pk__in=[a.pk for a in reddit], scored_at__isnull=True).exists()
    assert Article.objects.filter(pk__in=[a.pk for a in other], scored_at__isnull=True).count() == 2
    run("--source", "all")
    assert not Article.objects.filter(scored_at__isnull=True).exists()


def test_rescore_scores_again_once_per_run(finbert_settings, tiny_model_dir):
    make_articles(10)
    run("--model", "vader")
    assert set(Article.objects.values_list("sentiment_model", flat=True)) == {"vader"}
    out, _ = run()  # without --rescore nothing changes
    assert "scored 0" in out
    first = dict(Article.objects.values_list("pk", "scored_at"))
    run("--rescore", "--batch-size", "3")
    assert set(Article.objects.values_list("sentiment_model", flat=True)) == {str(tiny_model_dir)}
    assert last_run().counters["scored"] == 10  # each once, although rescored rows stay claimable-looking
    for pk, scored_at in Article.objects.values_list("pk", "scored_at"):
        assert scored_at > first[pk]


def test_reviews_are_never_touched(finbert_settings, django_user_model):
    user = django_user_model.objects.create(username="rev")
    (a,) = make_articles(1)
    Article.objects.filter(pk=a.pk).update(reviewed_label="negative", reviewed_by=user, reviewed_at=timezone.now())
    run()
    a.refresh_from_db()
    assert a.reviewed_label == "negative" and a.reviewed_by_id == user.pk and a.scored_at is not None


def test_limit_takes_the_newest_created_first(finbert_settings):
    # A dump import of old months lands after today's rows were first seen: the claim goes by
    # created_utc, newest first, so the pages fill from today backwards.
    today = make_articles(5, created_utc=timezone.now() - timedelta(hours=1))
    make_articles(10, first_seen_at=timezone.now() + timedelta(minutes=5))  # history, imported later
    run("--limit", "5", "--batch-size", "2")
    assert set(Article.objects.filter(scored_at__isnull=False).values_list("pk", flat=True)) == {a.pk for a in today}
    assert last_run().counters["scored"] == 5


def test_claim_order_is_created_utc_descending():
    from sentiment.selectors import articles_claimable

    rows = make_articles(6)
    order = list(articles_claimable().values_list("pk", flat=True))
    expected = [a.pk for a in sorted(rows, key=lambda a: (a.created_utc, a.pk), reverse=True)]
    assert order == expected


def test_dry_run_writes_nothing(finbert_settings):
    make_articles(12)
    out, _ = run("--dry-run", "--limit", "5", verbosity=2)
    assert "would score 5 articles" in out and "nothing written" in out
    assert Article.objects.filter(scored_at__isnull=True).count() == 12
    assert out.count(" | vader ") == 5


def test_model_vader(finbert_settings):
    finbert_settings.SENTIMENT_MODEL = "/definitely/missing"  # not even looked at
    make_articles(6)
    run("--model", "vader")
    rows = list(Article.objects.values_list("sentiment_model", "sentiment_label", "vader_label"))
    assert {r[0] for r in rows} == {"vader"}
    assert all(r[1] == r[2] for r in rows)


def test_vader_fallback_when_the_hub_model_is_not_available(finbert_settings, monkeypatch):
    monkeypatch.setattr(analyzers, "_warned_fallback", False)
    finbert_settings.SENTIMENT_MODEL = "marketpulse-test/not-in-cache"
    make_articles(4)
    out, err = run()
    assert "WARNING" in err and "scoring with VADER instead" in err
    assert set(Article.objects.values_list("sentiment_model", flat=True)) == {"vader"}
    assert last_run().counters["model"] == "vader"


@pytest.mark.parametrize("breakage", ["missing", "no-config", "corrupt-weights", "bad-labels"])
def test_fail_fast_before_claiming(finbert_settings, model_copy, model_factory, tmp_path, breakage):
    if breakage == "missing":
        finbert_settings.SENTIMENT_MODEL = str(tmp_path / "no-such-dir")
    elif breakage == "no-config":
        (model_copy / "config.json").unlink()
        finbert_settings.SENTIMENT_MODEL = str(model_copy)
    elif breakage == "corrupt-weights":
        (model_copy / "model.safetensors").write_bytes(b"\0" * 64)
        finbert_settings.SENTIMENT_MODEL = str(model_copy)
    else:
        finbert_settings.SENTIMENT_MODEL = str(model_factory(id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}))
    make_articles(5)
    with CaptureQueriesContext(connection) as ctx:
        with pytest.raises(CommandError, match="sentiment model unusable") as excinfo:
            run()
    assert excinfo.value.returncode == 3
    # One read says there is work (issue 16: an empty backlog skips the model); nothing is claimed.
    article_sql = [q["sql"] for q in ctx.captured_queries if "articles_article" in q["sql"]]
    assert len(article_sql) <= 1 and not any("UPDATE" in q or "FOR UPDATE" in q for q in article_sql), article_sql
    assert Article.objects.filter(scored_at__isnull=True).count() == 5
    job = last_run()
    assert job.status == JobRun.Status.FAILED and "sentiment model unusable" in job.error


def test_queries_grow_with_chunks_not_articles(finbert_settings, ticker):
    make_articles(128, ticker=ticker)
    with CaptureQueriesContext(connection) as ctx:
        run("--batch-size", "8")  # chunks of 32 -> 4 chunks (+1 empty claim)
    chunks = 5
    assert Article.objects.filter(scored_at__isnull=True).count() == 0
    assert len(ctx.captured_queries) <= 16 * chunks + 20, len(ctx.captured_queries)


def test_stop_between_batches_writes_the_finished_part_only(finbert_settings, tiny_model_dir):
    make_articles(20)
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=32, batch_size=4)

    handle = DryRunHandle()  # a run handle with no JobRun row: counters in memory only
    real = analyzer.score_batches

    def stop_after_first(texts):
        for item in real(texts):
            handle.stop_requested = True  # SIGTERM arrives during the first forward pass
            yield item

    analyzer.score_batches = stop_after_first
    outcome = articles_score(analyzer=analyzer, vader=VaderAnalyzer(), run=handle)
    assert outcome.stopped and outcome.scored == 4
    assert Article.objects.filter(scored_at__isnull=False).count() == 4
    # the rest of the claimed chunk is released untouched
    untouched = Article.objects.filter(scored_at__isnull=True)
    assert untouched.count() == 16
    assert not untouched.exclude(sentiment_model="", vader_label="").exists()


def test_write_skips_rows_another_worker_scored_meanwhile(finbert_settings):
    rows = make_articles(4)
    # Another worker scores row 0 between our read and our write (the SQLite race).
    Article.objects.filter(pk=rows[0].pk).update(
        scored_at=timezone.now(),
        sentiment_label="neutral",
        sentiment_score=0.0,
        sentiment_model="other",
    )
    scores = [("positive", 0.5, 0.7)] * 4
    written = _write(rows, scores, scores, "ours", None)
    assert sorted(pk for pk, _ in written) == sorted(r.pk for r in rows[1:])
    assert Article.objects.get(pk=rows[0].pk).sentiment_model == "other"
    assert Article.objects.filter(sentiment_model="ours").count() == 3
    assert set(SCORE_FIELDS) >= {"vader_label", "vader_score", "sentiment_model"}


def test_bad_arguments_exit_2():
    with pytest.raises(CommandError):
        call_command("analyze_sentiment", "--batch-size", "0")
    with pytest.raises(CommandError):
        call_command("analyze_sentiment", "--source", "twitter")
