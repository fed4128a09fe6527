"""Login lockouts (django-axes) and API rate limits are shared by every worker: a real gunicorn
with two workers, and requests steered to one worker or the other.

Steering: a sync worker busy with a request accepts no other connection. So a
"blocker" connection that sends half a request holds one worker, and every other
request goes to the second one. Which worker accepted the blocker is read from
/proc (the worker whose file descriptors hold the socket); the test retries until
the blocker holds the other worker. The access log's `pid` then proves which
worker served each request.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _request(url: str, *, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


class Gunicorn:
    """A gunicorn with two workers on this test's database, its JSON access log read as it comes."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # The subprocess is not under pytest: serve static files unhashed, as the test settings do.
        (tmp_path / "gunicorn_test_settings.py").write_text(
            "from tests.settings import *  # noqa: F403\n"
            "STORAGES = {**STORAGES, 'staticfiles': "
            "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        )
        env = dict(
            env,
            PYTHONPATH=f"{tmp_path}:{ROOT}",
            DJANGO_SETTINGS_MODULE="gunicorn_test_settings",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_MAX_REQUESTS="0",
            DJANGO_SECURE_COOKIES="false",
        )
        self.access: list[dict] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 60
        while len(self.workers()) < 2 or not self._up():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError(f"gunicorn did not come up: {self.proc.stderr.read()[-3000:]}")
            time.sleep(0.3)

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("type") == "access":
                    self.access.append(record)

    def _up(self) -> bool:
        try:
            return _request(f"{self.base}/health")[0] == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        try:
            return [
                int(pid) for pid in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            ]
        except OSError:
            return []

    def served(self, path: str, query: str = "") -> dict:
        """The access record of the last request to path?query (waits for its line)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [r for r in self.access if r["path"] == path and r["query"] == query]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no access line for {path}?{query}")

    def _holder(self, client_port: int) -> int | None:
        """The worker that accepted our connection from `client_port` (None while it waits in the backlog)."""
        inode = "0"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(x.split(":")[1], 16) for x in fields[1:3])
            if local == self.port and remote == client_port:
                inode = fields[9]
        if inode == "0":  # not accepted yet: no socket file
            return None
        for pid in self.workers():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        return None

    @contextmanager
    def only(self, pid: int):
        """Every request in the block is served by worker `pid`: the other one holds a blocker."""
        for _attempt in range(30):
            blocker = socket.create_connection(("127.0.0.1", self.port))
            blocker.sendall(b"GET /health?blocker HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers unfinished
            deadline = time.monotonic() + 10
            holder = None
            while holder is None and time.monotonic() < deadline:
                holder = self._holder(blocker.getsockname()[1])
                time.sleep(0.05)
            try:
                if holder is not None and holder != pid:
                    yield
                    return
            finally:
                blocker.sendall(b"\r\n")
                blocker.recv(65536)
                blocker.close()
        raise AssertionError(f"could not steer requests to worker {pid}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def gunicorn_two_workers(subprocess_env, tmp_path):
    env = dict(subprocess_env, AXES_FAILURE_LIMIT="4", API_RATE_LIMIT="5/m", FORWARDED_ALLOW_IPS="127.0.0.1")
    server = Gunicorn(env, tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_login_failures_on_two_workers_share_one_lockout(gunicorn_two_workers, django_user_model):
    from axes.models import AccessAttempt
    from django.urls import reverse

    server = gunicorn_two_workers
    first, second = server.workers()
    django_user_model.objects.create_user("rita", password="review-pass-123", is_staff=True)
    path = reverse("admin:login")
    status, headers, page = _request(server.base + path)
    assert status == 200
    csrf = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def attempt(password: str, n: int) -> tuple[int, int]:
        """(status, the worker that answered)"""
        status, _headers, _body = _request(
            f"{server.base}{path}?n={n}",
            data={"username": "rita", "password": password, "csrfmiddlewaretoken": form},
            headers={"Cookie": f"csrftoken={csrf}"},
        )
        return status, server.served(path, f"n={n}")["pid"]

    with server.only(first):
        assert [attempt("wrong", 1), attempt("wrong", 2)] == [(200, first), (200, first)]
    with server.only(second):
        # The third failure is the first this worker sees; the fourth reaches the limit.
        assert [attempt("wrong", 3), attempt("wrong", 4)] == [(200, second), (429, second)]
        assert attempt("review-pass-123", 5) == (429, second)
    with server.only(first):
        assert attempt("review-pass-123", 6) == (429, first)  # the lockout is in the database
    assert max(a.failures_since_start for a in AccessAttempt.objects.filter(username="rita")) >= 4

    # Lifted (what deleting the attempts in the admin does): every worker lets her in again.
    AccessAttempt.objects.all().delete()
    with server.only(second):
        assert attempt("review-pass-123", 7) == (302, second)


def test_api_rate_limit_is_shared_by_two_workers(gunicorn_two_workers):
    server = gunicorn_two_workers
    first, second = server.workers()
    path = "/api/v1/status"
    # FORWARDED_ALLOW_IPS trusts 127.0.0.1 (the "balancer"): the client is the last X-Forwarded-For entry.
    client = {"X-Forwarded-For": "203.0.113.1, 198.51.100.20"}

    def get(n: int, headers: dict = client) -> tuple[int, int]:
        status, _headers, _body = _request(f"{server.base}{path}?n={n}", headers=headers)
        return status, server.served(path, f"n={n}")["pid"]

    with server.only(first):
        assert [get(n) for n in range(3)] == [(200, first)] * 3
    with server.only(second):
        assert [get(n) for n in range(3, 5)] == [(200, second)] * 2
        status, headers, body = _request(f"{server.base}{path}?n=5", headers=client)
        assert status == 429  # the sixth in a minute, whichever worker counts it
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"error": "too many requests: at most 5/m per client address"}
        assert get(6, {"X-Forwarded-For": "198.51.100.21"}) == (200, second)  # another client
    with server.only(first):
        assert get(7) == (429, first)
