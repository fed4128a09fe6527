"""Configuration: clear one-line errors, secure production defaults, clean migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_SECRET = "k3y-" + "x7Q9pL2mZ8vR4tW6yB1nC5dF0gH3jK7s" * 2  # > 50 chars, many unique


def _clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without any of our variables, plus `extra`."""
    ours = ("DJANGO_", "DATABASE_URL", "LOG_", "REDDIT_", "SENTIMENT_", "ADMIN_URL", "STALE_", "SQLITE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["MARKETPULSE_IGNORE_DOTENV"] = "1"
    env.update(extra)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_missing_secret_key_in_production_is_one_clear_line():
    result = _manage("check", env=_clean_env(DJANGO_DEBUG="false"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: DJANGO_SECRET_KEY is not set")


def test_debug_mode_needs_no_secret_key(tmp_path):
    result = _manage("check", env=_clean_env(DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("mysql//nothing-here", "DATABASE_URL is malformed"),
        ("redis://127.0.0.1:6379/0", "DATABASE_URL is malformed"),
        ("postgres://user:secretpw@db.example:notaport/app", "DATABASE_URL is malformed"),
        ("postgres://user@db.example:5432", "DATABASE_URL is malformed"),
    ],
)
def test_malformed_database_url_is_one_clear_line(url, fragment):
    result = _manage("check", env=_clean_env(DJANGO_DEBUG="true", DATABASE_URL=url))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "secretpw" not in result.stderr  # never echo a password


@pytest.mark.parametrize(
    "name, value", [("DJANGO_DEBUG", "maybe"), ("LOG_FORMAT", "xml"), ("STALE_AFTER_MINUTES", "soon")]
)
def test_bad_values_are_one_clear_line(name, value):
    result = _manage("check", env=_clean_env(**({"DJANGO_DEBUG": "true"} | {name: value})))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert name in result.stderr


def test_check_deploy_passes_with_only_the_three_production_variables(tmp_path):
    env = _clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=PROD_SECRET,
        DJANGO_ALLOWED_HOSTS="marketpulse.example.com",
    )
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_an_insecure_override():
    env = _clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=PROD_SECRET,
        DJANGO_ALLOWED_HOSTS="marketpulse.example.com",
        DJANGO_SECURE_COOKIES="false",
    )
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


def test_no_missing_migrations(tmp_path):
    env = _clean_env(DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    result = _manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
