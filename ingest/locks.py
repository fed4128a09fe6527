"""One scraper per subreddit at a time.

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

from ingest.models import ScrapeLock

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
