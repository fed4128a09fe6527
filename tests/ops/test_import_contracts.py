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
PACKAGES = ["marketpulse", "articles", "ingest", "sentiment"]


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
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("articles/views.py", "from marketpulse import aws  # indirect: aws imports boto3", "never imports praw"),
        ("marketpulse/health.py", "import torch", "never imports praw"),
        ("articles/services.py", "from ingest import models as _ingest_models", "articles imports neither"),
    ],
)
def test_a_violation_breaks_the_contract(tmp_path, module, line, contract):
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
    assert "1 broken" in proc.stdout
    broken = " ".join(proc.stdout.split("Broken contracts")[-1].split())
    assert contract in broken
