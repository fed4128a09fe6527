"""Issue 30, item 13: a refused endpoint or a malformed listing child never stops the scrape.

Real praw against the fake Reddit (`FakeReddit.inject`: 403/404 answers, a listing child
whose `data` is a string, an int or a list), real database. Before the fix a 403 or 404
on /api/info (the score refresh of stored posts) failed the whole subreddit, so its
threads were never fetched (0 comments instead of all of them), and one bad child crashed
praw's parsing of its whole listing page.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article
from ingest.scrape.client import RedditClient
from marketpulse.models import JobRun
from tests.ingest.conftest import discussion_comment_ids

BAD_DATA = ["not an object", 7, [1, 2]]


def scrape(*args: str) -> str:
    out = io.StringIO()
    call_command("scrape_reddit", *args, stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


def stored(kind: str) -> set[str]:
    return set(Article.objects.filter(kind=kind).values_list("reddit_id", flat=True))


def stale_posts(n: int = 3) -> None:
    """Young posts stored by an earlier run and no longer in any listing: the run refreshes them via /api/info."""
    now = timezone.now()
    for i in range(n):
        Article.objects.create(
            reddit_id=f"t3_stale{i}",
            kind="post",
            subreddit="wallstreetbets",
            title=f"an older post {i}",
            author="someone",
            score=1,
            created_utc=now - timedelta(hours=5 + i),
        )


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["403", "404"])
def test_a_refused_score_refresh_fails_alone(reddit_settings, tickers, fake_reddit, dataset, status):
    stale_posts()
    fake_reddit.inject(status, path=r"^/api/info", times=None)
    out = scrape()  # raised CommandError (the subreddit failed) before the fix
    assert fake_reddit.count(r"^/api/info") >= 1
    assert stored("comment") == discussion_comment_ids(dataset)  # every thread was still fetched
    assert {p["name"] for p in dataset["posts"]} <= stored("post")
    run = JobRun.objects.get(command="scrape_reddit")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counters["steps_failed"] == 1 and run.counters["errors"] == 1
    assert "1 step failed" in out


@pytest.mark.django_db
def test_a_refused_listing_fails_alone(reddit_settings, tickers, fake_reddit, dataset):
    fake_reddit.inject("403", path=r"^/r/wallstreetbets/top", times=None)
    scrape()
    assert stored("comment") == discussion_comment_ids(dataset)
    run = JobRun.objects.get(command="scrape_reddit")
    assert run.status == JobRun.Status.SUCCEEDED and run.counters["steps_failed"] == 1


@pytest.mark.django_db
def test_every_step_refused_fails_the_subreddit(reddit_settings, tickers, fake_reddit):
    """Nothing fetched at all is still a failed subreddit (exit 1), not a quiet success."""
    fake_reddit.inject("403", path=r"^/r/", times=None)
    with pytest.raises(CommandError):
        scrape()
    run = JobRun.objects.get(command="scrape_reddit")
    assert run.status == JobRun.Status.FAILED and run.counters["steps_failed"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize("data", BAD_DATA, ids=["string", "int", "list"])
def test_a_malformed_listing_child_is_a_counted_reject(reddit_settings, tickers, fake_reddit, dataset, data):
    stale_posts()
    for path in (r"^/r/wallstreetbets/new", r"^/api/info", r"^/comments/", r"^/api/morechildren"):
        fake_reddit.inject("bad_child", path=path, times=None, child_data=data)
    scrape()
    assert stored("comment") == discussion_comment_ids(dataset)
    assert {p["name"] for p in dataset["posts"]} <= stored("post")
    run = JobRun.objects.get(command="scrape_reddit")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counters["errors"] == 0 and run.counters["steps_failed"] == 0
    rejected = run.counters["rejected"]
    assert list(rejected) == ["not_a_reddit_item"] and rejected["not_a_reddit_item"] >= 4  # one per answer at least


def test_praw_leaves_a_malformed_child_out_of_its_page_and_reports_it(reddit_settings, fake_reddit, dataset):
    fake_reddit.inject("bad_child", path=r"^/r/wallstreetbets/new", child_data=7)
    reported: list = []
    client = RedditClient(budget=10, on_malformed=reported.append)
    names = [t.name for t in client.reddit.subreddit("wallstreetbets").new(limit=100)]
    assert names == [p["name"] for p in sorted(dataset["posts"], key=lambda p: p["created_utc"], reverse=True)]
    assert reported == [{"kind": "t3", "data": 7}]
