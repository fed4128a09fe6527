"""The import-linter contracts in .importlinter hold, and would catch a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ["marketpulse", "articles", "ingest", "sentiment", "ops"]


def lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contracts_kept():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Contracts: 3 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "broken"),
    [
        # indirect: marketpulse.apps (web path) imports marketpulse.jobs in ready()
        ("marketpulse/jobs.py", "import boto3", "never imports praw", 1),
        ("marketpulse/health.py", "import torch", "never imports praw", 1),
        # (and indirectly sentiment -> articles.services -> ingest: the independence contract too)
        ("articles/services.py", "from ingest import models as _ingest_models", "The house", 2),
        ("marketpulse/jobs.py", "from articles import models as _articles_models", "The house", 1),
        # siblings: both the layers contract (independent layer) and the independence contract
        ("ops/selectors.py", "from sentiment import text as _text", "never import each other", 2),
    ],
)
def test_a_violation_breaks_the_contract(tmp_path, module, line, contract, broken):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "data", "templates", "static", "sample_data"),
        )
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}\n")
    proc = lint(tmp_path)
    assert proc.returncode != 0
    assert f"{broken} broken" in proc.stdout
    broken = " ".join(proc.stdout.split("Broken contracts")[-1].split())
    assert contract in broken
