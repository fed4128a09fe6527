"""Issue 13, property-based: hostile Reddit data through the whole scrape, served by the fake Reddit.

Hypothesis generates posts and comment trees of random shape (`tests.ingest.strategies`)
and puts junk (`strategies.junk()`: None, huge ints, NaN, lone surrogates, NUL bytes,
"12abc", the year 3000, lists, dicts) in any field Reddit could send wrong; the fields
the fake server itself needs to build a tree (id, name, parent_id) stay as Reddit
sends them. Each example is served by ONE fake Reddit started for the module, scraped
in-process by the real command, and rolled back afterwards (a savepoint: cheap).

The oracle is `item_validate` on the JSON the server sent (the unit tests in
test_validation.py pin it, including praw objects == dicts). For every example:

* the command returns (exit 0): no item, however bad, fails the run;
* every item the oracle accepts is stored, exactly once; nothing else is;
* every item it rejects is counted under its reason in counters["rejected"];
* a thread whose post is rejected is skipped and counted (threads_skipped, errors);
* the checkpoints are at most now.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article
from ingest.fakereddit import FakeReddit
from ingest.fakereddit.server import ServerState
from ingest.models import SubredditCheckpoint, ThreadCheckpoint
from ingest.validation import Accepted, item_validate
from marketpulse.models import JobRun
from tests.ingest import strategies as rs

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
SUB = "wallstreetbets"

#: Fields junk may replace (or drop). Not id/name/parent_id/link_id/replies/depth: the
#: fake server and praw build the tree from those, as Reddit's tree answers always carry
#: them (praw reads a comment's link_id to load a "continue this thread" page). A junk
#: link_id, as a dump file can have, is test_validation.py's.
COMMENT_JUNK = ["body", "created_utc", "score", "ups", "permalink", "edited"]
POST_JUNK = ["title", "selftext", "created_utc", "score", "ups", "num_comments", "permalink", "edited"]
POST_JUNK += ["removed_by_category"]
#: praw turns these into objects and needs a non-empty string for them.
PRAW_STRINGS = ["author", "subreddit"]


@pytest.fixture(scope="module")
def server():
    with FakeReddit(rate_limit=10**9, initial_comments=4, max_depth=3, more_chunk=3) as fake:
        yield fake


@pytest.fixture
def live(settings, server, tickers):
    settings.REDDIT_OAUTH_URL = settings.REDDIT_URL = server.url
    settings.REDDIT_CLIENT_ID, settings.REDDIT_CLIENT_SECRET = "x", "y"
    settings.REDDIT_SUBREDDITS = [SUB]
    return server


def _spoil(draw: st.DrawFn, data: dict[str, Any], fields: list[str], praw_strings: list[str]) -> None:
    for key in fields:
        roll = draw(st.integers(0, 9))
        if roll == 9:
            data.pop(key, None)
        elif roll >= 6:
            data[key] = draw(rs.junk())
    for key in praw_strings:
        if draw(st.integers(0, 9)) >= 8:
            data[key] = draw(rs._praw_string())


@st.composite
def hostile_threads(draw: st.DrawFn) -> dict[str, Any]:
    """One post and its comment tree (any shape), junk in any field of any item."""
    data = draw(rs.comment_trees(hostile=True, max_comments=8))
    _spoil(draw, data["posts"][0], POST_JUNK, PRAW_STRINGS)
    for comment in data["comments"]:
        _spoil(draw, comment, COMMENT_JUNK, PRAW_STRINGS)
    return data


@st.composite
def hostile_listings(draw: st.DrawFn) -> dict[str, Any]:
    """A subreddit's posts (no comments), junk in any field but the subreddit that lists them."""
    data = draw(rs.reddit_datasets(min_posts=1, max_posts=6, max_comments=0, hostile=True))
    for post in data["posts"]:
        _spoil(draw, post, POST_JUNK, ["author"])
    return data


def _served(item: dict[str, Any]) -> dict[str, Any]:
    """What praw receives: the item after the server's JSON round trip."""
    return json.loads(json.dumps(item))


def _serve(server: FakeReddit, data: dict[str, Any]) -> None:
    with server._lock:
        server.state = ServerState()
        server.requests.clear()
    server.add_dataset(data["posts"], data["comments"])


def _scrape(*args: str) -> dict[str, Any]:
    """Run the command in a savepoint rolled back afterwards; returns what the checks need."""
    with transaction.atomic():
        call_command("scrape_reddit", *args, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
        names = list(Article.objects.values_list("reddit_id", flat=True))
        run = JobRun.objects.get()
        result = {
            "names": names,
            "status": run.status,
            "counters": run.counters,
            "subreddit_ckpts": list(SubredditCheckpoint.objects.values_list("newest_post_utc", flat=True)),
            "thread_ckpts": list(ThreadCheckpoint.objects.values_list("created_utc", "newest_comment_utc")),
        }
        transaction.set_rollback(True)
    return result


def _check_common(result: dict[str, Any], accepted: set[str], rejected: Counter) -> None:
    assert result["status"] == JobRun.Status.SUCCEEDED
    assert len(result["names"]) == len(set(result["names"])), "an item stored twice"
    assert set(result["names"]) == accepted
    assert Counter(result["counters"]["rejected"]) == rejected
    now = timezone.now()
    assert all(moment is None or moment <= now for moment in result["subreddit_ckpts"])
    for created, newest in result["thread_ckpts"]:
        assert created <= now and (newest is None or newest <= now)


@pytest.mark.django_db
@PROPERTY
@given(data=hostile_threads())
def test_property_a_hostile_thread_stores_every_valid_item_once(live, data):
    _serve(live, data)
    post = data["posts"][0]
    verdict = item_validate(_served(post), kind="post")
    accepted: set[str] = set()
    rejected: Counter = Counter()
    if isinstance(verdict, Accepted):
        accepted.add(verdict.fullname)
        for comment in data["comments"]:
            result = item_validate(_served(comment), kind="comment", subreddit=verdict.row["subreddit"])
            if isinstance(result, Accepted):
                accepted.add(result.fullname)
            else:
                rejected[result.reason] += 1
    else:
        rejected[verdict.reason] += 1

    result = _scrape("--thread", post["id"], "--budget", "500")  # raises (exit != 0) if the run failed

    _check_common(result, accepted, rejected)
    skipped = 0 if isinstance(verdict, Accepted) else 1
    assert (result["counters"]["threads_skipped"], result["counters"]["errors"]) == (skipped, skipped)


@pytest.mark.django_db
@PROPERTY
@given(data=hostile_listings())
def test_property_hostile_listings_store_every_valid_post_once(live, data):
    _serve(live, data)
    accepted: set[str] = set()
    rejected: Counter = Counter()
    for post in data["posts"]:
        result = item_validate(_served(post), kind="post")
        if isinstance(result, Accepted):
            accepted.add(result.fullname)
        else:
            rejected[result.reason] += 1

    result = _scrape("--mode", "incremental")

    _check_common(result, accepted, rejected)
    assert result["counters"]["errors"] == 0
