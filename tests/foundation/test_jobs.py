"""The JobRun helper every job uses."""

from __future__ import annotations

import os
import signal

import pytest

from marketpulse import jobs
from marketpulse.jobs import job_run
from marketpulse.models import JobRun

pytestmark = pytest.mark.django_db


def test_success_records_counters_and_arguments():
    with job_run("demo_job", arguments={"limit": 5, "subreddit": ["wsb"], "stdout": object()}) as run:
        run.incr("scored", 3)
        run.incr("scored")
        run.set("model", "vader")
    row = JobRun.objects.get()
    assert row.status == JobRun.Status.SUCCEEDED
    assert row.counters == {"scored": 4, "model": "vader"}
    assert row.arguments == {"limit": 5, "subreddit": ["wsb"]}
    assert row.finished_at >= row.started_at
    assert row.duration_seconds is not None and row.duration_seconds >= 0
    assert row.pid == os.getpid()


def test_failure_records_error_and_reraises():
    with pytest.raises(ValueError, match="bad batch"):
        with job_run("demo_job") as run:
            run.incr("seen", 2)
            raise ValueError("bad batch")
    row = JobRun.objects.get()
    assert row.status == JobRun.Status.FAILED
    assert row.error == "ValueError: bad batch"
    assert row.counters == {"seen": 2}


def test_sigterm_sets_the_flag_and_marks_interrupted():
    before = signal.getsignal(signal.SIGTERM)
    with job_run("demo_job") as run:
        assert JobRun.objects.get().status == JobRun.Status.RUNNING
        os.kill(os.getpid(), signal.SIGTERM)
        assert run.stop_requested is True  # the handler only sets a flag; we are still running
        run.incr("batches")
    row = JobRun.objects.get()
    assert row.status == JobRun.Status.INTERRUPTED
    assert row.error == "stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_save_counters_is_visible_mid_run():
    with job_run("demo_job") as run:
        run.incr("batches")
        run.save_counters()
        assert JobRun.objects.get().counters == {"batches": 1}


def test_finish_hooks_run_and_a_broken_hook_is_contained(caplog):
    seen = []

    def good(run):
        seen.append((run.command, run.row.status))

    def broken(run):
        raise RuntimeError("metrics backend down")

    jobs.on_finish(good)
    jobs.on_finish(broken)
    try:
        with job_run("demo_job"):
            pass
    finally:
        jobs._finish_hooks.remove(good)
        jobs._finish_hooks.remove(broken)
    assert seen == [("demo_job", JobRun.Status.SUCCEEDED)]
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED
    assert "job finish hook" in caplog.text
