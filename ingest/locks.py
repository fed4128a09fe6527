"""One scraper per subreddit at a time; one importer per dump file (`dump_lock`, at the end).

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) per subreddit.
The server releases it when the connection ends, so a SIGKILLed run never leaves
it behind.

SQLite has no advisory locks, so a `ScrapeLock` row (unique per subreddit) stands
in. A run refreshes its row's heartbeat after every committed batch. A row is
taken over when (a) its owner process is gone from this host (the common case:
a killed run on the same machine), or (b) its heartbeat is older than
`STALE_AFTER_SECONDS` (10 minutes: far longer than any batch, far shorter than a
day of missed scrapes), for owners on another host.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ingest.models import DumpCheckpoint, ScrapeLock

logger = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 600
_ADVISORY_CLASS = 0x4D50  # "MP": our namespace for the two-int advisory lock form


@dataclass
class LockHandle:
    subreddit: str
    acquired: bool
    holder: str = ""
    owner: str = ""

    def heartbeat(self) -> None:
        if self.acquired and connection.vendor != "postgresql":
            ScrapeLock.objects.filter(subreddit=self.subreddit, owner=self.owner).update(heartbeat_at=timezone.now())


def _key(subreddit: str) -> int:
    return zlib.crc32(f"scrape_reddit:{subreddit.lower()}".encode()) & 0x7FFFFFFF


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _try_row_lock(subreddit: str, owner: str) -> tuple[bool, str]:
    now = timezone.now()
    host, pid = socket.gethostname()[:255], os.getpid()
    with transaction.atomic():
        row = ScrapeLock.objects.filter(subreddit=subreddit).first()
        if row is not None:
            stale = row.heartbeat_at < now - timedelta(seconds=STALE_AFTER_SECONDS)
            dead = row.hostname == host and not _pid_alive(row.pid)
            if not (stale or dead):
                return False, f"pid {row.pid} on {row.hostname or '?'} since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
            logger.warning("r/%s: taking over a stale scrape lock from pid %s on %s", subreddit, row.pid, row.hostname)
            ScrapeLock.objects.filter(pk=row.pk, owner=row.owner).delete()
        try:
            with transaction.atomic():
                ScrapeLock.objects.create(
                    subreddit=subreddit, owner=owner, hostname=host, pid=pid, acquired_at=now, heartbeat_at=now
                )
        except IntegrityError:
            return False, "another run took it a moment ago"
    return True, ""


@contextmanager
def scrape_lock(subreddit: str) -> Iterator[LockHandle]:
    """Try to take the lock for `subreddit`; `handle.acquired` says whether we got it."""
    subreddit = subreddit.lower()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_CLASS, _key(subreddit)])
            acquired = bool(cursor.fetchone()[0])
        handle = LockHandle(
            subreddit, acquired, holder="" if acquired else "another session holds the PostgreSQL advisory lock"
        )
        try:
            yield handle
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_CLASS, _key(subreddit)])
        return
    owner = uuid.uuid4().hex
    acquired, holder = _try_row_lock(subreddit, owner)
    handle = LockHandle(subreddit, acquired, holder=holder, owner=owner)
    try:
        yield handle
    finally:
        if acquired:
            ScrapeLock.objects.filter(subreddit=subreddit, owner=owner).delete()


# ------------------------------------------------------------------ dump files


def dump_lock_key(identity_key: str) -> int:
    """A signed 63-bit advisory lock key for one dump file (the single-bigint form).

    PostgreSQL keeps single-bigint keys apart from the two-int keys of `scrape_lock`,
    and 63 bits of SHA-256 make two different files sharing a key practically impossible.
    """
    return int.from_bytes(hashlib.sha256(f"import_dump:{identity_key}".encode()).digest()[:8], "big") >> 1


@dataclass
class DumpLockHandle:
    key: str
    acquired: bool
    holder: str = ""
    owner: str = ""


@contextmanager
def dump_lock(*, identity_key: str, checkpoint_id: int | None = None) -> Iterator[DumpLockHandle]:
    """One `import_dump` per dump file at a time; runs on different files never block each other.

    PostgreSQL: a session advisory lock keyed on the file identity (released by the server
    if the process dies). SQLite: the file's `DumpCheckpoint` row is the lock row (owner,
    host, pid, heartbeat), taken over like `ScrapeLock` when its owner is gone from this
    host or its heartbeat is older than `STALE_AFTER_SECONDS`; `import_dump` refreshes the
    heartbeat with every batch it commits.
    """
    if connection.vendor == "postgresql":
        key = dump_lock_key(identity_key)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = bool(cursor.fetchone()[0])
        handle = DumpLockHandle(
            identity_key, acquired, holder="" if acquired else "another session holds its PostgreSQL advisory lock"
        )
        try:
            yield handle
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    if checkpoint_id is None:
        raise ValueError("dump_lock on SQLite needs the file's checkpoint row")
    owner = uuid.uuid4().hex
    acquired, holder = _try_checkpoint_lock(checkpoint_id, owner)
    handle = DumpLockHandle(identity_key, acquired, holder=holder, owner=owner)
    try:
        yield handle
    finally:
        if acquired:
            DumpCheckpoint.objects.filter(pk=checkpoint_id, owner=owner).update(owner="", pid=None)


def _try_checkpoint_lock(checkpoint_id: int, owner: str) -> tuple[bool, str]:
    now = timezone.now()
    host, pid = socket.gethostname()[:255], os.getpid()
    with transaction.atomic():
        row = DumpCheckpoint.objects.select_for_update().get(pk=checkpoint_id)
        if row.owner:
            stale = row.heartbeat_at is None or row.heartbeat_at < now - timedelta(seconds=STALE_AFTER_SECONDS)
            dead = row.hostname == host and not _pid_alive(row.pid)
            if not (stale or dead):
                return (
                    False,
                    f"pid {row.pid} on {row.hostname or '?'} (heartbeat {row.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)",
                )
            logger.warning("%s: taking over a stale import lock from pid %s on %s", row.source, row.pid, row.hostname)
        # Compare-and-set on the owner seen above: of two runs racing here, one updates the row.
        taken = DumpCheckpoint.objects.filter(pk=checkpoint_id, owner=row.owner).update(
            owner=owner, hostname=host, pid=pid, heartbeat_at=now
        )
    if not taken:
        return False, "another run took it a moment ago"
    return True, ""
