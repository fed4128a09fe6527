"""One scraper per subreddit, one importer per dump file: `scrape_lock`, `dump_lock`.

PostgreSQL: a session advisory lock, released by the server when the connection ends (a
SIGKILLed run leaves nothing behind). SQLite: a lock row, taken over once its owner is gone
from this host or its heartbeat is older than `STALE_AFTER_SECONDS`. Both locks are the one
pattern of `_lock`; see docs/design/dump-import.md ("Locks").
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ingest.models import DumpCheckpoint, ScrapeLock

logger = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 600
_ADVISORY_CLASS = 0x4D50  # "MP": our namespace for the two-int advisory lock form (scrape_lock)


@dataclass
class LockHandle:
    name: str  # the subreddit, or the dump file's identity key
    acquired: bool
    holder: str = ""  # who holds it, when not acquired
    owner: str = ""  # SQLite: this run's token in the lock row
    beat: Callable[[], None] | None = None  # SQLite: refresh the lock row's heartbeat

    def heartbeat(self) -> None:
        if self.acquired and self.beat is not None:
            self.beat()


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


def _here() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def _holder_alive(*, hostname: str, pid: int | None, heartbeat_at: datetime | None, now: datetime) -> bool:
    """A lock row's owner still counts: its heartbeat is recent and, on this host, its process is alive."""
    if heartbeat_at is None or heartbeat_at < now - timedelta(seconds=STALE_AFTER_SECONDS):
        return False
    return not (hostname == _here()[0] and not _pid_alive(pid))


@contextmanager
def _lock(
    name: str,
    *,
    advisory_key: tuple[int, ...],
    take: Callable[[str], tuple[bool, str]],
    release: Callable[[str], None],
    beat: Callable[[str], None] | None = None,
) -> Iterator[LockHandle]:
    """The advisory lock `advisory_key` on PostgreSQL; elsewhere `take(owner)` -> (acquired, holder)
    on a lock row, `release(owner)` when done, `beat(owner)` for `LockHandle.heartbeat`."""
    postgres = connection.vendor == "postgresql"
    owner = "" if postgres else uuid.uuid4().hex
    if postgres:
        args = ", ".join(["%s"] * len(advisory_key))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_try_advisory_lock({args})", list(advisory_key))
            acquired = bool(cursor.fetchone()[0])
        holder = "" if acquired else "another session holds its PostgreSQL advisory lock"
    else:
        acquired, holder = take(owner)
    handle = LockHandle(
        name, acquired, holder=holder, owner=owner, beat=(lambda: beat(owner)) if beat and not postgres else None
    )
    try:
        yield handle
    finally:
        if acquired and postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({args})", list(advisory_key))
        elif acquired:
            release(owner)


# ------------------------------------------------------------------ subreddits


def scrape_lock_key(subreddit: str) -> tuple[int, int]:
    """The two-int advisory lock key of `subreddit`'s scrape lock."""
    return _ADVISORY_CLASS, zlib.crc32(f"scrape_reddit:{subreddit.lower()}".encode()) & 0x7FFFFFFF


def _try_row_lock(subreddit: str, owner: str) -> tuple[bool, str]:
    now = timezone.now()
    host, pid = _here()
    with transaction.atomic():
        row = ScrapeLock.objects.filter(subreddit=subreddit).first()
        if row is not None:
            if _holder_alive(hostname=row.hostname, pid=row.pid, heartbeat_at=row.heartbeat_at, now=now):
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


def scrape_lock(subreddit: str) -> AbstractContextManager[LockHandle]:
    """Try to take the lock for `subreddit`; `handle.acquired` says whether we got it."""
    subreddit = subreddit.lower()
    rows = ScrapeLock.objects.filter(subreddit=subreddit)
    return _lock(
        subreddit,
        advisory_key=scrape_lock_key(subreddit),
        take=lambda owner: _try_row_lock(subreddit, owner),
        release=lambda owner: rows.filter(owner=owner).delete(),
        beat=lambda owner: rows.filter(owner=owner).update(heartbeat_at=timezone.now()),
    )


# ------------------------------------------------------------------ dump files


def dump_lock_key(identity_key: str) -> int:
    """A signed 63-bit advisory lock key for one dump file (the single-bigint form).

    PostgreSQL keeps single-bigint keys apart from the two-int keys of `scrape_lock`,
    and 63 bits of SHA-256 make two different files sharing a key practically impossible.
    """
    return int.from_bytes(hashlib.sha256(f"import_dump:{identity_key}".encode()).digest()[:8], "big") >> 1


def _try_checkpoint_lock(checkpoint_id: int, owner: str) -> tuple[bool, str]:
    now = timezone.now()
    host, pid = _here()
    with transaction.atomic():
        row = DumpCheckpoint.objects.select_for_update().get(pk=checkpoint_id)
        if row.owner:
            if _holder_alive(hostname=row.hostname, pid=row.pid, heartbeat_at=row.heartbeat_at, now=now):
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


def dump_lock(*, identity_key: str, checkpoint_id: int | None = None) -> AbstractContextManager[LockHandle]:
    """One `import_dump` per dump file at a time; runs on different files never block each other.

    SQLite: the file's `DumpCheckpoint` row is the lock row (owner, host, pid, heartbeat);
    the import refreshes its heartbeat with every batch it commits.
    """
    if checkpoint_id is None and connection.vendor != "postgresql":
        raise ValueError("dump_lock on SQLite needs the file's checkpoint row")
    return _lock(
        identity_key,
        advisory_key=(dump_lock_key(identity_key),),
        take=lambda owner: _try_checkpoint_lock(checkpoint_id, owner),
        release=lambda owner: DumpCheckpoint.objects.filter(pk=checkpoint_id, owner=owner).update(owner="", pid=None),
    )
