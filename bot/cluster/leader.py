"""The Telegram lock: one instance at a time takes updates and sends the outbox.

Telegram's limits are per bot and two ``getUpdates`` callers conflict, so of several
instances on one database one leads: the one holding a PostgreSQL advisory lock on its
own session. The others try for it every fifth of ``cluster.failover``; the database
frees it the moment the holder's session ends, a ``kill -9`` included.

A holder that hangs, or is cut off from the database, must not keep it: its session
pings every fifth of ``cluster.failover`` and is set to end after half of it without a
query (``idle_session_timeout``, and ``idle_in_transaction_session_timeout`` for a hang
inside a ping's transaction), so the database drops a silent holder and another
instance leads within ``cluster.failover``. The holder stops leading as soon as a ping
fails; what it had in flight then may go out twice, nothing is lost (the outbox keeps
every row until it is marked sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import URL, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
# The lock's key, the same for every instance: the bytes "newsbot" and a 1. Instances
# in console mode print alerts instead: they take turns by a lock of their own, so
# that one never keeps Telegram from the others.
LOCK_KEY = int.from_bytes(b"newsbot\x01", "big")
CONSOLE_LOCK_KEY = int.from_bytes(b"newsbot\x02", "big")

Lead = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class TelegramLock:
    """Runs ``lead`` whenever this instance holds the lock (:meth:`run`)."""

    def __init__(
        self,
        url: URL,
        failover: float,
        owner: str,
        duties: str = "sends the alerts",
        key: int = LOCK_KEY,
    ) -> None:
        self._url = url
        self._key = key
        self._duties = duties  # what the holder does, for the log
        self._failover = failover
        self._every = failover / 5
        self._owner = owner
        self.leading = False

    async def run(self, stop: asyncio.Event, lead: Lead) -> None:
        """Until ``stop``: take the lock when free and run ``lead(lost)`` while held;
        ``lost`` is set when the lock is lost or ``stop`` is set, and ``lead`` must then
        return. An error raised by ``lead`` ends this too."""
        engine = create_async_engine(
            self._url,
            poolclass=NullPool,  # a session given back must end: it may hold the lock
            connect_args={"timeout": self._every * 2, "command_timeout": self._every * 2},
        )
        try:
            while not stop.is_set():
                led: asyncio.Task[None] | None = None
                try:
                    async with engine.connect() as conn:
                        await self._prepare(conn)
                        led = await self._contend(conn, stop, lead)
                except (SQLAlchemyError, OSError, TimeoutError) as exc:
                    log.warning(
                        "Telegram lock: the database does not answer (%s); trying again", exc
                    )
                    await _sleep(stop, self._every)
                if led is not None:
                    # raised here, not inside: an error of lead's that looks like the
                    # session's must end this all the same, not have it lead again
                    led.result()
        finally:
            await engine.dispose()

    async def _prepare(self, conn: AsyncConnection) -> None:
        await conn.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": f"newsbot {self._owner}"[:63]},
        )
        timeout = f"{int(self._failover * 500)}ms"  # half the failover time
        # A hang between a query and its commit leaves the session idle in a transaction,
        # which idle_session_timeout does not end: this one does.
        await conn.execute(
            text("SELECT set_config('idle_in_transaction_session_timeout', :t, false)"),
            {"t": timeout},
        )
        await conn.commit()
        try:
            await conn.execute(
                text("SELECT set_config('idle_session_timeout', :t, false)"), {"t": timeout}
            )
        except SQLAlchemyError:  # before PostgreSQL 14: a hung holder keeps it until TCP gives up
            await conn.rollback()
            log.warning(
                "this PostgreSQL cannot end idle sessions; a hung instance may keep Telegram"
            )
        await conn.commit()

    async def _contend(
        self, conn: AsyncConnection, stop: asyncio.Event, lead: Lead
    ) -> asyncio.Task[None] | None:
        """Try for the lock every fifth of the failover time; lead while holding it.
        Returns when the session must be replaced (it failed, or the lock was lost):
        the ended ``lead``, if it ran."""
        while not stop.is_set():
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
            await conn.commit()
            if got:
                return await self._lead(conn, stop, lead)
            await _sleep(stop, self._every)
        return None

    async def _lead(
        self, conn: AsyncConnection, stop: asyncio.Event, lead: Lead
    ) -> asyncio.Task[None]:
        log.info("this instance holds the Telegram lock: it now %s", self._duties)
        lost = asyncio.Event()
        self.leading = True
        task = asyncio.create_task(lead(lost))
        try:
            while not stop.is_set() and not task.done():
                await _sleep(stop, self._every, task)
                if stop.is_set() or task.done():
                    break
                try:
                    await asyncio.wait_for(conn.execute(text("SELECT 1")), self._every * 2)
                    await conn.commit()
                except (SQLAlchemyError, OSError, TimeoutError) as exc:
                    log.error("lost the Telegram lock (%s): another instance takes over", exc)
                    break
        finally:
            self.leading = False
            lost.set()
            with contextlib.suppress(Exception):  # its error is raised by run
                await task  # lead returns once ``lost`` is set
        return task


async def _sleep(
    stop: asyncio.Event, seconds: float, task: asyncio.Task[None] | None = None
) -> None:
    """Wait ``seconds``, less if ``stop`` is set (or ``task`` ends)."""
    stopped = asyncio.ensure_future(stop.wait())
    waiters: set[asyncio.Future[Any]] = {stopped}
    if task is not None:
        waiters.add(task)
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
