"""Shared fixtures.

Settings come from `tests/settings.py` (production settings with a throwaway
secret key, no HTTPS redirect, and every state path in the session's TEST_STATE_DIR). DATABASE_URL picks the database; unset means SQLite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Fails the session if the tests touched db.sqlite3 or var/ (tests/isolation.py).
pytest_plugins = ["tests.isolation"]


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
    from tests.isolation import state_dir
    from tests.moto import moto_server_running

    with moto_server_running(state_dir() / f"moto-{os.getpid()}.log") as url:
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


CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network: without the background-networking ones Chromium keeps
# trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Skips, saying loudly that the test did NOT run, only when /usr/bin/chromium is
    absent (`.ci/pre.d/10-chromium.sh` installs it in CI).
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"SKIPPED LOUDLY: {CHROMIUM} is missing: install Debian's chromium (see .ci/pre.d/10-chromium.sh); "
            "the browser test did NOT run"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls a test
    # makes between browser steps are ordinary blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's loop runs, the ORM works on a connection of its own
            # (Django's connections are context-local); close it, or PostgreSQL
            # cannot drop the test database at the end of the session.
            from django.db import connections

            connections.close_all()


def stance_from_article(article) -> dict:
    """Mention stance fields copied from the article's label, as migration 0005 fills them:
    what test data built with article labels needs so per-mention rollups count it as before."""
    from articles.models import LABEL_TO_STANCE

    fields: dict = {}
    if article.sentiment_label:
        fields.update(
            stance=LABEL_TO_STANCE[article.sentiment_label],
            stance_score=article.sentiment_score if article.sentiment_score is not None else 0.0,
            stance_model=article.sentiment_model,
        )
    if article.reviewed_label:
        fields.update(reviewed_stance=LABEL_TO_STANCE[article.reviewed_label], stance_reviewed_at=article.reviewed_at)
    return fields
