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
