"""gunicorn with bad configuration (issue 13, D9): one `Configuration error:` line, a non-zero exit.

Real gunicorn subprocesses: the image's way (`python gunicorn.conf.py gunicorn --config
gunicorn.conf.py ...`, the Dockerfile's ENTRYPOINT + CMD) and plain `gunicorn -c gunicorn.conf.py`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "marketpulse.wsgi:application"]
# The image: ENTRYPOINT ["python", "gunicorn.conf.py"] + CMD ["gunicorn", "--config", "gunicorn.conf.py", ...]
LAUNCHER = [sys.executable, "gunicorn.conf.py", *GUNICORN]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY", "DJANGO_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "marketpulse.settings",
            "MARKETPULSE_IGNORE_DOTENV": "1",
            "DJANGO_SECRET_KEY": "gunicorn-test-secret-key-0123456789",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": "sqlite:////tmp/mp-gunicorn-config-test.sqlite3",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_BIND": f"127.0.0.1:{_free_port()}",
        }
    )
    env.update(overrides)
    return env


def _run_to_exit(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:  # it started serving: the configuration was not refused
        raise AssertionError(f"gunicorn did not exit: {exc.stderr!r}") from None


BAD = [
    ({"WEB_CONCURRENCY": "x"}, "WEB_CONCURRENCY must be a whole number"),
    ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be at least 1"),
    ({"GUNICORN_THREADS": "two"}, "GUNICORN_THREADS must be a whole number"),
    ({"GUNICORN_TIMEOUT": "-1"}, "GUNICORN_TIMEOUT must be at least 0"),
    ({"GUNICORN_BIND": "", "PORT": "http"}, "PORT must be a whole number"),
    ({"GUNICORN_BIND": "", "PORT": "70000"}, "PORT must be at most 65535"),
    ({"DATABASE_URL": "mysql://nope"}, "DATABASE_URL is malformed"),
    ({"DATABASE_URL": "postgres://u@host:port/db"}, "DATABASE_URL is malformed"),
    ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is not set"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
@pytest.mark.parametrize("argv", [LAUNCHER, GUNICORN], ids=["image", "gunicorn"])
def test_bad_configuration_is_one_line_and_a_non_zero_exit(argv, overrides, message):
    if argv is GUNICORN and "WEB_CONCURRENCY" in overrides:
        pytest.skip("plain gunicorn int()s WEB_CONCURRENCY as it is imported, before any config file: the image's way")
    result = _run_to_exit(argv, _env(**overrides))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Configuration error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr[-3000:]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr[-3000:]


def _serve_until_up(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    base = f"http://{env['GUNICORN_BIND']}"
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=2)
            return proc, base
        except urllib.error.HTTPError:
            return proc, base  # it answers (a 503 from /health when the database is down)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(f"gunicorn did not come up: {proc.communicate()[1][-3000:]}") from None
            time.sleep(0.3)


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_the_image_way_serves_and_stops_on_sigterm():
    proc, base = _serve_until_up(LAUNCHER, _env())
    try:
        status, _, _ = _get(base + "/health")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert status in (200, 503)
    assert proc.returncode == 0, err[-2000:]
    assert re.search(r"Booting worker", err)


def test_an_unreachable_database_under_gunicorn_is_a_503_not_a_500():
    proc, base = _serve_until_up(GUNICORN, _env(DATABASE_URL="postgres://postgres@127.0.0.1:1/x"))
    try:
        page = _get(base + "/")
        api = _get(base + "/api/v1/tickers")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert page[0] == 503 and page[1].startswith("text/html") and "temporarily unavailable" in page[2]
    assert api[0] == 503 and api[1] == "application/json" and "temporarily unavailable" in api[2]
    assert "Traceback" not in err, err[-3000:]
