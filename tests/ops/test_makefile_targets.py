"""The runbook's make targets really drive manage.py ecs (against moto_server)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.ops.conftest import PREFIX, ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="SKIPPED: no make on this machine"),
]


def make(target: str, aws_env: dict, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **aws_env}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the targets use the project's own settings
    env.pop("DJANGO_SECRET_KEY", None)
    env.pop("DJANGO_DEBUG", None)
    # -o install: the venv running the tests is the one the targets use; do not rebuild it
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "install", target, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_schedule_targets(stack, boto, aws_env):
    proc = make("schedule-enable-all", aws_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "changed 3 of 3 schedule(s)" in proc.stdout
    proc = make("schedule-status", aws_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ENABLED") == 3
    proc = make("schedule-disable-all", aws_env)
    assert proc.returncode == 0, proc.stderr
    states = {
        s["Name"]: s["State"] for s in boto("scheduler").list_schedules()["Schedules"] if s["Name"].startswith(PREFIX)
    }
    assert set(states.values()) == {"DISABLED"}


def test_run_tasks_and_logs_targets(stack, boto, aws_env):
    proc = make("ecs-run-sentiment", aws_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"started {PREFIX}sentiment task" in proc.stdout
    proc = make("ecs-list-tasks", aws_env)
    assert proc.returncode == 0 and f"{PREFIX}sentiment" in proc.stdout
    proc = make("ecs-logs-status", aws_env, "SINCE=2h")
    assert proc.returncode == 0, proc.stderr
    assert "no events in /ecs/market-pulse-status in the last 2h" in proc.stderr


def test_a_failing_target_fails_make(stack, aws_env):
    proc = make("ecs-list-tasks", aws_env, "ECS_ARGS=--cluster nope")
    assert proc.returncode != 0
    assert "CommandError: cluster 'nope' not found" in proc.stderr
