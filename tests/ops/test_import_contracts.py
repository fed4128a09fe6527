"""The import-linter contracts in .importlinter hold, and catch a violation of the layering.

Only lint-imports' exit code is checked, never its output: the contracts' names, number and
wording belong to .importlinter and may change. The violations below break the rules the
project states (STYLE.md: the web path never imports praw, torch, transformers or boto3, not
even through a helper; data flows one way, so `articles` never imports `ingest`), whatever
contracts express them. Each runs on a copy of the root packages .importlinter names, after
the unmodified copy is shown to pass, so a non-zero exit means the violation was caught.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "data", "templates", "static", "sample_data")


def root_packages() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    section = parser["importlinter"]
    names = section.get("root_packages") or section.get("root_package") or ""
    return names.split()


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def report(proc: subprocess.CompletedProcess) -> str:
    return f"lint-imports exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory) -> Path:
    """The root packages copied as they are; lint-imports passes on the copy."""
    base = tmp_path_factory.mktemp("import-contracts-clean")
    packages = root_packages()
    assert packages, f"no root_packages in {CONFIG}"
    for package in packages:
        shutil.copytree(ROOT / package, base / package, ignore=COPY_IGNORE)
    return base


def test_contracts_kept():
    proc = lint(ROOT)
    assert proc.returncode == 0, report(proc)


def test_contracts_kept_on_the_unmodified_copy(clean_copy):
    proc = lint(clean_copy)
    assert proc.returncode == 0, report(proc)


@pytest.mark.parametrize(
    ("module", "line", "extra_module"),
    [
        pytest.param(
            "articles/views.py",
            "from marketpulse import _contract_probe  # indirect: the helper imports boto3",
            ("marketpulse/_contract_probe.py", "import boto3\n"),
            id="web-path-imports-boto3-through-a-helper",
        ),
        pytest.param("marketpulse/health.py", "import torch", None, id="web-path-imports-torch"),
        pytest.param(
            "articles/__init__.py",
            "from ingest import models as _ingest_models",
            None,
            id="articles-imports-ingest",
        ),
        pytest.param(
            "marketpulse/jobs.py",
            "from articles import models as _articles_models",
            None,
            id="marketpulse-imports-articles",
        ),
        pytest.param("ingest/linker.py", "from sentiment import text as _text", None, id="ingest-imports-sentiment"),
        pytest.param("ops/selectors.py", "from ingest import models as _models", None, id="ops-imports-ingest"),
    ],
)
def test_a_violation_makes_lint_imports_fail(clean_copy, tmp_path, module, line, extra_module):
    tree = tmp_path / "tree"
    shutil.copytree(clean_copy, tree)
    target = tree / module
    assert target.is_file(), f"{module} is gone: pick another module for this case"
    if extra_module:
        path, text = extra_module
        (tree / path).write_text(text)
    target.write_text(target.read_text() + f"\n{line}\n")
    proc = lint(tree)
    assert proc.returncode != 0, "the violation was not caught: " + report(proc)
