"""One ``newsbot run`` per database.

Two services on one SQLite database would both send the outbox (alerts twice) and both
poll Telegram for updates (409 Conflict). The lock is an exclusive ``flock`` on
``DATABASE.lock`` beside the database file, held while ``run`` lives: the operating
system releases it when the process ends in any way, ``kill -9`` included, so a stale
lock never blocks a restart. The file keeps the holder's pid for the message.

``newsbot poll`` and the other commands do not take it: they share the database with a
running service as SQLite's own locking allows.

PostgreSQL: several instances are the point there, and they coordinate through the
database itself (:mod:`bot.cluster`); no lock is taken here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.errors import StoreError
from bot.store.engine import make_folder, sqlite_path


@contextlib.contextmanager
def service_lock(url: str) -> Iterator[None]:
    """Hold the database's service lock for the ``with`` block; StoreError if another
    ``newsbot run`` holds it."""
    path = sqlite_path(url)
    if path is None:
        yield  # PostgreSQL (or SQLite in memory): no file lock, see the module docstring
        return
    lock = path.with_name(path.name + ".lock")
    fd = _open(lock, path)
    try:
        _acquire(fd, lock, path)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays, harmless and reused


def _open(lock: Path, database: Path) -> int:
    make_folder(database)
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot open database {database}: {exc.strerror}: {lock}") from exc


def _acquire(fd: int, lock: Path, database: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise StoreError(
            f"another newsbot run is using {database} (pid {_holder(lock)}); "
            "stop it first: one service per database"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())


def _holder(lock: Path) -> str:
    try:
        return lock.read_text().strip() or "unknown"
    except OSError:
        return "unknown"
