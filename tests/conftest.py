"""Shared fixtures.

Settings come from `tests/settings.py` (production settings with a throwaway
secret key and no HTTPS redirect). DATABASE_URL picks the database; unset means SQLite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only(db):
    """Skip, saying so, when the suite runs on SQLite."""
    if not is_postgres():
        pytest.skip("SKIPPED: needs PostgreSQL; this run uses SQLite (set DATABASE_URL to run it)")


@pytest.fixture
def subprocess_env(transactional_db) -> dict[str, str]:
    """Environment for a `manage.py` subprocess that talks to this test's database.

    Needs `transactional_db` (data must be committed for another process to see it).
    """
    from django.db import connection

    env = dict(os.environ)
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    else:
        user = settings_dict.get("USER") or ""
        password = settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        env["DATABASE_URL"] = f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def manage_py() -> list[str]:
    """argv prefix to run manage.py with this interpreter."""
    return [sys.executable, str(ROOT / "manage.py")]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A local AWS API server (moto in server mode) for the whole session: its URL."""
    from tests.moto import moto_server_running

    with moto_server_running(ROOT / "var" / f"moto-{os.getpid()}.log") as url:
        yield url


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch):
    """Standard AWS variables pointing boto3 at the moto server; moto's state reset per test."""
    from tests.moto import aws_test_env, moto_reset

    moto_reset(moto_endpoint)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    env = aws_test_env(moto_endpoint)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
