"""The fake Reddit answers in Reddit's shapes, with rate-limit headers and faults."""

from __future__ import annotations

import requests

from tests.ingest.conftest import SAMPLES


def _get(server, path, **params):
    return requests.get(server.url + path, params=params, headers={"Authorization": "bearer x"}, timeout=5)


def test_token_listing_and_headers(fake_reddit):
    token = requests.post(
        fake_reddit.url + "/api/v1/access_token", data={"grant_type": "client_credentials"}, auth=("a", "b"), timeout=5
    )
    assert token.status_code == 200 and token.json()["token_type"] == "bearer"
    page = _get(fake_reddit, "/r/wallstreetbets/new", limit=5, raw_json=1)
    assert page.status_code == 200
    assert {"x-ratelimit-used", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(page.headers)
    data = page.json()["data"]
    assert data["dist"] == 5 and data["after"] == data["children"][-1]["data"]["name"]
    times = [c["data"]["created_utc"] for c in data["children"]]
    assert times == sorted(times, reverse=True)
    nxt = _get(fake_reddit, "/r/wallstreetbets/new", limit=5, after=data["after"]).json()["data"]["children"]
    assert nxt[0]["data"]["created_utc"] <= times[-1]


def test_unauthorised_without_bearer(fake_reddit):
    assert requests.get(fake_reddit.url + "/r/wallstreetbets/new", timeout=5).status_code == 401


def test_tree_has_more_and_continue_stubs(fake_reddit, dataset):
    daily = next(p for p in dataset["posts"] if p["title"].startswith("Daily") and p["stickied"])
    post, comments = _get(fake_reddit, f"/comments/{daily['id']}/", sort="new", limit=2048).json()
    assert post["data"]["children"][0]["data"]["id"] == daily["id"]
    kinds: list[dict] = []

    def walk(children):
        for child in children:
            kinds.append(child)
            if child["kind"] == "t1" and child["data"]["replies"]:
                walk(child["data"]["replies"]["data"]["children"])

    walk(comments["data"]["children"])
    mores = [k["data"] for k in kinds if k["kind"] == "more"]
    assert any(m["count"] > 0 and m["children"] for m in mores), "expected a `more` stub with ids"
    assert any(m["count"] == 0 and m["id"] == "_" for m in mores), "expected a 'continue this thread' stub"
    ids = next(m for m in mores if m["children"])["children"]
    things = requests.post(
        fake_reddit.url + "/api/morechildren",
        data={"children": ",".join(ids), "link_id": daily["name"], "api_type": "json"},
        headers={"Authorization": "bearer x"},
        timeout=5,
    ).json()["json"]["data"]["things"]
    assert [t["data"]["id"] for t in things] == ids


def test_faults(fake_reddit):
    fake_reddit.inject("429", path="/new", retry_after=3)
    fake_reddit.inject("500", path="/hot")
    fake_reddit.inject("truncated", path="/top")
    limited = _get(fake_reddit, "/r/wallstreetbets/new")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert _get(fake_reddit, "/r/wallstreetbets/new").status_code == 200  # only once
    assert _get(fake_reddit, "/r/wallstreetbets/hot").status_code == 500
    truncated = _get(fake_reddit, "/r/wallstreetbets/top")
    assert truncated.status_code == 200
    try:
        truncated.json()
        raise AssertionError("expected invalid JSON")
    except ValueError:
        pass


def test_refusals_and_a_malformed_child(fake_reddit, dataset):
    fake_reddit.inject("403", path="^/api/info", times=None)
    fake_reddit.inject("404", path="/hot")
    fake_reddit.inject("bad_child", path="/new", child_data=[1, 2])
    fake_reddit.inject("bad_child", path="^/comments/", child_kind="t1", child_data="junk")
    for _ in range(2):  # times=None: every time
        refused = _get(fake_reddit, "/api/info", id="t3_x")
        assert refused.status_code == 403 and refused.json() == {"message": "Forbidden", "error": 403}
    assert _get(fake_reddit, "/r/wallstreetbets/hot").status_code == 404
    assert _get(fake_reddit, "/r/wallstreetbets/hot").status_code == 200  # only once
    children = _get(fake_reddit, "/r/wallstreetbets/new", limit=5).json()["data"]["children"]
    assert children[0] == {"kind": "t3", "data": [1, 2]} and len(children) == 6
    assert isinstance(_get(fake_reddit, "/r/wallstreetbets/new", limit=5).json()["data"]["children"][0]["data"], dict)
    post, comments = _get(fake_reddit, f"/comments/{dataset['posts'][0]['id']}").json()
    assert post["data"]["children"][0]["data"]["id"] == dataset["posts"][0]["id"]  # the post stays first
    assert comments["data"]["children"][0] == {"kind": "t1", "data": "junk"}
    try:
        fake_reddit.inject("418")
        raise AssertionError("expected ValueError")
    except ValueError:
        pass


def test_rate_limit_window():
    from ingest.fakereddit import FakeReddit

    with FakeReddit(rate_limit=2, window_seconds=60) as server:
        codes = [_get(server, "/api/info", id="t3_x").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_cassette_replay_serves_recorded_bodies():
    from ingest.fakereddit import FakeReddit

    path = SAMPLES / "TestSubmission.test_comments.json"
    import json

    recorded = json.loads(path.read_text())["interactions"][1]["response"]["body"]["string"]
    with FakeReddit(data=path) as server:
        assert _get(server, "/comments/2gmzqe/", sort="confidence").text == recorded


def test_bundled_sample_data_is_what_the_script_generates(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "wsb.json"
    subprocess.run(
        [sys.executable, str(root / "ingest/sample_data/generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    committed = root / "ingest/sample_data/wallstreetbets.json"
    assert out.read_bytes() == committed.read_bytes()
    assert committed.stat().st_size < 2_000_000
    import json

    data = json.loads(committed.read_text())
    titles = [p["title"] for p in data["posts"]]
    assert any(t.startswith("Daily Discussion Thread") for t in titles)
    assert any(t.startswith("What Are Your Moves Tomorrow") for t in titles)
    assert any(c["body"] in {"[deleted]", "[removed]"} for c in data["comments"])
    assert 300 <= len(data["comments"]) + len(data["posts"]) <= 2000


def test_replay_server_command_line(tmp_path):
    """`python -m ingest.fakereddit --port 0 --data ingest/sample_data` prints its URL and stops on SIGTERM."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest.fakereddit", "--port", "0", "--data", "ingest/sample_data"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("fakereddit serving") and "http://127.0.0.1:" in line
        url = line.strip().rsplit(" ", 1)[-1]
        token = requests.post(
            url + "/api/v1/access_token", data={"grant_type": "client_credentials"}, auth=("a", "b"), timeout=5
        )
        assert token.status_code == 200
        newest = requests.get(
            url + "/r/wallstreetbets/new", params={"limit": 1}, headers={"Authorization": "bearer x"}, timeout=5
        )
        import time

        # Timestamps were shifted so the newest item is about a minute old.
        assert time.time() - newest.json()["data"]["children"][0]["data"]["created_utc"] < 3 * 86400
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
