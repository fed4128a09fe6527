"""What the infra tests share besides fixtures: names, the Terraform runner, the stack copies."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.isolation import state_dir

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
WORK = state_dir() / "infra-moto"  # the session's throwaway directory, never var/ (tests/isolation.py)
REGION = "us-east-1"
PREFIX = "market-pulse-"
CLUSTER = "market-pulse"
JOBS = ("scraper", "sentiment", "status")
DEFAULT_MIRROR = "/opt/tf-plugins"
TF_TIMEOUT = 600  # seconds for one terraform command; the whole check took 508 s at load 15-18


def tail(proc: subprocess.CompletedProcess, lines: int = 60) -> str:
    """The end of a command's output, for an assertion message."""
    out = (proc.stdout + proc.stderr).strip().splitlines()
    return f"`{' '.join(map(str, proc.args[:4]))} ...` exited {proc.returncode}:\n" + "\n".join(
        "   | " + line for line in out[-lines:]
    )


@dataclass
class Terraform:
    """Runs one terraform command in a directory with the moto environment; never raises on
    a non-zero exit (callers assert on it). Each command's output also goes to a log file."""

    binary: str
    env: dict[str, str]
    logs: Path
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __call__(self, cwd: Path, command: str, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.binary, command, "-no-color", *args],
            cwd=cwd,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=TF_TIMEOUT,
            check=False,
        )
        log = self.logs / f"{next(self._numbers):02d}-{cwd.name}-{command}.log"
        log.write_text(f"$ terraform {command} {' '.join(args)}  (exit {proc.returncode})\n{proc.stdout}{proc.stderr}")
        return proc

    def require(self, cwd: Path, command: str, *args: str) -> subprocess.CompletedProcess:
        """Run, and fail the calling fixture unless terraform exits 0."""
        proc = self(cwd, command, *args)
        if proc.returncode != 0:
            pytest.fail(f"terraform {command} in {cwd.relative_to(ROOT)}: {tail(proc)}", pytrace=False)
        return proc


def stack_copy(src: Path, dest: Path, tfvars: dict[str, Any]) -> Path:
    """src/*.tf and its lock file copied to dest beside infra/ci/moto/*.tf (local backend,
    provider -> moto) and a moto.auto.tfvars.json with the test's values."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in [*sorted(src.glob("*.tf")), src / ".terraform.lock.hcl", *sorted((INFRA / "ci" / "moto").glob("*.tf"))]:
        shutil.copy2(f, dest / f.name)
    (dest / "moto.auto.tfvars.json").write_text(json.dumps(tfvars, indent=2) + "\n")
    return dest


@dataclass
class Stack:
    dir: Path
    network: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)  # terraform output name -> value
    applied: bool = False  # True until a destroy succeeded


@dataclass
class Bootstrap:
    """infra/bootstrap's whole round trip, as the background lane recorded it (the lane runs
    beside the main stack, so it keeps what the tests then assert on)."""

    dir: Path
    bucket: str = "market-pulse-tfstate-123456789012"  # moto's account id
    lock_table: str = "market-pulse-tflock"
    applied: bool = False  # True from the apply until a destroy succeeded
    after_apply: dict[str, Any] = field(default_factory=dict)  # what moto held right after the apply
    plan: subprocess.CompletedProcess | None = None  # `plan -detailed-exitcode` right after the apply
    destroy: subprocess.CompletedProcess | None = None
    buckets_after_destroy: list[str] = field(default_factory=list)
