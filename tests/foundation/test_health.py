"""GET /health checks the database for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.foundation.test_settings_and_checks import _clean_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_rejects_post(client):
    assert client.post("/health").status_code == 405


def test_health_503_when_database_unreachable():
    # A real request through the real stack in a process whose database is a closed port.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health');"
        "print(json.dumps({'status_code': r.status_code, 'body': r.json()}))"
    )
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="marketpulse.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
        DATABASE_CONN_MAX_AGE="0",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload == {"status_code": 503, "body": {"status": "error", "reason": "database unreachable"}}
