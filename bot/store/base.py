"""Shared by the query modules: the engine they run on and small helpers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def utcnow() -> datetime:
    return datetime.now(UTC)


class Queries:
    """The engine every query module works with, and its one writer at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One writing transaction at a time, from this process. SQLite allows one writer
        # anyway; queueing here instead of in the database keeps pooled connections free
        # for readers, and a poll's check for a chat's story and the insert of its alert
        # cannot interleave with another poll of the same story.
        self._write_lock = asyncio.Lock()
        self._batch: _Batch | None = None

    async def in_shared_transaction(self, statement: Executable, params: Params) -> None:
        """Execute ``statement`` with ``params`` in a transaction shared with others.

        Group commit: while one transaction holds the writer, the small writes that
        arrive wait together and go in the next transaction, each caller returning once
        its write is committed (or raising the batch's error). Consecutive writes of the
        same statement go to the database as one ``executemany``, so a polling cycle's
        many feed-state updates cost a few round trips instead of one each.
        """
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch(asyncio.get_running_loop().create_future())
            batch.task = asyncio.create_task(self._commit(batch))
        batch.writes.append((statement, params))
        await asyncio.shield(batch.done)

    async def _commit(self, batch: _Batch) -> None:
        try:
            async with self._write_lock:
                self._batch = None  # later writes form the next batch
                async with self.engine.begin() as conn:
                    for _, group in itertools.groupby(batch.writes, key=_statement_id):
                        same = list(group)
                        await conn.execute(same[0][0], [params for _, params in same])
        except BaseException as exc:
            batch.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            batch.done.set_result(None)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; commits on success, rolls back on error."""
        async with self._write_lock, self.engine.begin() as conn:
            yield conn


Params = dict[str, Any]


@dataclass
class _Batch:
    done: asyncio.Future[None]
    writes: list[tuple[Executable, Params]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None  # held, so the commit is not collected midway


def _statement_id(write: tuple[Executable, Params]) -> int:
    return id(write[0])  # statements compare by identity: each shape is built once


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for an inserted row")
    return int(key[0])
