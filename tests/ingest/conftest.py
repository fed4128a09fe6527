"""Fixtures for the ingest tests: tickers, a fake Reddit with fresh WSB-style data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.fakereddit import FakeReddit
from ingest.fakereddit.datagen import TICKERS, wsb_sample

# Recorded Reddit API exchanges (Betamax cassettes), kept in the repository: see their README.md.
SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "reddit-api-samples"
# Symbols that are real tickers and English words: in the table, on the linker's stop list.
ENGLISH_TICKERS = "A I IT DD CEO YOLO ATH IMO FD ON GO ARE CAN NOW ALL EV USA BRK.B".split()


@pytest.fixture
def tickers(db):
    from articles.models import Ticker

    Ticker.objects.bulk_create(
        [Ticker(symbol=s, name=f"{s} Inc.") for s in sorted(set(TICKERS + ENGLISH_TICKERS))], ignore_conflicts=True
    )
    return {t.symbol: t for t in Ticker.objects.all()}


@pytest.fixture
def dataset() -> dict:
    """The demo's shape, smaller, ending now so every thread counts as live."""
    return wsb_sample(seed=7, newest=datetime.now(tz=UTC), daily_comments=150, moves_comments=60, other_posts=12)


def discussion_comment_ids(data: dict) -> set[str]:
    from ingest.upsert import thread_kind

    threads = {p["name"] for p in data["posts"] if thread_kind(p["title"])}
    return {c["name"] for c in data["comments"] if c["link_id"] in threads}


@pytest.fixture
def fake_reddit(dataset):
    # Small pages so the tree needs `more` expansions and "continue this thread".
    server = FakeReddit(rate_limit=10_000, initial_comments=40, max_depth=5, more_chunk=25)
    server.add_dataset(dataset["posts"], dataset["comments"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def reddit_settings(settings, fake_reddit):
    settings.REDDIT_OAUTH_URL = fake_reddit.url
    settings.REDDIT_URL = fake_reddit.url
    settings.REDDIT_CLIENT_ID = "test-client"
    settings.REDDIT_CLIENT_SECRET = "test-secret"
    settings.REDDIT_SUBREDDITS = ["wallstreetbets"]
    return settings


@pytest.fixture
def reddit_env(subprocess_env, fake_reddit) -> dict[str, str]:
    env = dict(subprocess_env)
    env.update(
        REDDIT_OAUTH_URL=fake_reddit.url,
        REDDIT_URL=fake_reddit.url,
        REDDIT_CLIENT_ID="test-client",
        REDDIT_CLIENT_SECRET="test-secret",
        REDDIT_SUBREDDITS="wallstreetbets",
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    return env


def cassette_comment_ids(path: Path) -> tuple[str, set[str]]:
    """Every comment id in a recorded thread, found by walking the cassette independently."""
    cassette = json.loads(path.read_text())
    ids: set[str] = set()
    post = ""

    def walk(node):
        nonlocal post
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("kind") == "t1":
                ids.add(node["data"]["name"])
                walk(node["data"].get("replies") or [])
            elif node.get("kind") == "t3":
                post = post or node["data"]["name"]
            elif node.get("kind") == "Listing":
                walk(node["data"]["children"])
            elif "json" in node:
                walk(node["json"]["data"]["things"])

    for interaction in cassette["interactions"][1:]:
        walk(json.loads(interaction["response"]["body"]["string"]))
    return post, ids
