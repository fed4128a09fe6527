"""A small Reddit-compatible HTTP server: the tests' Reddit and the demo's replay server.

It answers what praw asks for when scraping, in the shapes of the recorded exchanges in
`tests/fixtures/reddit-api-samples/`, with Reddit's rate-limit headers, 429s and
injectable faults (`FAULT_KINDS`). Endpoints and data: docs/design/reddit-client-and-replay.md.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingest.fakereddit.datagen import post_redate

LISTING_CAP = 1000  # Reddit listings stop after about 1000 items
PAGE_CAP = 100
MORE_CHUNK = 100


#: The faults `FakeReddit.inject` knows: an HTTP status instead of the answer, half the
#: answer ("truncated"), a late answer ("slow"), or the answer with a malformed listing
#: child (`{"kind": "t3", "data": <child_data>}`) put first in its listing ("bad_child").
FAULT_KINDS = frozenset({"403", "404", "429", "500", "truncated", "slow", "bad_child"})
_STATUS_MESSAGES = {403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class Fault:
    """One injected fault: `kind` in `FAULT_KINDS`."""

    kind: str
    path: re.Pattern[str]
    times: int | None = 1  # None: forever
    retry_after: int = 1
    delay: float = 0.0
    child: dict[str, Any] | None = None  # bad_child: the child put first in each listing
    hits: int = 0

    def matches(self, path: str) -> bool:
        return self.path.search(path) is not None and (self.times is None or self.hits < self.times)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    status: int = 0


@dataclass
class _Recorded:
    status: int
    body: str


@dataclass
class ServerState:
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # id36 -> t3 data
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id36 -> t1 data
    children_of: dict[str, list[str]] = field(default_factory=dict)  # parent fullname -> comment ids
    recorded_get: dict[str, _Recorded] = field(default_factory=dict)  # path -> response
    recorded_more: dict[frozenset[str], _Recorded] = field(default_factory=dict)


def _as_number(value: Any) -> float:
    """A field as a number for sorting: hostile data (a string, a list, NaN) counts as 0.

    The server must serve whatever a test puts in a field, as Reddit serves what it has;
    only its own sorting needs a number.
    """
    if isinstance(value, bool):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _fullname_sort_key(thing: dict[str, Any]) -> float:
    return _as_number(thing.get("created_utc"))


def _score_key(thing: dict[str, Any]) -> float:
    return _as_number(thing.get("score"))


class FakeReddit:
    """The server. `start()` returns its base URL; `stop()` shuts it down."""

    def __init__(
        self,
        *,
        data: str | Path | None = None,
        rate_limit: int = 1000,
        window_seconds: int = 60,
        initial_comments: int = 200,
        max_depth: int = 8,
        more_chunk: int = MORE_CHUNK,
        shift_to_now: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = ServerState()
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.initial_comments = initial_comments
        self.max_depth = max_depth
        self.more_chunk = more_chunk
        self.delay = 0.0
        self.faults: list[Fault] = []
        self.requests: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._window_start = time.monotonic()
        self._window_used = 0
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if data is not None:
            self.load(data, shift_to_now=shift_to_now)

    # ----------------------------------------------------------------- data

    def load(self, data: str | Path, *, shift_to_now: bool = False) -> None:
        """Load every `*.json` file of a directory (or one file): datasets and cassettes."""
        path = Path(data)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if not files:
            raise FileNotFoundError(f"no *.json data files in {path}")
        for file in files:
            payload = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(payload, dict) and "interactions" in payload:
                self.load_cassette(payload)
            elif isinstance(payload, dict) and "posts" in payload:
                self.add_dataset(payload.get("posts", []), payload.get("comments", []))
        if shift_to_now:
            self.shift_to_now()

    def add_dataset(self, posts: list[dict[str, Any]], comments: list[dict[str, Any]]) -> None:
        with self._lock:
            for post in posts:
                self.state.posts[post["id"]] = dict(post)
            for comment in comments:
                self.add_comment(comment)

    def add_comment(self, comment: dict[str, Any]) -> None:
        with self._lock:
            data = dict(comment)
            data["replies"] = ""
            new = data["id"] not in self.state.comments
            self.state.comments[data["id"]] = data
            if new:
                self.state.children_of.setdefault(data["parent_id"], []).append(data["id"])

    def load_cassette(self, cassette: dict[str, Any]) -> None:
        """Replay a Betamax cassette: responses verbatim, and its things for /api/info."""
        for interaction in cassette["interactions"]:
            request, response = interaction["request"], interaction["response"]
            uri = urlsplit(request["uri"])
            body = response["body"].get("string", "")
            recorded = _Recorded(int(response["status"]["code"]), body)
            path = _norm_path(uri.path)
            if path.endswith("/api/morechildren"):
                form = parse_qs(request.get("body") or "")
                ids = frozenset(",".join(form.get("children", [""])).split(","))
                self.state.recorded_more[ids] = recorded
            elif request["method"] == "GET":
                self.state.recorded_get.setdefault(path, recorded)
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                continue
            for kind, data in _walk_things(parsed):
                if kind == "t3":
                    self.state.posts.setdefault(data["id"], data)

    def shift_to_now(self) -> float:
        """Move every timestamp so the newest item is one minute old; returns the shift."""
        with self._lock:
            stamps = [_fullname_sort_key(t) for t in [*self.state.posts.values(), *self.state.comments.values()]]
            if not stamps:
                return 0.0
            delta = math.floor(time.time() - 60 - max(stamps))
            for thing in [*self.state.posts.values(), *self.state.comments.values()]:
                for key in ("created_utc", "created"):
                    value = thing.get(key)
                    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                        thing[key] = float(value) + delta  # junk (a test's hostile value) stays as it is
            comments = list(self.state.comments.values())
            for post in self.state.posts.values():
                post_redate(post, comments, delta)  # "Daily Discussion Thread for <today>"
            return delta

    def bump_scores(self, amount: int = 1) -> None:
        """Everything gains `amount` upvotes (posts also one more comment count)."""
        with self._lock:
            for thing in [*self.state.posts.values(), *self.state.comments.values()]:
                thing["score"] = int(_score_key(thing)) + amount
                thing["ups"] = thing["score"]

    # --------------------------------------------------------------- faults

    def inject(
        self,
        kind: str,
        *,
        path: str = r".",
        times: int | None = 1,
        retry_after: int = 1,
        delay: float = 0.0,
        child_kind: str = "t3",
        child_data: Any = "not an object",
    ) -> Fault:
        """Make the next `times` requests (None: all) whose path matches `path` fail as `kind` says."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        child = {"kind": child_kind, "data": child_data} if kind == "bad_child" else None
        fault = Fault(kind=kind, path=re.compile(path), times=times, retry_after=retry_after, delay=delay, child=child)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self.delay = 0.0

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(path):
                    fault.hits += 1
                    return fault
        return None

    def _rate_headers(self) -> tuple[dict[str, str], bool]:
        """Count one API request in the window; returns the headers and whether it is over."""
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.window_seconds:
                self._window_start, self._window_used = now, 0
            self._window_used += 1
            used = self._window_used
            reset = max(0, int(math.ceil(self.window_seconds - (now - self._window_start))))
        remaining = max(0, self.rate_limit - used)
        headers = {
            "x-ratelimit-used": str(used),
            "x-ratelimit-remaining": f"{remaining:.1f}",
            "x-ratelimit-reset": str(reset),
        }
        return headers, used > self.rate_limit

    # ---------------------------------------------------------------- server

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"app": self})
        self._httpd = ThreadingHTTPServer((self._host, self._port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fakereddit", daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeReddit:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, pattern: str) -> int:
        rx = re.compile(pattern)
        with self._lock:
            return sum(1 for r in self.requests if rx.search(r.path))

    # ------------------------------------------------------------- routing

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> tuple[int, Any]:
        path = _norm_path(path)
        if method == "POST" and path == "/api/v1/access_token":
            return 200, {"access_token": "fake-access-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        if method == "POST" and path == "/api/morechildren":
            return self._morechildren(form)
        if method == "GET":
            recorded = self.state.recorded_get.get(path)
            if recorded is not None:
                return recorded.status, _Raw(recorded.body)
            m = re.fullmatch(r"/r/([^/]+)/(hot|new|top|rising|controversial)", path)
            if m:
                return 200, self._listing(m.group(1), m.group(2), query)
            m = re.fullmatch(r"/r/([^/]+)/comments", path)
            if m:
                return 200, self._comment_listing(m.group(1), query)
            m = re.fullmatch(r"/(?:r/[^/]+/)?comments/([a-z0-9]+)(?:/[^/]*)?(?:/([a-z0-9]+))?", path)
            if m:
                return self._submission(m.group(1), m.group(2), query)
            if path == "/api/info":
                return 200, self._info(query)
        return 404, {"message": "Not Found", "error": 404}

    def _sorted_posts(self, sub: str, sort: str, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            posts = [p for p in self.state.posts.values() if str(p.get("subreddit", "")).lower() == sub.lower()]
        if sort == "new":
            posts.sort(key=_fullname_sort_key, reverse=True)
        elif sort == "top":
            span = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400, "year": 366 * 86400}
            window = span.get((query.get("t") or ["day"])[0])
            if window:
                posts = [p for p in posts if now - _fullname_sort_key(p) <= window]
            posts.sort(key=lambda p: (_score_key(p), _fullname_sort_key(p)), reverse=True)
        else:  # hot: stickies first, then score decayed by age

            def hot(p: dict[str, Any]) -> tuple[int, float]:
                age_h = max(0.0, (now - _fullname_sort_key(p)) / 3600)
                return (1 if p.get("stickied") else 0, math.log10(max(1.0, _score_key(p))) - age_h / 12.5)

            posts.sort(key=hot, reverse=True)
        return posts[:LISTING_CAP]

    def _listing(self, sub: str, sort: str, query: dict[str, list[str]]) -> dict[str, Any]:
        things = [{"kind": "t3", "data": p} for p in self._sorted_posts(sub, sort, query)]
        return _page(things, query)

    def _comment_listing(self, sub: str, query: dict[str, list[str]]) -> dict[str, Any]:
        with self._lock:
            comments = [c for c in self.state.comments.values() if str(c.get("subreddit", "")).lower() == sub.lower()]
        comments.sort(key=_fullname_sort_key, reverse=True)
        return _page([{"kind": "t1", "data": c} for c in comments[:LISTING_CAP]], query)

    def _info(self, query: dict[str, list[str]]) -> dict[str, Any]:
        ids = [i for i in ",".join(query.get("id", [])).split(",") if i]
        children = []
        with self._lock:
            for fullname in ids[:PAGE_CAP]:
                prefix, _, id36 = fullname.partition("_")
                if prefix == "t3" and id36 in self.state.posts:
                    children.append({"kind": "t3", "data": self.state.posts[id36]})
                elif prefix == "t1" and id36 in self.state.comments:
                    children.append({"kind": "t1", "data": {**self.state.comments[id36], "replies": ""}})
        return {
            "kind": "Listing",
            "data": {"after": None, "before": None, "dist": len(children), "modhash": "", "children": children},
        }

    def _submission(self, post_id: str, focus: str | None, query: dict[str, list[str]]) -> tuple[int, Any]:
        with self._lock:
            post = self.state.posts.get(post_id)
            if post is None:
                return 404, {"message": "Not Found", "error": 404}
            sort = (query.get("sort") or ["confidence"])[0]
            budget = [self.initial_comments]
            if focus:
                comment = self.state.comments.get(focus)
                if comment is None:
                    return 404, {"message": "Not Found", "error": 404}
                tree = [self._render_comment(comment, 0, sort, budget)]
            else:
                tree = self._render_children(f"t3_{post_id}", 0, sort, budget)
            post_listing = {
                "kind": "Listing",
                "data": {
                    "after": None,
                    "before": None,
                    "dist": 1,
                    "modhash": "",
                    "children": [{"kind": "t3", "data": post}],
                },
            }
            comments = {
                "kind": "Listing",
                "data": {"after": None, "before": None, "dist": None, "modhash": "", "children": tree},
            }
            return 200, [post_listing, comments]

    def _kids(self, parent: str, sort: str) -> list[dict[str, Any]]:
        kids = [self.state.comments[c] for c in self.state.children_of.get(parent, [])]
        if sort in {"new", "old"}:
            kids.sort(key=_fullname_sort_key, reverse=(sort == "new"))
        else:
            kids.sort(key=lambda c: (_score_key(c), _fullname_sort_key(c)), reverse=True)
        return kids

    def _subtree_ids(self, comment: dict[str, Any], sort: str) -> list[str]:
        out, stack = [], [comment]
        while stack:
            node = stack.pop(0)
            out.append(node["id"])
            stack[0:0] = self._kids(node["name"], sort)
        return out

    def _render_children(self, parent: str, depth: int, sort: str, budget: list[int]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kids = self._kids(parent, sort)
        for index, kid in enumerate(kids):
            if budget[0] <= 0:
                # The rest hides behind `more` stubs. A stub holds whole subtrees (a
                # comment with all its replies), so whatever order the client expands
                # stubs in, a comment's parent is always already known to it.
                chunk: list[str] = []
                for rest in kids[index:]:
                    subtree = self._subtree_ids(rest, sort)
                    if chunk and len(chunk) + len(subtree) > self.more_chunk:
                        out.append(_more_stub(chunk, parent, depth))
                        chunk = []
                    chunk.extend(subtree)
                if chunk:
                    out.append(_more_stub(chunk, parent, depth))
                break
            out.append(self._render_comment(kid, depth, sort, budget))
        return out

    def _render_comment(self, comment: dict[str, Any], depth: int, sort: str, budget: list[int]) -> dict[str, Any]:
        budget[0] -= 1
        data = dict(comment)
        data["depth"] = depth
        if self.state.children_of.get(data["name"]):
            if depth + 1 >= self.max_depth:
                stub = {
                    "kind": "more",
                    "data": {
                        "count": 0,
                        "name": "t1__",
                        "id": "_",
                        "parent_id": data["name"],
                        "depth": depth + 1,
                        "children": [],
                    },
                }
                data["replies"] = {
                    "kind": "Listing",
                    "data": {"after": None, "before": None, "dist": None, "modhash": "", "children": [stub]},
                }
            else:
                children = self._render_children(data["name"], depth + 1, sort, budget)
                data["replies"] = {
                    "kind": "Listing",
                    "data": {"after": None, "before": None, "dist": None, "modhash": "", "children": children},
                }
        else:
            data["replies"] = ""
        return {"kind": "t1", "data": data}

    def _morechildren(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        ids = [i for i in ",".join(form.get("children", [""])).split(",") if i]
        recorded = self.state.recorded_more.get(frozenset(ids))
        if recorded is not None:
            return recorded.status, _Raw(recorded.body)
        things = []
        with self._lock:
            for id36 in ids:
                comment = self.state.comments.get(id36)
                if comment is not None:
                    things.append({"kind": "t1", "data": {**comment, "replies": ""}})
        return 200, {"json": {"errors": [], "data": {"things": things}}}


def _more_stub(ids: list[str], parent: str, depth: int) -> dict[str, Any]:
    return {
        "kind": "more",
        "data": {
            "count": len(ids),
            "name": f"t1_{ids[0]}",
            "id": ids[0],
            "parent_id": parent,
            "depth": depth,
            "children": ids,
        },
    }


class _Raw(str):
    """A recorded body, sent as is."""


def _norm_path(path: str) -> str:
    path = re.sub(r"\.json$", "", path)
    return path.rstrip("/") or "/"


def _page(things: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    limit = max(1, min(PAGE_CAP, int((query.get("limit") or ["25"])[0] or 25)))
    after = (query.get("after") or [""])[0]
    start = 0
    if after:
        names = [t["data"]["name"] for t in things]
        start = names.index(after) + 1 if after in names else len(things)
    page = things[start : start + limit]
    next_after = page[-1]["data"]["name"] if page and start + limit < len(things) else None
    return {
        "kind": "Listing",
        "data": {"after": next_after, "before": None, "dist": len(page), "modhash": "", "children": page},
    }


def _insert_child(node: Any, child: Any) -> None:
    """Put `child` first in the listing of an answer (a thread's: its comments, after the post)."""
    if isinstance(node, list):
        if node:
            _insert_child(node[-1], child)
    elif isinstance(node, dict):
        if node.get("kind") == "Listing" and isinstance(node.get("data"), dict):
            node["data"]["children"] = [child, *node["data"].get("children", [])]
        elif isinstance(node.get("json"), dict):  # morechildren: {"json": {"data": {"things": [...]}}}
            things = node["json"].get("data", {}).get("things")
            if isinstance(things, list):
                things.insert(0, child)


def _walk_things(node: Any):
    if isinstance(node, list):
        for item in node:
            yield from _walk_things(item)
    elif isinstance(node, dict):
        kind, data = node.get("kind"), node.get("data")
        if kind in {"t1", "t3"} and isinstance(data, dict):
            yield kind, data
            if isinstance(data.get("replies"), dict):
                yield from _walk_things(data["replies"])
        elif kind == "Listing" and isinstance(data, dict):
            yield from _walk_things(data.get("children", []))
        elif "json" in node:
            yield from _walk_things(node["json"].get("data", {}).get("things", []))


class _Handler(BaseHTTPRequestHandler):
    app: FakeReddit
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stalls
    server_version = "fakereddit/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        query, form = parse_qs(parts.query), parse_qs(raw)
        record = RequestRecord(method, parts.path, query, form)
        with self.app._lock:
            self.app.requests.append(record)
        is_token = parts.path.rstrip("/") == "/api/v1/access_token"
        if not is_token and not self.headers.get("authorization", "").lower().startswith("bearer "):
            self._send(record, 401, {"message": "Unauthorized", "error": 401}, {})
            return
        if self.app.delay:
            time.sleep(self.app.delay)
        headers: dict[str, str] = {}
        over = False
        if not is_token:
            headers, over = self.app._rate_headers()
        fault = self.app._take_fault(parts.path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if over or (fault is not None and fault.kind == "429"):
            retry = fault.retry_after if fault is not None else int(headers.get("x-ratelimit-reset", "1"))
            headers["retry-after"] = str(retry)
            self._send(record, 429, {"message": "Too Many Requests", "error": 429}, headers)
            return
        if fault is not None and fault.kind.isdigit():
            status = int(fault.kind)
            self._send(record, status, {"message": _STATUS_MESSAGES[status], "error": status}, headers)
            return
        try:
            status, payload = self.app.handle(method, parts.path, query, form)
        except Exception as exc:  # a bug here must show as a 500, like a real server
            status, payload = 500, {"message": f"{type(exc).__name__}: {exc}", "error": 500}
        if fault is not None and fault.kind == "bad_child" and not isinstance(payload, _Raw):
            _insert_child(payload, fault.child)
        body = payload if isinstance(payload, _Raw) else json.dumps(payload)
        if fault is not None and fault.kind == "truncated":
            body = body[: max(1, len(body) // 2)]
        self._send(record, status, _Raw(body), headers)

    def _send(self, record: RequestRecord, status: int, payload: Any, headers: dict[str, str]) -> None:
        record.status = status
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=UTF-8")
            self.send_header("content-length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            if (self.headers.get("connection") or "").lower() == "close":
                self.send_header("connection", "close")  # tell the client, so it does not reuse the socket
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")
