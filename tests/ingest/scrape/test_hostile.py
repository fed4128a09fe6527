"""Issue 13, ingest half: one bad item never costs the good ones.

Real praw against the fake Reddit serving hostile items (lone surrogates, "12abc" and
3e9 scores, 5e9 comment counts, created_utc missing / a string / in the year 3000),
real database. Each test here failed before the scraper validated at the edge.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import COUNT_MAX, Article
from ingest.fakereddit import FakeReddit
from ingest.models import SubredditCheckpoint, ThreadCheckpoint
from ingest.validation import NUM_COMMENTS_MAX, SCORE_MAX, SCORE_MIN
from marketpulse.models import JobRun
from tests.ingest.strategies import to36

SUB = "wallstreetbets"
DAILY = "Daily Discussion Thread for November 28, 2026"
YEAR_3000 = 32503680000


class Ids:
    """Base-36 ids in creation order, as Reddit's grow."""

    def __init__(self, start: int = 36**5) -> None:
        self.next = start

    def __call__(self) -> str:
        self.next += 1
        return to36(self.next)


def post(id36: str, created: float, *, title: str = "Just a post about $TSLA", **extra: Any) -> dict[str, Any]:
    data = {
        "id": id36,
        "name": f"t3_{id36}",
        "subreddit": SUB,
        "title": title,
        "selftext": "GME and TSLA both",
        "author": "someone",
        "created_utc": created,
        "score": 10,
        "num_comments": 0,
        "permalink": f"/r/{SUB}/comments/{id36}/post/",
        "stickied": False,
        "removed_by_category": None,
    }
    data.update(extra)
    return data


def comment(id36: str, parent: dict[str, Any], created: float, **extra: Any) -> dict[str, Any]:
    data = {
        "id": id36,
        "name": f"t1_{id36}",
        "link_id": parent["name"] if parent["name"].startswith("t3_") else parent["link_id"],
        "parent_id": parent["name"],
        "subreddit": SUB,
        "author": "commenter",
        "body": f"comment {id36} on $NVDA",
        "created_utc": created,
        "score": 3,
        "permalink": "",
        "replies": "",
        "depth": 0,
    }
    data.update(extra)
    if extra.get("created_utc", 0) is _MISSING:
        del data["created_utc"]
    return data


_MISSING = object()


