"""Configuration: clear one-line errors, secure production defaults, clean migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_SECRET = "k3y-" + "x7Q9pL2mZ8vR4tW6yB1nC5dF0gH3jK7s" * 2  # > 50 chars, many unique


#: `check --deploy` tags but staticfiles (marketpulse.E001 needs collectstatic first).
NOT_STATIC = ("--tag", "security", "--tag", "caches")


def _clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without any of our variables, plus `extra`."""
    ours = ("DJANGO_", "DATABASE_URL", "LOG_", "REDDIT_", "SENTIMENT_", "ADMIN_URL", "STALE_", "SQLITE_")
    ours += ("AXES_", "API_RATE_LIMIT", "CACHE_URL", "FORWARDED_ALLOW_IPS")
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
    "name, value, message",
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be true or false, not 'maybe'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json, not 'xml'"),
        ("STALE_AFTER_MINUTES", "soon", "STALE_AFTER_MINUTES must be a whole number, not 'soon'"),
        # django-environ alone reads "2" and "y" as booleans; we refuse them.
        ("DJANGO_SECURE_COOKIES", "2", "DJANGO_SECURE_COOKIES must be true or false, not '2'"),
        ("SENTIMENT_QUANTIZE", "y", "SENTIMENT_QUANTIZE must be true or false, not 'y'"),
        ("REDDIT_REQUEST_BUDGET", "0", "REDDIT_REQUEST_BUDGET must be at least 1, not 0"),
        ("SENTIMENT_BATCH_SIZE", "1.5", "SENTIMENT_BATCH_SIZE must be a whole number, not '1.5'"),
        ("AXES_FAILURE_LIMIT", "five", "AXES_FAILURE_LIMIT must be a whole number, not 'five'"),
        ("AXES_COOLOFF_MINUTES", "0", "AXES_COOLOFF_MINUTES must be at least 1, not 0"),
        ("AXES_LOCKOUT_PARAMETERS", "ip_address,cookie", "AXES_LOCKOUT_PARAMETERS must list ip_address"),
        ("API_RATE_LIMIT", "lots", "API_RATE_LIMIT must look like 120/m"),
        ("API_RATE_LIMIT", "0/m", "API_RATE_LIMIT must look like 120/m"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.0/8,lb.internal", "FORWARDED_ALLOW_IPS must list addresses or networks"),
        ("CACHE_URL", "redis://127.0.0.1:6379/5", "CACHE_URL is a Redis URL but the redis package is not installed"),
        ("CACHE_URL", "nosuch://x", "CACHE_URL is malformed"),
    ],
)
def test_bad_values_are_one_clear_line(name, value, message):
    if name == "CACHE_URL" and value.startswith("redis"):
        import importlib.util

        if importlib.util.find_spec("redis") is not None:
            pytest.skip("the redis package is installed here: a Redis CACHE_URL is valid")
    result = _manage("check", env=_clean_env(**({"DJANGO_DEBUG": "true"} | {name: value})))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Configuration error: {message}"), result.stderr


def test_empty_values_mean_the_default_and_lists_are_trimmed(tmp_path):
    """`.env.example` leaves optional variables empty; lists may have spaces."""
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.SENTIMENT_BATCH_SIZE, s.REDDIT_SUBREDDITS, s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME, s.AXES_LOCKOUT_PARAMETERS, s.API_RATE_LIMIT, s.CACHES['ratelimit']['BACKEND'])"
    )
    env = _clean_env(
        DJANGO_DEBUG="TRUE",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_ALLOWED_HOSTS=" a.example , b.example ,, ",
        SENTIMENT_BATCH_SIZE="",
        REDDIT_SUBREDDITS="",
        AXES_FAILURE_LIMIT="7",
        AXES_LOCKOUT_PARAMETERS="username+ip_address",
        API_RATE_LIMIT="off",
        CACHE_URL="locmemcache://",
    )
    result = _manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "True ['a.example', 'b.example'] 32 ['wallstreetbets'] 7 0:15:00 [['username', 'ip_address']] "
        " django.core.cache.backends.locmem.LocMemCache"
    )


def test_check_deploy_passes_with_the_three_production_variables_and_redis(tmp_path):
    env = _clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=PROD_SECRET,
        DJANGO_ALLOWED_HOSTS="marketpulse.example.com",
        CACHE_URL="redis://127.0.0.1:6379/13",
    )
    # Every deploy check but the static files' (nothing is collected here): test_health_static.py.
    result = _manage("check", "--deploy", *NOT_STATIC, "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_rate_limit_counts_in_the_database():
    env = _clean_env(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY=PROD_SECRET, DJANGO_ALLOWED_HOSTS="marketpulse.example.com"
    )
    result = _manage("check", "--deploy", *NOT_STATIC, env=env)
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not an error
    out = result.stdout + result.stderr
    assert "marketpulse.W001" in out and "CACHE_URL=redis://" in out
    assert _manage("check", "--deploy", env=dict(env, API_RATE_LIMIT="off")).stdout.count("W001") == 0
    assert "W001" not in _manage("check", env=env).stdout + _manage("check", env=env).stderr  # deploy only


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


def test_every_variable_the_settings_read_is_in_env_example():
    import re

    names = set(
        re.findall(r"""env\.\w+\(\s*"([A-Z][A-Z0-9_]+)\"""", (ROOT / "marketpulse" / "settings.py").read_text())
    )
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert names and not names - documented, sorted(names - documented)
