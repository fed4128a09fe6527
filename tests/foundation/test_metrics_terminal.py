"""The EMF metrics line is for CloudWatch, not for a person at a terminal (issue 13).

Printed when stdout is not a TTY (the awslogs driver, a pipe) or METRICS_EMF=true;
METRICS_EMF=false turns it off everywhere.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from marketpulse import jobs, metrics

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _finished_run():
    with jobs.job_run("refresh_rollups", handle_signals=False) as run:
        run.set("rollup_rows", 1)
    return run


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("emf", "stream_class", "printed"),
    [
        (None, Terminal, False),
        (None, io.StringIO, True),
        (True, Terminal, True),
        (True, io.StringIO, True),
        (False, io.StringIO, False),
        (False, Terminal, False),
    ],
)
def test_the_line_is_printed_off_a_terminal_or_when_asked(emf, stream_class, printed, monkeypatch):
    monkeypatch.setattr(jobs, "_finish_hooks", [])
    run = _finished_run()
    stream = stream_class()
    with override_settings(METRICS_EMF=emf):
        metrics.metrics_emit(run, stream=stream)
    assert ('"_aws"' in stream.getvalue()) is printed


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("true", True), ("1", True), ("false", False)])
def test_metrics_emf_setting(raw, expected):
    env = dict(os.environ, METRICS_EMF=raw, PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="tests.settings")
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.METRICS_EMF)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == str(expected)


def test_metrics_emf_is_documented():
    assert "\nMETRICS_EMF=" in (ROOT / ".env.example").read_text()