def scrape(*args: str) -> str:
    out = io.StringIO()
    call_command("scrape_reddit", *args, stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


def metrics_line(text: str) -> dict[str, Any]:
    lines = [line for line in text.splitlines() if line.startswith('{"_aws"')]
    assert lines, text
    return json.loads(lines[-1])


def stored(kind: str) -> set[str]:
    return set(Article.objects.filter(kind=kind).values_list("reddit_id", flat=True))


@pytest.fixture
def server():
    with FakeReddit(rate_limit=10_000, initial_comments=10, max_depth=4, more_chunk=8) as fake:
        yield fake


@pytest.fixture
def live(settings, server, tickers):
    settings.REDDIT_OAUTH_URL = settings.REDDIT_URL = server.url
    settings.REDDIT_CLIENT_ID, settings.REDDIT_CLIENT_SECRET = "x", "y"
    settings.REDDIT_SUBREDDITS = [SUB]
    return server


# ---------------------------------------------------------------------------- D1


def _thread_with_bad_comments(ids: Ids, now: float) -> tuple[dict, list[dict], dict[str, str | None]]:
    """A daily thread: 22 good comments (some replies), and beside them the hostile ones.

    Returns (post, comments, {fullname: expected rejection reason or None when it is stored}).
    """
    thread = post(ids(), now - 7200, title=DAILY, num_comments=30)
    comments: list[dict] = []
    expected: dict[str, str | None] = {}
    moment = now - 7000
    for k in range(22):
        moment += 60
        parent = comments[-1] if k % 4 == 3 else thread  # a few replies: a real tree
        c = comment(ids(), parent, moment)
        comments.append(c)
        expected[c["name"]] = None
    hostile = [
        ({"body": "lone \ud800 surrogate $TSLA"}, None),  # repaired (U+FFFD), stored
        ({"author": "bad\udfffname"}, None),  # repaired, stored
        ({"score": "12abc"}, None),  # junk count -> 0, stored
        ({"score": 3_000_000_000}, None),  # clamped to COUNT_MAX, stored
        ({"created_utc": _MISSING}, "created_utc_missing"),
        ({"created_utc": "yesterday"}, "created_utc_invalid"),
        ({"created_utc": 1e13}, "created_in_future"),
    ]
    for extra, reason in hostile:
        moment += 60
        c = comment(ids(), thread, moment, **extra)
        comments.append(c)
        expected[c["name"]] = reason
    return thread, comments, expected


@pytest.mark.django_db
def test_d1_one_bad_comment_never_costs_its_thread(live, capsys):
    now = timezone.now().timestamp()
    ids = Ids()
    others = [post(ids(), now - 9000 + i) for i in range(3)]
    thread, comments, expected = _thread_with_bad_comments(ids, now)
    live.add_dataset([*others, thread], comments)

    for attempt in (1, 2):  # the next run is as good as the first
        # An unchanged thread is fetched again once its last scrape is an hour old (issue 16).
        ThreadCheckpoint.objects.update(last_scraped_at=timezone.now() - timedelta(hours=2))
        out = scrape()
        run = JobRun.objects.filter(command="scrape_reddit").latest("pk")
        assert run.status == JobRun.Status.SUCCEEDED, run.error
        assert stored("comment") == {name for name, reason in expected.items() if reason is None}, attempt
        assert run.counters["errors"] == 0, run.counters
        assert run.counters["rejected"] == {"created_utc_missing": 1, "created_utc_invalid": 1, "created_in_future": 1}
        assert "3 rejected" in out
        line = metrics_line(capsys.readouterr().out)
        assert line["Failures"] == 0 and line["ItemsRejected"] == 3
        assert {m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]} >= {"ItemsRejected"}

    repaired = Article.objects.get(body__startswith="lone ")
    assert repaired.body == "lone \ufffd surrogate $TSLA" and repaired.mentions.count() == 1
    assert Article.objects.get(author="bad\ufffdname")
    assert Article.objects.filter(kind="comment", score=COUNT_MAX).count() == 1
    ckpt = ThreadCheckpoint.objects.get(reddit_id=thread["name"])
    assert ckpt.newest_comment_utc <= timezone.now()


@pytest.mark.django_db
def test_d1_a_rejected_comment_is_logged_once_with_its_fullname(live, caplog):
    now = timezone.now().timestamp()
    ids = Ids()
    thread, comments, expected = _thread_with_bad_comments(ids, now)
    live.add_dataset([thread], comments)
    with caplog.at_level("WARNING", logger="ingest.scrape.scraper"):
        scrape()
    for name, reason in expected.items():
        if reason is not None:
            lines = [r.getMessage() for r in caplog.records if name in r.getMessage()]
            assert len(lines) == 1 and reason in lines[0], (name, lines)


@pytest.mark.django_db
def test_d1_a_skipped_thread_counts_as_a_failure_in_the_metrics(live, capsys, monkeypatch):
    now = timezone.now().timestamp()
    ids = Ids()
    thread = post(ids(), now - 7200, title=DAILY)
    live.add_dataset([thread], [comment(ids(), thread, now - 7000)])
    monkeypatch.setattr("ingest.scrape.client.BACKOFF_START_SECONDS", 0.01)
    live.inject("truncated", path=rf"/comments/{thread['id']}", times=None)
    scrape()
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.SUCCEEDED and run.counters["errors"] == 1
    assert run.counters["threads_skipped"] == 1
    assert metrics_line(capsys.readouterr().out)["Failures"] == 1


