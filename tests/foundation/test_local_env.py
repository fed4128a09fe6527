"""`cp .env.example .env` is a working local configuration (issue 13), and settings read `.env`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PROBE = """
import django, json, os
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client
configured = str(settings.DATABASES["default"]["NAME"])
# /health opens the database: a scratch file in the working directory, never the project's
# db.sqlite3 (SQLite would create it on a fresh clone: tests never touch the working state).
connections["default"].settings_dict["NAME"] = os.path.abspath("probe.sqlite3")
health = Client().get("/health", HTTP_HOST="localhost")
print(json.dumps({
    "debug": settings.DEBUG,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "hosts": settings.ALLOWED_HOSTS,
    "admin": settings.ADMIN_URL,
    "backend": settings.SENTIMENT_BACKEND,
    "db": configured,
    "health": health.status_code,
}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    prefixes = ("DJANGO_", "DATABASE_", "MARKETPULSE_", "SENTIMENT_", "ADMIN_URL", "LOG_", "REDDIT_", "METRICS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="marketpulse.settings", **extra)
    return env


def test_the_example_is_a_working_local_configuration(tmp_path):
    import json

    # The same reader settings.py uses for .env, on a copy of the example (the repo's own .env is left alone).
    example = str(ROOT / ".env.example")
    script = (
        f"import environ; environ.Env.read_env({example!r}, overwrite=False)\n"
        "import os; os.environ['MARKETPULSE_IGNORE_DOTENV'] = '1'\n"
    ) + PROBE
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is True
    assert not seen["ssl_redirect"] and not seen["secure_cookies"] and seen["hsts"] == 0
    assert {"localhost", "127.0.0.1"} <= set(seen["hosts"])
    assert seen["admin"] == "admin/"
    assert seen["backend"] == "vader"
    assert seen["db"] == str(ROOT / "db.sqlite3")
    assert seen["health"] == 200


def test_settings_read_dotenv_unless_told_not_to():
    settings_py = (ROOT / "marketpulse" / "settings.py").read_text()
    assert 'BASE_DIR / ".env"' in settings_py and "MARKETPULSE_IGNORE_DOTENV" in settings_py


def test_the_readme_says_to_copy_the_example():
    readme = (ROOT / "README.md").read_text()
    assert "cp .env.example .env" in readme
