"""The JobRun helper every job uses: `with job_run(name, arguments=options) as run: ...`.

The row ends succeeded, failed or interrupted (SIGTERM/SIGINT only set a flag the job
reads between batches, `run.stop_requested`); `exit_if_stopped` exits 128 + the signal.
The lifecycle, hooks and dry runs: docs/design/jobs-and-metrics.md.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from marketpulse.models import JobRun

logger = logging.getLogger(__name__)

_finish_hooks: list[Callable[[RunHandle], None]] = []


def on_finish(callback: Callable[[RunHandle], None]) -> Callable[[RunHandle], None]:
    """Register a callback run with the RunHandle after every job run ends."""
    if callback not in _finish_hooks:
        _finish_hooks.append(callback)
    return callback


def _jsonable(arguments: dict[str, Any]) -> dict[str, Any]:
    skip = {"stdout", "stderr", "no_color", "force_color", "skip_checks", "settings", "pythonpath", "traceback"}
    out: dict[str, Any] = {}
    for key, value in arguments.items():
        if key in skip:
            continue
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [v if isinstance(v, (str, int, float, bool)) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def counter_breakdown(counters: dict[str, Any] | None, name: str) -> dict[str, int]:
    """A breakdown counter (`RunHandle.incr_in`) as {key: n}, largest first; {} when absent or malformed."""
    raw = (counters or {}).get(name)
    if not isinstance(raw, dict):
        return {}
    clean = {
        str(k): int(v) for k, v in raw.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
    }
    return dict(sorted(clean.items(), key=lambda kv: (-kv[1], kv[0])))


def counter_total(counters: dict[str, Any] | None, name: str) -> int:
    """The sum of a breakdown counter (e.g. every rejected item, whatever the reason)."""
    return sum(counter_breakdown(counters, name).values())


class RunHandle:
    """What a job sees of its run: counters, the stop flag and, for a real run, the row.

    This is the one run handle of the project. `DryRunHandle` (below) is the same
    thing with no row: a `--dry-run` writes no JobRun, so its counters live only in
    memory. Code that may run without a job (tests, benchmarks) passes `DryRunHandle()`
    rather than checking for attributes.
    """

    def __init__(self, row: JobRun | None) -> None:
        self.row = row
        self.counters: dict[str, Any] = row.counters if row is not None else {}
        self.stop_requested = False
        self.stop_signal: int | None = None

    @property
    def command(self) -> str:
        return self.row.command if self.row is not None else ""

    def incr(self, name: str, amount: int | float = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    def set(self, name: str, value: Any) -> None:
        self.counters[name] = value

    def incr_in(self, name: str, key: str, amount: int = 1) -> None:
        """Count `key` inside the breakdown counter `name`: counters[name] = {key: n, ...}.

        Used for `counters["rejected"] = {reason: n}` (items refused at the edge, by
        reason); `counter_total(counters, name)` reads the sum back.
        """
        breakdown = self.counters.get(name)
        if not isinstance(breakdown, dict):
            breakdown = self.counters[name] = {}
        breakdown[str(key)] = breakdown.get(str(key), 0) + amount

    def save_counters(self) -> None:
        if self.row is not None:
            JobRun.objects.filter(pk=self.row.pk).update(counters=self.counters)

    def request_stop(self, signum: int | None = None) -> None:
        self.stop_requested = True
        self.stop_signal = signum


class DryRunHandle(RunHandle):
    """A dry run writes nothing, not even a JobRun row: counters stay in memory."""

    def __init__(self) -> None:
        super().__init__(None)


@contextmanager
def _stop_on_signals(run: RunHandle, command: str, handle_signals: bool = True) -> Iterator[None]:
    """SIGTERM/SIGINT only set `run.stop_requested` while inside; the previous handlers come back after."""
    previous: dict[int, Any] = {}

    def _handler(signum: int, _frame: Any) -> None:
        if not run.stop_requested:
            logger.warning("%s: received %s, stopping after the current batch", command, signal.Signals(signum).name)
        run.request_stop(signum)

    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous[sig] = signal.signal(sig, _handler)
            except ValueError:  # not in the main thread (e.g. a test server thread)
                pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def job_run(
    command: str, *, arguments: dict[str, Any] | None = None, handle_signals: bool = True, dry_run: bool = False
) -> Iterator[RunHandle]:
    """The run of one job: a JobRun row (none with `dry_run`), the stop flag on SIGTERM/SIGINT."""
    if dry_run:
        run = DryRunHandle()  # a dry run writes nothing: no row, no hooks
        with _stop_on_signals(run, command, handle_signals):
            yield run
        return
    row = JobRun.objects.create(
        command=command,
        arguments=_jsonable(arguments or {}),
        started_at=timezone.now(),
        status=JobRun.Status.RUNNING,
        hostname=socket.gethostname()[:255],
        pid=os.getpid(),
    )
    run = RunHandle(row)
    with _stop_on_signals(run, command, handle_signals):
        try:
            yield run
        except BaseException as exc:
            row.status = JobRun.Status.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else JobRun.Status.FAILED
            row.error = f"{type(exc).__name__}: {exc}"[:10000]
            _finish(run)
            raise
        else:
            row.status = JobRun.Status.INTERRUPTED if run.stop_requested else JobRun.Status.SUCCEEDED
            if run.stop_requested and not row.error:
                row.error = f"stopped by {signal.Signals(run.stop_signal).name}" if run.stop_signal else "stopped"
            _finish(run)


def exit_if_stopped(run: RunHandle, *, command: str, detail: str = "") -> None:
    """After the job_run block: a stopped run ends the command with 128 + the signal (SIGTERM: 143)."""
    if not run.stop_requested:
        return
    signum = run.stop_signal or signal.SIGTERM
    message = f"{command}: interrupted by {signal.Signals(signum).name}"
    raise CommandError(message + (f"; {detail}" if detail else ""), returncode=128 + int(signum))


def _finish(run: RunHandle) -> None:
    row = run.row
    row.finished_at = timezone.now()
    row.counters = run.counters
    row.save(update_fields=["status", "error", "finished_at", "counters"])
    for hook in list(_finish_hooks):
        try:
            hook(run)
        except Exception:  # a metrics hook must never turn a good run into a failed one
            logger.exception("job finish hook %r failed", hook)