@pytest.mark.django_db
def test_d1_a_rejected_thread_post_skips_the_thread_counted(live):
    now = timezone.now().timestamp()
    ids = Ids()
    good = post(ids(), now - 9000)
    thread = post(ids(), now - 7200, title=DAILY)
    live.add_dataset([good, thread], [comment(ids(), thread, now - 7000)])
    scrape()  # the thread is tracked
    live.state.posts[thread["id"]]["created_utc"] = "not a time"  # now Reddit sends junk for it
    scrape("--thread", thread["id"])
    run = JobRun.objects.latest("pk")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counters["rejected"] == {"created_utc_invalid": 1}
    assert run.counters["threads_skipped"] == 1


# ---------------------------------------------------------------------------- D2


@pytest.mark.django_db
def test_d2_one_bad_post_never_fails_the_subreddit(live, capsys):
    now = timezone.now().timestamp()
    ids = Ids()
    good = [post(ids(), now - 5000 + 60 * i) for i in range(10)]
    bad = post(ids(), now - 100, title="surrogate \udc00 title $GME", score=3e9, num_comments=5e9)
    unreadable = post(ids(), now - 50, created_utc="soon")
    live.add_dataset([*good, bad, unreadable], [])
    out = scrape()  # raises CommandError (exit 1) if the subreddit failed
    assert stored("post") == {p["name"] for p in [*good, bad]}
    row = Article.objects.get(reddit_id=bad["name"])
    assert row.title == "surrogate \ufffd title $GME"
    assert (row.score, row.num_comments) == (COUNT_MAX, COUNT_MAX)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.SUCCEEDED and run.counters["rejected"] == {"created_utc_invalid": 1}
    assert "1 rejected" in out
    assert metrics_line(capsys.readouterr().out)["ItemsRejected"] == 1


@pytest.mark.django_db
def test_d2_thread_with_huge_counts_is_stored(live):
    now = timezone.now().timestamp()
    ids = Ids()
    thread = post(ids(), now - 7200, title=DAILY, num_comments=5e9, score=10**30)
    live.add_dataset([thread], [comment(ids(), thread, now - 7000)])
    scrape()
    ckpt = ThreadCheckpoint.objects.get(reddit_id=thread["name"])
    assert ckpt.reddit_num_comments == COUNT_MAX
    assert Article.objects.get(reddit_id=thread["name"]).score == SCORE_MAX


def test_counts_are_clamped_far_inside_the_big_integer_columns():
    """score and num_comments are BigIntegerField; the edge clamps to +-COUNT_MAX (issue 30 item 11)."""
    assert Article._meta.get_field("score").get_internal_type() == "BigIntegerField"
    assert Article._meta.get_field("num_comments").get_internal_type() == "BigIntegerField"
    assert (
        (SCORE_MIN, SCORE_MAX, NUM_COMMENTS_MAX)
        == (-COUNT_MAX, COUNT_MAX, COUNT_MAX)
        == (-(2**31) + 1, 2**31 - 1, 2**31 - 1)
    )


# ---------------------------------------------------------------------------- D3


@pytest.mark.django_db
def test_d3_a_future_post_never_moves_the_checkpoint_past_now(live):
    now = timezone.now().timestamp()
    ids = Ids()
    old = [post(ids(), now - 86400 + 60 * i, score=1) for i in range(5)]
    future = post(ids(), YEAR_3000, score=1)
    live.add_dataset([*old, future], [])
    scrape()
    assert future["name"] not in stored("post")
    ckpt = SubredditCheckpoint.objects.get(subreddit=SUB)
    assert ckpt.newest_post_utc == datetime.fromtimestamp(old[-1]["created_utc"], tz=UTC)
    assert JobRun.objects.get().counters["rejected"] == {"created_in_future": 1}

    # More fresh posts than hot/top show (100 each): only /new, walked back to the checkpoint, finds them all.
    fresh = [post(ids(), now - 3000 + i, score=1) for i in range(150)]
    live.add_dataset(fresh, [])
    scrape()
    assert {p["name"] for p in fresh} <= stored("post")
    assert not Article.objects.filter(created_utc__gt=timezone.now() + timedelta(hours=1)).exists()


