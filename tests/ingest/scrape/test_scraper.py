"""scrape_reddit end to end: real praw against the fake Reddit, real database."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Mention, Ticker, TickerHourly
from ingest.models import ScrapeLock, SubredditCheckpoint, ThreadCheckpoint
from marketpulse.models import JobRun
from tests.ingest.conftest import SAMPLES, cassette_comment_ids, discussion_comment_ids


def scrape(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command("scrape_reddit", *args, stdout=out, stderr=io.StringIO(), verbosity=0, **kwargs)
    return out.getvalue()


def stored_ids(kind: str) -> list[str]:
    return list(Article.objects.filter(kind=kind).values_list("reddit_id", flat=True))


@pytest.mark.django_db
def test_full_incremental_run(reddit_settings, tickers, fake_reddit, dataset):
    out = scrape("--mode", "incremental")
    expected_comments = discussion_comment_ids(dataset)
    comments = stored_ids("comment")
    assert len(comments) == len(set(comments)) == len(expected_comments)
    assert set(comments) == expected_comments
    assert set(stored_ids("post")) == {p["name"] for p in dataset["posts"]}
    # The tree needed `more` expansions and "continue this thread" fetches.
    assert fake_reddit.count(r"/api/morechildren") > 0
    assert fake_reddit.count(r"/comments/[a-z0-9]+/_/") > 0

    run = JobRun.objects.get(command="scrape_reddit")
    assert run.status == JobRun.Status.SUCCEEDED
    c = run.counters
    assert c["comments_new"] == len(expected_comments) and c["posts_new"] == len(dataset["posts"])
    assert (
        c["threads"] == 3
        and c["requests"] == len(fake_reddit.requests)
        and c["mentions"] == Mention.objects.count() > 0
    )
    assert f"{c['comments_new']} new" in out and "requests" in out

    # Deleted/removed comments are kept, without text.
    source = {x["name"]: x for x in dataset["comments"]}
    removed = Article.objects.filter(is_removed=True, kind="comment")
    assert removed.exists()
    for article in removed:
        assert article.body == "" and source[article.reddit_id]["body"] in {"[deleted]", "[removed]"}
    # Hostile text: stored verbatim except the NUL byte; no mention inside code or quotes.
    hostile = Article.objects.get(body__contains="Zero\u200bwidth")
    assert "\x00" not in hostile.body and "$PLTR" in hostile.body
    assert set(hostile.mentions.values_list("ticker__symbol", flat=True)) == {"NVDA", "PLTR"}
    code = Article.objects.get(body__startswith="```")
    assert list(code.mentions.values_list("ticker__symbol", flat=True)) == ["AMD"]
    # Mentions carry their article's time; rollups were refreshed.
    for mention in Mention.objects.select_related("article")[:200]:
        assert mention.created_utc == mention.article.created_utc
    assert TickerHourly.objects.exists()
    assert sum(TickerHourly.objects.values_list("mentions", flat=True)) == Mention.objects.count()
    # Checkpoints.
    daily = ThreadCheckpoint.objects.get(
        kind="daily", title__startswith="Daily", created_utc__gte=run.started_at - timedelta(hours=20)
    )
    assert daily.comments_seen == daily.reddit_num_comments > 0
    assert (
        daily.newest_comment_utc
        == Article.objects.filter(parent_post_id=daily.reddit_id).latest("created_utc").created_utc
    )
    assert (
        SubredditCheckpoint.objects.get(subreddit="wallstreetbets").newest_post_utc
        == Article.objects.filter(kind="post").latest("created_utc").created_utc
    )
    assert not ScrapeLock.objects.exists()  # released


@pytest.mark.django_db
def test_second_run_adds_nothing_and_updates_scores(reddit_settings, tickers, fake_reddit, dataset):
    scrape()
    before = Article.objects.count()
    mentions = Mention.objects.count()
    fake_reddit.bump_scores(7)
    # The threads' comment counts did not move: they are not fetched again within the hour
    # (issue 16), only the posts' scores from the listings are refreshed.
    scrape()
    quick = JobRun.objects.filter(command="scrape_reddit").order_by("-started_at").first().counters
    assert quick["threads_unchanged"] == ThreadCheckpoint.objects.count() and quick["comments_updated"] == 0
    assert quick["posts_updated"] == len(dataset["posts"])
    # An hour later they are fetched again for edits, deletions and comment scores.
    ThreadCheckpoint.objects.update(last_scraped_at=timezone.now() - timedelta(minutes=61))
    scrape()
    assert Article.objects.count() == before
    assert Mention.objects.count() == mentions
    second = JobRun.objects.filter(command="scrape_reddit").order_by("-started_at").first().counters
    assert second["comments_new"] == 0 and second["posts_new"] == 0
    assert second["comments_updated"] == len(discussion_comment_ids(dataset))
    assert second["posts_updated"] == 0  # refreshed by the run before
    source = {x["name"]: x["score"] for x in [*dataset["comments"], *dataset["posts"]]}
    sample = Article.objects.order_by("?")[:50]
    for article in sample:
        assert article.score == source[article.reddit_id] + 7


@pytest.mark.django_db
def test_edited_and_deleted_comments_are_relinked(reddit_settings, tickers, fake_reddit, dataset):
    scrape()
    target = Article.objects.filter(kind="comment", is_removed=False).exclude(mentions=None).first()
    Article.objects.filter(pk=target.pk).update(
        sentiment_label="positive", sentiment_score=0.5, scored_at=target.created_utc
    )
    edited = Article.objects.filter(kind="comment", is_removed=False).exclude(pk=target.pk).first()
    id36 = target.reddit_id[3:]
    fake_reddit.state.comments[id36]["body"] = "[deleted]"
    fake_reddit.state.comments[id36]["author"] = "[deleted]"
    fake_reddit.state.comments[edited.reddit_id[3:]]["body"] = "edit: switched to $COIN"
    # No new comment moved the threads' counts: edits are picked up by the hourly refetch.
    ThreadCheckpoint.objects.update(last_scraped_at=timezone.now() - timedelta(minutes=61))
    scrape()
    target.refresh_from_db()
    assert target.is_removed and target.body == "" and target.mentions.count() == 0
    assert target.scored_at is None and target.sentiment_label == ""  # back in the backlog
    assert list(Article.objects.get(pk=edited.pk).mentions.values_list("ticker__symbol", flat=True)) == ["COIN"]
    assert sum(TickerHourly.objects.values_list("mentions", flat=True)) == Mention.objects.count()


@pytest.mark.django_db
def test_never_link_takes_effect_on_next_run(reddit_settings, tickers, fake_reddit):
    Ticker.objects.filter(symbol="GME").update(is_active=False)
    scrape()
    assert Mention.objects.exists()
    assert not Mention.objects.filter(ticker__symbol="GME").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("429", r"/comments/"),
        ("500", r"/api/morechildren"),
        ("truncated", r"/comments/"),
        ("429", r"/r/wallstreetbets/new"),
    ],
)
def test_recovers_from_reddit_errors(reddit_settings, tickers, fake_reddit, dataset, monkeypatch, kind, path):
    monkeypatch.setattr("ingest.scrape.client.BACKOFF_START_SECONDS", 0.05)
    fake_reddit.inject(kind, path=path, times=2 if kind != "500" else 1, retry_after=1)
    scrape()
    statuses = [r.status for r in fake_reddit.requests]
    if kind == "429":
        assert statuses.count(429) == 2
    elif kind == "500":
        assert statuses.count(500) == 1
    else:  # the truncated answers were retried: the same path was asked for twice more
        assert fake_reddit.faults[0].hits == 2
    assert set(stored_ids("comment")) == discussion_comment_ids(dataset)
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_one_bad_thread_does_not_stop_the_run(reddit_settings, tickers, fake_reddit, dataset, monkeypatch):
    monkeypatch.setattr("ingest.scrape.client.BACKOFF_START_SECONDS", 0.05)
    moves = next(p for p in dataset["posts"] if p["title"].startswith("What Are Your Moves"))
    fake_reddit.inject("truncated", path=rf"/comments/{moves['id']}", times=None)
    out = scrape()
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.SUCCEEDED and run.counters["errors"] == 1
    assert "1 errors" in out
    stored = set(stored_ids("comment"))
    assert stored and not any(c["link_id"] == moves["name"] for c in dataset["comments"] if c["name"] in stored)
    others = set(discussion_comment_ids(dataset)) - {
        c["name"] for c in dataset["comments"] if c["link_id"] == moves["name"]
    }
    assert stored == others


@pytest.mark.django_db
def test_request_budget_stops_early_and_next_run_continues(reddit_settings, tickers, fake_reddit, dataset):
    out = scrape("--budget", "8")
    assert "budget" in out
    assert len(fake_reddit.requests) == 8
    first = set(stored_ids("comment"))
    assert first < discussion_comment_ids(dataset)
    scrape()
    assert set(stored_ids("comment")) == discussion_comment_ids(dataset)


@pytest.mark.django_db
def test_dry_run_writes_nothing(reddit_settings, tickers, fake_reddit):
    out = scrape("--dry-run")
    assert "dry run" in out and "comments" in out
    assert not Article.objects.exists() and not JobRun.objects.exists() and not ThreadCheckpoint.objects.exists()


@pytest.mark.django_db
def test_max_comments_and_max_threads(reddit_settings, tickers, fake_reddit):
    scrape("--max-threads", "1", "--max-comments", "30")
    assert ThreadCheckpoint.objects.count() == 1
    assert Article.objects.filter(kind="comment").count() == 30
    # The per-thread cap does not stop the other threads.
    scrape("--max-threads", "3", "--max-comments", "30")
    assert ThreadCheckpoint.objects.count() == 3
    per_thread = [
        Article.objects.filter(parent_post_id=t).count()
        for t in ThreadCheckpoint.objects.values_list("reddit_id", flat=True)
    ]
    assert all(0 < n <= 30 for n in per_thread), per_thread
    assert JobRun.objects.order_by("-started_at").first().status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_verbosity_2_details_each_thread(reddit_settings, tickers, fake_reddit):
    out = io.StringIO()
    call_command("scrape_reddit", stdout=out, stderr=io.StringIO(), verbosity=2)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("thread t3_")]
    assert len(lines) == 3 and all("comments fetched" in line for line in lines)
    assert "thread t3_" not in scrape()  # verbosity 0 (and 1): only the summary


@pytest.mark.django_db
def test_status(reddit_settings, tickers, fake_reddit):
    scrape()
    out = scrape("--mode", "status")
    assert "Tracked threads" in out and "Daily Discussion Thread" in out and "Backlog:" in out and "succeeded" in out
    assert JobRun.objects.count() == 1  # status records no run


@pytest.mark.django_db
def test_backfill_says_when_the_range_cannot_be_covered(reddit_settings, tickers, fake_reddit, dataset):
    out = scrape("--mode", "backfill", "--since", "2020-01-01")
    assert "cannot be covered" in out
    assert set(stored_ids("post")) == {p["name"] for p in dataset["posts"]}
    assert JobRun.objects.get().counters["uncovered"].startswith("r/wallstreetbets")


@pytest.mark.django_db
def test_thread_option_and_bad_arguments(reddit_settings, tickers, fake_reddit, dataset):
    other = next(p for p in dataset["posts"] if p["num_comments"] > 0 and not p["title"].startswith(("Daily", "What")))
    scrape("--thread", other["id"])
    assert set(stored_ids("comment")) == {c["name"] for c in dataset["comments"] if c["link_id"] == other["name"]}
    assert ThreadCheckpoint.objects.get().kind == "requested"
    from django.core.management import CommandError

    with pytest.raises(CommandError) as err:
        scrape("--mode", "backfill")
    assert err.value.returncode == 2


@pytest.mark.django_db
def test_writes_grow_with_batches_not_items(tickers):
    """articles_upsert: the same number of queries for 50 items as for 500."""
    from datetime import datetime

    from ingest.upsert import articles_upsert, ticker_index_load

    index = ticker_index_load()

    def items(n, offset):
        now = datetime.now(tz=UTC)
        return [
            {
                "reddit_id": f"t1_q{offset + i}",
                "kind": "comment",
                "subreddit": "wallstreetbets",
                "parent_post_id": "t3_p",
                "title": "",
                "body": f"$TSLA and NVDA #{i}",
                "author": "a",
                "permalink": "",
                "score": i,
                "num_comments": 0,
                "is_removed": False,
                "created_utc": now - timedelta(minutes=i),
            }
            for i in range(n)
        ]

    with CaptureQueriesContext(connection) as small:
        articles_upsert(items=items(50, 0), index=index)
    with CaptureQueriesContext(connection) as large:
        articles_upsert(items=items(500, 1000), index=index)
    if connection.vendor == "postgresql":
        assert len(large) <= len(small) + 2, (len(small), len(large))
    else:  # Django caps SQLite statements at 999 parameters: one INSERT per ~50 articles, ~90 mentions
        assert len(large) <= len(small) + 25, (len(small), len(large))
    assert len(large) < 40
    assert Mention.objects.count() == 1100


@pytest.mark.django_db
def test_replay_of_a_large_recorded_thread_stores_every_comment_once(settings, tickers):
    """TestCommentForest.test_replace__all_large: 1 tree fetch, 3 'continue' fetches, 232 morechildren."""
    from ingest.fakereddit import FakeReddit

    cassette = SAMPLES / "TestCommentForest.test_replace__all_large.json"
    post, expected = cassette_comment_ids(cassette)
    with FakeReddit(data=cassette) as server:
        settings.REDDIT_OAUTH_URL = settings.REDDIT_URL = server.url
        settings.REDDIT_CLIENT_ID, settings.REDDIT_CLIENT_SECRET = "x", "y"
        scrape("--thread", post, "--budget", "400")
        comments = stored_ids("comment")
        assert len(comments) == len(set(comments)) == len(expected) == 1428
        assert set(comments) == expected
        assert server.count("/api/morechildren") == 232
        assert all(r.status == 200 for r in server.requests)
        scrape("--thread", post, "--budget", "400")
        assert Article.objects.filter(kind="comment").count() == 1428
    assert Article.objects.filter(reddit_id=post, kind="post").exists()


def test_progress_bar_on_a_terminal_log_lines_otherwise(monkeypatch, caplog, capsys):
    from ingest.scrape.progress import Progress

    monkeypatch.setattr("ingest.scrape.progress.LOG_EVERY_SECONDS", 0.0)
    counters = {"threads": 1, "comments_new": 5, "requests": 3}
    with caplog.at_level("INFO", logger="ingest.scrape.progress"):
        plain = Progress(tty=False, label="scrape_reddit")
        plain.update(5, counters, "thread t3_x")
        plain.close()
    assert "comments new=5" in caplog.text and "requests=3" in caplog.text
    bar = Progress(tty=True, label="scrape_reddit")
    bar.update(5, counters, "thread t3_x")
    bar.close()
    assert "scrape_reddit" in capsys.readouterr().err


@pytest.mark.django_db
def test_tight_budget_expands_newest_first_and_the_next_run_catches_up(reddit_settings, tickers, fake_reddit, dataset):
    daily = max((p for p in dataset["posts"] if p["title"].startswith("Daily")), key=lambda p: p["created_utc"])
    thread = sorted((c for c in dataset["comments"] if c["link_id"] == daily["name"]), key=lambda c: -c["created_utc"])
    scrape("--thread", daily["id"], "--budget", "6")  # token, the tree, four expansions
    assert fake_reddit.count("/api/morechildren") + fake_reddit.count(r"/comments/[a-z0-9]+/_/") == 4
    stored = set(stored_ids("comment"))
    assert 0 < len(stored) < len(thread)
    # Stubs hiding the newest ids go first ("continue this thread" ones before all):
    # what is left behind is, on the whole, the older part of the thread.
    assert thread[0]["name"] in stored
    kept = [n for n, c in enumerate(thread) if c["name"] in stored]
    left = [n for n, c in enumerate(thread) if c["name"] not in stored]
    assert sum(kept) / len(kept) < sum(left) / len(left)
    ckpt = ThreadCheckpoint.objects.get(reddit_id=daily["name"])
    assert ckpt.unexpanded_more > 0 and ckpt.comments_seen == len(stored)
    assert "'more' stubs left" in scrape("--mode", "status")
    scrape("--thread", daily["id"])
    assert set(stored_ids("comment")) == {c["name"] for c in thread}
    assert ThreadCheckpoint.objects.get(reddit_id=daily["name"]).unexpanded_more == 0


@pytest.mark.django_db
def test_rate_limit_headers_pace_the_run_instead_of_hitting_429(reddit_settings, tickers, fake_reddit, dataset):
    import time

    fake_reddit.rate_limit, fake_reddit.window_seconds = 6, 1
    started = time.monotonic()
    scrape()
    assert time.monotonic() - started >= 1  # it waited for at least one window reset
    assert [r.status for r in fake_reddit.requests if r.status == 429] == []
    assert set(stored_ids("comment")) == discussion_comment_ids(dataset)


@pytest.mark.django_db
def test_checkpoint_commits_with_its_batch_or_not_at_all(reddit_settings, tickers, fake_reddit, monkeypatch):
    """A failure late in a batch (here: the rollup refresh) rolls back the rows and the checkpoint together."""

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("ingest.upsert.rollups_refresh_for_articles", boom)
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        scrape()
    assert not Article.objects.exists() and not Mention.objects.exists()
    assert not SubredditCheckpoint.objects.exists() and not ThreadCheckpoint.objects.exists()
    assert JobRun.objects.get().status == JobRun.Status.FAILED


@pytest.mark.django_db
def test_stored_posts_outside_the_listings_are_refreshed_through_api_info(
    reddit_settings, tickers, fake_reddit, dataset, monkeypatch
):
    scrape()
    monkeypatch.setattr("ingest.fakereddit.server.LISTING_CAP", 3)  # listings now show only a few posts
    fake_reddit.bump_scores(11)
    scrape()
    assert fake_reddit.count(r"/api/info") >= 1
    source = {p["name"]: p["score"] for p in dataset["posts"]}
    for post in Article.objects.filter(kind="post"):
        assert post.score == source[post.reddit_id] + 11, post.reddit_id


@pytest.mark.django_db
def test_a_deadlocked_batch_is_retried_whole(reddit_settings, tickers, fake_reddit, dataset, monkeypatch):
    from django.db import OperationalError

    from articles import services as article_services

    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch: its rows are already written when this fails
            raise OperationalError("deadlock detected")
        return article_services.rollups_refresh_for_articles(**kwargs)

    monkeypatch.setattr("ingest.upsert.rollups_refresh_for_articles", flaky)
    scrape()
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED
    comments = stored_ids("comment")
    assert len(comments) == len(set(comments)) and set(comments) == discussion_comment_ids(dataset)
    run = JobRun.objects.get().counters
    assert run["comments_new"] == len(comments)  # the rolled-back attempt is not counted twice
    assert sum(TickerHourly.objects.values_list("mentions", flat=True)) == Mention.objects.count()


@pytest.mark.django_db
def test_a_scrape_that_finds_nothing_new_writes_no_article_mention_or_rollup(
    reddit_settings, tickers, fake_reddit, dataset
):
    """Issue 16: most 15-minute runs find little; one that finds nothing must cost nothing
    but the fetch. Only the run's own bookkeeping is written (its JobRun row, the scrape
    lock, each thread checkpoint's last_scraped_at); no article, mention or rollup row."""
    import re
    import time

    scrape()
    articles = list(Article.objects.order_by("pk").values_list("pk", "updated_at", "score"))
    hourly = list(TickerHourly.objects.order_by("pk").values_list("pk", "mentions", "updated_at"))
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        scrape()
        took = time.perf_counter() - started
    writes = set()
    for query in ctx.captured_queries:
        m = re.match(r'\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)', query["sql"])
        if m:
            writes.add(m.group(2))
    assert writes <= {"marketpulse_jobrun", "ingest_scrapelock", "ingest_threadcheckpoint"}, writes
    assert list(Article.objects.order_by("pk").values_list("pk", "updated_at", "score")) == articles
    assert list(TickerHourly.objects.order_by("pk").values_list("pk", "mentions", "updated_at")) == hourly
    run = JobRun.objects.filter(command="scrape_reddit").order_by("-started_at").first()
    assert run.status == JobRun.Status.SUCCEEDED
    assert all(run.counters[k] == 0 for k in ("posts_new", "posts_updated", "comments_new", "comments_updated"))
    # The fetch is the whole cost: a fixed number of queries per thread, not per comment.
    assert len(ctx.captured_queries) < 80, len(ctx.captured_queries)
    assert took < 5, took
