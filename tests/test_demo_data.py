"""The demo's bundled replay reads like a real day on r/wallstreetbets (issue 30 item 3):
no test strings, the daily threads dated today once the replay server moves the
timestamps to now, and a long that expired worthless reads bearish."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.fakereddit.datagen import HOSTILE
from ingest.fakereddit.server import FakeReddit
from sentiment.stance.cues import mention_stance

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "ingest" / "sample_data"


def _things() -> tuple[list[dict], list[dict]]:
    data = json.loads((SAMPLE / "wallstreetbets.json").read_text(encoding="utf-8"))
    return data["posts"], data["comments"]


def test_no_hostile_test_string_in_the_demo_data():
    posts, comments = _things()
    texts = [p["title"] for p in posts] + [p["selftext"] for p in posts] + [c["body"] for c in comments]
    for hostile in HOSTILE:
        assert not any(hostile in text for text in texts), hostile
    assert not any("DROP TABLE" in text or "<script>" in text or "&lt;" in text for text in texts)


def test_the_replayed_day_is_today():
    server = FakeReddit(data=SAMPLE, shift_to_now=True)
    now = time.time()
    posts = list(server.state.posts.values())
    comments = list(server.state.comments.values())
    newest = max(float(t["created_utc"]) for t in posts + comments)
    assert now - 120 <= newest <= now
    # Every post is from the last day (and a half: yesterday's daily thread), none days old.
    assert min(float(p["created_utc"]) for p in posts) >= now - 40 * 3600

    dated = [p for p in posts if re.match(r"(Daily Discussion Thread for|What Are Your Moves Tomorrow,) ", p["title"])]
    assert len(dated) == 3
    today = datetime.fromtimestamp(now - 8 * 3600, tz=UTC)  # the generator's "today": 8 h before the newest item
    near = {f"{d:%B %d, %Y}" for d in (today - timedelta(minutes=3), today + timedelta(minutes=3))}
    yesterday = {
        f"{d - timedelta(days=1):%B %d, %Y}" for d in (today - timedelta(minutes=3), today + timedelta(minutes=3))
    }
    for post in dated:
        date = post["title"].split(" for ")[-1].split(", ", 1)[-1] if "Moves" in post["title"] else post["title"][28:]
        created = float(post["created_utc"])
        assert date in (yesterday if created < now - 30 * 3600 else near), (
            post["title"],
            datetime.fromtimestamp(created, tz=UTC),
        )
        slug = "_".join(w for w in re.split(r"[^a-z0-9]+", post["title"].lower()) if w)[:50]
        assert f"/{slug}/" in post["permalink"]
        for comment in comments:
            if comment["link_id"] == post["name"]:
                assert f"/{slug}/" in comment["permalink"]


def test_a_long_that_expired_worthless_reads_bearish():
    _posts, comments = _things()
    worthless = [c["body"] for c in comments if "expiring worthless" in c["body"]]
    assert worthless
    for body in worthless:
        symbol = body.split()[1]
        assert mention_stance(body, [symbol], 0.0, "vader")[symbol].label == "bearish", body
