"""Serving: gunicorn with gunicorn.conf.py (JSON access log), whitenoise with hashed, compressed static files."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_config_workers_from_cpu_count(monkeypatch):
    import runpy

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == os.cpu_count() * 2 + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 3


def test_gunicorn_serves_the_site_with_a_json_access_log(subprocess_env, tmp_path):
    """As the image runs: static files collected first (else /health is 503), here into tmp_path."""
    from .conftest import build_site_data

    build_site_data()
    (tmp_path / "serve_settings.py").write_text(
        f"from tests.settings import *  # noqa\nSTATIC_ROOT = {str(tmp_path / 'collected')!r}\n"
    )
    env = dict(subprocess_env, DJANGO_SETTINGS_MODULE="serve_settings", PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    port = _free_port()
    env.update(WEB_CONCURRENCY="1", GUNICORN_BIND=f"127.0.0.1:{port}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        f"gunicorn did not come up: {proc.stderr.read() if proc.poll() is not None else ''}"
                    )
                time.sleep(0.3)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/tickers?window=24h",
            headers={"User-Agent": 'evil "agent"\n{"status": 999}'.replace("\n", " ")},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            body = json.loads(r.read())
            assert r.headers["ETag"] and "max-age=60" in r.headers["Cache-Control"]
        assert body["results"][0]["symbol"] == "TSLA"
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    api = [x for x in lines if x["path"] == "/api/v1/tickers"]
    assert api, f"no JSON access line in stdout: {out!r} / {err[-2000:]!r}"
    assert api[0]["status"] == 200 and api[0]["query"] == "window=24h" and api[0]["method"] == "GET"
    assert api[0]["user_agent"] == 'evil "agent" {"status": 999}'
    assert api[0]["duration_ms"] >= 0


def test_collectstatic_hashes_and_compresses_and_whitenoise_serves_them(subprocess_env, tmp_path):
    """Production storage (CompressedManifestStaticFilesStorage): run in a subprocess without pytest loaded."""
    (tmp_path / "static_settings.py").write_text(
        f"from marketpulse.settings import *  # noqa\nSTATIC_ROOT = {str(tmp_path / 'collected')!r}\n"
    )
    script = textwrap.dedent(
        """
        import json, re, sys
        import django
        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        assert settings.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
        call_command("collectstatic", interactive=False, verbosity=0)
        # The client loads the middleware (whitenoise reads STATIC_ROOT then) on its first request.
        from django.test import Client
        client = Client(HTTP_HOST="localhost")
        html = client.get("/").content.decode()
        href = re.search(r'href="(/static/css/site\\.[0-9a-f]{12}\\.css)"', html).group(1)
        static = client.get(href, HTTP_ACCEPT_ENCODING="gzip")
        body = b"".join(static.streaming_content) if static.streaming else static.content
        print(json.dumps({"href": href, "status": static.status_code, "cache": static.get("Cache-Control", ""),
                          "encoding": static.get("Content-Encoding", ""), "bytes": len(body)}))
        """
    )
    env = dict(subprocess_env, DJANGO_SETTINGS_MODULE="static_settings", PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    env.pop("DJANGO_DEBUG", None)
    env["DJANGO_DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    href = served["href"]
    assert served["status"] == 200 and served["encoding"] == "gzip" and served["bytes"] > 0
    assert "immutable" in served["cache"] and "max-age=315360000" in served["cache"]
    collected = tmp_path / "collected"
    name = href.removeprefix("/static/")
    assert (collected / name).is_file() and (collected / (name + ".gz")).is_file()
    manifest = json.loads((collected / "staticfiles.json").read_text())
    assert manifest["paths"]["css/site.css"] == name
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", name)
