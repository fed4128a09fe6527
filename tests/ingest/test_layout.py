"""Where ingest's code lives: the write side needs no praw, the job needs no replay server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _loaded_after(imports: str, watched: tuple[str, ...]) -> list[str]:
    code = (
        "import json, sys, django;"
        "django.setup();"
        f"{imports};"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {watched!r} or m in {watched!r})))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_upsert_and_progress_import_neither_praw_nor_the_reddit_client():
    loaded = _loaded_after("import ingest.upsert, ingest.scrape.progress", ("praw", "prawcore", "ingest.scrape.client"))
    assert loaded == []


@pytest.mark.parametrize("module", ["ingest.scrape.scraper", "ingest.management.commands.scrape_reddit"])
def test_the_job_never_imports_the_replay_server(module):
    """The images leave ingest/fakereddit/ out (.dockerignore): nothing the jobs run may import it."""
    loaded = _loaded_after(f"import {module}", ("ingest.fakereddit",))
    assert [m for m in loaded if m.startswith("ingest.fakereddit")] == []


def test_the_images_leave_out_tests_benchmarks_the_replay_server_and_sample_data():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"tests", "benchmarks", "ingest/fakereddit", "ingest/sample_data"} <= ignored
