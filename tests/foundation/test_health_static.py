"""Issue 30 item 19: /health and `check --deploy` fail when the pages' static files would.

In production (DEBUG off) the manifest storage answers 500 on any page whose asset has no
manifest entry. Each case runs a real process on production settings, with STATIC_ROOT in
a temporary directory: not collected, collected, an entry missing, a hashed file missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.foundation.test_settings_and_checks import _clean_env

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import django, json; django.setup();"
    "from django.test import Client;"
    "c = Client(raise_request_exception=False);"
    "h = c.get('/health'); p = c.get('/');"
    "print(json.dumps({'health': h.status_code, 'body': h.json(), 'home': p.status_code}))"
)


@pytest.fixture
def site(tmp_path):
    static = tmp_path / "static"
    (tmp_path / "prod_static.py").write_text(
        f"from marketpulse.settings import *  # noqa: F401,F403\nSTATIC_ROOT = {str(static)!r}\n"
    )
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="prod_static",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="static-check-" + "s" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONPATH=f"{tmp_path}:{ROOT}",
        PYTHONDONTWRITEBYTECODE="1",
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )

    def probe() -> dict:
        proc = run("-c", PROBE)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def manage(*args: str) -> subprocess.CompletedProcess:
        return run(str(ROOT / "manage.py"), *args)

    migrated = manage("migrate", "--noinput", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return {"static": static, "probe": probe, "manage": manage}


def _deploy_check(site) -> subprocess.CompletedProcess:
    return site["manage"]("check", "--deploy", "--tag", "staticfiles")


def _collect(site) -> dict:
    proc = site["manage"]("collectstatic", "--noinput", "--verbosity", "0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((site["static"] / "staticfiles.json").read_text())


def test_not_collected_health_503_and_deploy_check_fails(site):
    result = site["probe"]()
    assert result["home"] == 500  # what users would get: health must not say ok
    assert result["health"] == 503
    assert result["body"] == {"status": "error", "reason": "static files not collected"}
    check = _deploy_check(site)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "marketpulse.E001" in check.stderr and "collectstatic" in check.stderr


def test_collected_health_ok_and_deploy_check_passes(site):
    _collect(site)
    assert site["probe"]() == {"health": 200, "body": {"status": "ok"}, "home": 200}
    check = _deploy_check(site)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "marketpulse.E001" not in check.stdout + check.stderr


def test_manifest_without_an_entry_the_pages_use(site):
    """A manifest from an older build, without css/site.css: the home page 500s, health says so."""
    manifest = _collect(site)
    del manifest["paths"]["css/site.css"]
    (site["static"] / "staticfiles.json").write_text(json.dumps(manifest))
    result = site["probe"]()
    assert (result["home"], result["health"]) == (500, 503)
    check = _deploy_check(site)
    assert check.returncode == 1 and "css/site.css has no staticfiles manifest entry" in check.stderr


def test_manifest_entry_whose_file_is_gone(site):
    manifest = _collect(site)
    (site["static"] / manifest["paths"]["favicon.svg"]).unlink()
    assert site["probe"]()["health"] == 503
    check = _deploy_check(site)
    assert check.returncode == 1 and "favicon.svg is in the staticfiles manifest" in check.stderr
