"""The suite never reads or writes the working state (issue 30 item 1): `make demo` then
`make test` must pass, so the demo's promoted model in var/stance-models and its
db.sqlite3 are out of the tests' reach, and tests/isolation.py fails a session that
changed them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from tests import isolation

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import django, json
django.setup()
from django.conf import settings
from sentiment.stance.store import promoted_read, store_open
db = settings.DATABASES["default"]
print(json.dumps({
    "store": settings.STANCE_MODEL_STORE,
    "cache": settings.STANCE_MODEL_CACHE,
    "db": str(db["NAME"]),
    "test_db": str(db.get("TEST", {}).get("NAME") or ""),
    "promoted": promoted_read(store_open()),
}))
"""


def _fresh_settings(**env: str) -> dict:
    """tests.settings loaded by a new process started as a developer's shell would: no
    session directory yet, plus `env` (what the shell exported)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {isolation.STATE_ENV, "STANCE_MODEL_STORE", "DATABASE_URL"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _inside(path: str, directory: Path) -> bool:
    return Path(path).resolve().is_relative_to(directory.resolve())


def test_every_state_path_is_in_the_session_directory():
    state = isolation.state_dir()
    assert not _inside(str(state), ROOT)
    for path in (settings.STANCE_MODEL_STORE, settings.STANCE_MODEL_CACHE, os.environ["HF_HOME"]):
        assert _inside(path, state) and not _inside(path, ROOT / "var"), path
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        assert _inside(str(db["NAME"]), state) and _inside(str(db["TEST"]["NAME"]), state)


def test_a_promoted_model_in_the_working_store_is_never_read(tmp_path):
    # The demo's store: a promoted model in var/stance-models, and the same store exported
    # in the shell (scripts/demo.sh exports STANCE_MODEL_STORE). Neither reaches the tests.
    working = tmp_path / "var" / "stance-models"
    working.mkdir(parents=True)
    (working / "PROMOTED").write_text(json.dumps({"version": "20261130T120000Z-demo000000"}))

    for env in ({}, {"STANCE_MODEL_STORE": str(working), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}):
        seen = _fresh_settings(**env)
        assert seen["store"] != str(ROOT / "var" / "stance-models"), env
        assert not _inside(seen["store"], working) and not _inside(seen["store"], ROOT), (env, seen)
        assert not _inside(seen["cache"], ROOT), (env, seen)
        assert seen["promoted"] is None, (env, seen)
        assert not _inside(seen["db"], ROOT) and not _inside(seen["db"], tmp_path), (env, seen)
        assert seen["db"] != str(ROOT / "db.sqlite3") and not _inside(seen["test_db"], ROOT), (env, seen)


def test_snapshot_sees_db_and_var_but_not_var_tools(tmp_path):
    (tmp_path / "var" / "tools").mkdir(parents=True)
    (tmp_path / "var" / "stance-models").mkdir()
    (tmp_path / "db.sqlite3").write_bytes(b"x")
    before = isolation.snapshot(tmp_path)
    assert isolation.changes(before, isolation.snapshot(tmp_path)) == []

    (tmp_path / "var" / "tools" / "actionlint").write_text("installed by CI")
    assert isolation.changes(before, isolation.snapshot(tmp_path)) == []

    (tmp_path / "var" / "stance-models" / "PROMOTED").write_text("{}")
    (tmp_path / "db.sqlite3").write_bytes(b"xy")
    (tmp_path / "db.sqlite3-wal").write_bytes(b"")
    assert isolation.changes(before, isolation.snapshot(tmp_path)) == [
        "created db.sqlite3-wal",
        "created var/stance-models/PROMOTED",
        "changed db.sqlite3",
        "changed var/stance-models",
    ]
    (tmp_path / "var" / "stance-models" / "PROMOTED").unlink()
    after = isolation.snapshot(tmp_path)
    (tmp_path / "var" / "stance-models").rmdir()
    assert "removed var/stance-models" in isolation.changes(after, isolation.snapshot(tmp_path))


def test_the_plugin_fails_a_session_that_changed_the_working_state(tmp_path, monkeypatch):
    monkeypatch.setattr(isolation, "ROOT", tmp_path)
    (tmp_path / "var").mkdir()
    lines: list[str] = []
    reporter = SimpleNamespace(write_sep=lambda *a, **k: None, write_line=lambda line, **k: lines.append(line))
    config = SimpleNamespace(stash={}, pluginmanager=SimpleNamespace(get_plugin=lambda name: reporter))
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)

    isolation.pytest_sessionstart(session)
    isolation.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.OK and lines == []

    (tmp_path / "var" / "stance-models").mkdir()
    isolation.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert any("created var/stance-models" in line for line in lines)
