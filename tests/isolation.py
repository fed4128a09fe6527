"""pytest plugin: the suite never touches the working state.

Snapshots db.sqlite3* and var/ (except var/tools, where CI installs linters) when the
session starts and fails the session if anything there was created, changed or removed
by the end. tests/settings.py points every state path at the session's TEST_STATE_DIR;
`state_dir()` gives tests that directory for their own files (logs, screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATE_ENV = "MARKETPULSE_TEST_STATE_DIR"
EXEMPT = ("var/tools",)

Snapshot = dict[str, tuple]
_BEFORE = pytest.StashKey[Snapshot]()


def state_dir() -> Path:
    """The session's throwaway directory (made by tests/settings.py)."""
    return Path(os.environ[STATE_ENV])


def snapshot(root: Path | None = None) -> Snapshot:
    """Each working-state path under `root` (the project): relative name -> (kind, size, mtime_ns)."""
    root = root or ROOT
    seen: Snapshot = {}

    def add(path: Path) -> None:
        st = path.lstat()
        kind = "dir" if path.is_dir() and not path.is_symlink() else "file"
        seen[path.relative_to(root).as_posix()] = (kind, 0 if kind == "dir" else st.st_size, st.st_mtime_ns)

    for path in root.glob("db.sqlite3*"):
        add(path)
    var = root / "var"
    if var.is_dir():
        add(var)
        for top, dirs, files in os.walk(var):
            rel_top = Path(top).relative_to(root).as_posix()
            dirs[:] = [d for d in dirs if f"{rel_top}/{d}" not in EXEMPT]
            for name in dirs + files:
                try:
                    add(Path(top) / name)
                except FileNotFoundError:  # removed while walking: absent from this snapshot
                    pass
    return seen


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """What differs, one line per path: created, changed or removed."""
    out = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    found = changes(before, snapshot())
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["the test run changed the working state (db.sqlite3, var/): tests must use TEST_STATE_DIR"]
    lines += [f"  {line}" for line in found[:50]] + ([f"  ... and {len(found) - 50} more"] if len(found) > 50 else [])
    if reporter is not None:
        reporter.write_sep("=", "working state changed", red=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(lines))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