@pytest.mark.django_db
def test_d3_a_skewed_post_is_stored_but_the_checkpoint_stops_at_now(live):
    now = timezone.now().timestamp()
    ids = Ids()
    skewed = post(ids(), now + 1800)  # clock skew: within the tolerance, accepted
    live.add_dataset([post(ids(), now - 600), skewed], [])
    started = timezone.now()
    scrape()
    assert skewed["name"] in stored("post")
    assert started <= SubredditCheckpoint.objects.get(subreddit=SUB).newest_post_utc <= timezone.now()


@pytest.mark.django_db
def test_d3_a_checkpoint_already_in_the_future_heals(live):
    """A checkpoint poisoned before the fix (year 3000) no longer stops /new after one item."""
    now = timezone.now().timestamp()
    ids = Ids()
    old = [post(ids(), now - 86400 + 60 * i, score=1) for i in range(5)]
    live.add_dataset(old, [])
    scrape()
    SubredditCheckpoint.objects.update(newest_post_utc=datetime.fromtimestamp(YEAR_3000, tz=UTC))
    fresh = [post(ids(), now - 3000 + i, score=1) for i in range(150)]
    live.add_dataset(fresh, [])
    scrape()
    assert {p["name"] for p in fresh} <= stored("post")
    ckpt = SubredditCheckpoint.objects.get(subreddit=SUB)
    assert ckpt.newest_post_utc == datetime.fromtimestamp(fresh[-1]["created_utc"], tz=UTC)


@pytest.mark.django_db
def test_d3_thread_checkpoint_never_moves_past_now(live):
    now = timezone.now().timestamp()
    ids = Ids()
    thread = post(ids(), now - 7200, title=DAILY)
    skewed = comment(ids(), thread, now + 1800)  # within the tolerance: stored
    live.add_dataset([thread], [comment(ids(), thread, now - 7000), skewed])
    scrape()
    assert skewed["name"] in stored("comment")
    assert ThreadCheckpoint.objects.get(reddit_id=thread["name"]).newest_comment_utc <= timezone.now()


# ------------------------------------------------------- --dry-run and SIGTERM (audit)


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [False, True])
def test_sigterm_exits_143_and_dry_run_writes_no_jobrun(live, monkeypatch, dry_run):
    """A real SIGTERM to this process after the first batch: exit 143; a dry run writes no JobRun."""
    import os
    import signal

    from django.core.management import CommandError

    from ingest.scrape import scraper

    now = timezone.now().timestamp()
    ids = Ids()
    posts = [post(ids(), now - 9000 + i) for i in range(3)]
    thread = post(ids(), now - 7200, title=DAILY)
    live.add_dataset([*posts, thread], [comment(ids(), thread, now - 7000 + i) for i in range(5)])
    name = "articles_upsert_preview" if dry_run else "articles_upsert_retrying"
    real = getattr(scraper, name)

    def then_sigterm(**kwargs):
        result = real(**kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return result

    monkeypatch.setattr(scraper, name, then_sigterm)
    with pytest.raises(CommandError) as excinfo:
        scrape(*(["--dry-run"] if dry_run else []))
    assert excinfo.value.returncode == 143
    assert stored("comment") == set()  # stopped before the thread
    if dry_run:
        assert not JobRun.objects.exists() and not Article.objects.exists()
    else:
        run = JobRun.objects.get()
        assert run.status == JobRun.Status.INTERRUPTED and "SIGTERM" in run.error
        assert stored("post") == {p["name"] for p in [*posts, thread]}
