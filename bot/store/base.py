"""Shared by the query modules: the engine they run on and small helpers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Executable, Insert, Table, insert, literal, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StoreError


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_ignoring(dialect: str, table: Table, keys: list[str]) -> Insert:
    """An insert that skips the rows whose unique ``keys`` are stored already (by
    another transaction, say); a plain insert on other databases."""
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "postgresql":  # imported here: SQLite deployments never load it
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table).on_conflict_do_nothing(index_elements=keys)
    return insert(table)


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
        its write is committed (or raising its error). Consecutive writes of the same
        statement go to the database as one ``executemany``, so a polling cycle's many
        feed-state updates cost a few round trips instead of one each. When the shared
        transaction fails, each write is tried again alone, so only a write at fault
        fails.
        """
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            batch.task = asyncio.create_task(self._commit(batch))
        write = _Write(statement, params, asyncio.get_running_loop().create_future())
        batch.writes.append(write)
        await asyncio.shield(write.done)

    async def _commit(self, batch: _Batch) -> None:
        try:
            async with self._write_lock:
                self._batch = None  # later writes form the next batch
                try:
                    await self._execute(batch.writes)
                except Exception:
                    if len(batch.writes) == 1:
                        raise
                    for write in batch.writes:  # one alone, so that only the bad one fails
                        try:
                            await self._execute([write])
                        except Exception as exc:
                            _settle(write, exc)
                _settle_all(batch, None)
        except BaseException as exc:
            _settle_all(batch, exc)
            if not isinstance(exc, Exception):
                raise

    async def _execute(self, writes: list[_Write]) -> None:
        async with self.engine.begin() as conn:
            for _, group in itertools.groupby(writes, key=_statement_id):
                same = list(group)
                await conn.execute(same[0].statement, [w.params for w in same])

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; commits on success, rolls back on error."""
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    async def ping(self) -> None:
        """Raise unless the database answers a query; a SQLite database also needs its
        file still there (an open connection keeps answering after the file is removed)."""
        async with self.engine.connect() as conn:
            await conn.execute(select(literal(1)))
        database = self.engine.url.database
        on_file = self.engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        if on_file and not Path(str(database)).is_file():
            raise StoreError(f"the database file {database} is gone")


Params = dict[str, Any]


@dataclass(frozen=True)
class _Write:
    statement: Executable
    params: Params
    done: asyncio.Future[None]


@dataclass
class _Batch:
    writes: list[_Write] = field(default_factory=list)
    task: asyncio.Task[None] | None = None  # held, so the commit is not collected midway


def _statement_id(write: _Write) -> int:
    return id(write.statement)  # statements compare by identity: each shape is built once


def _settle(write: _Write, error: BaseException | None) -> None:
    if not write.done.done():
        if error is None:
            write.done.set_result(None)
        else:
            write.done.set_exception(error)


def _settle_all(batch: _Batch, error: BaseException | None) -> None:
    """Settle every write not settled yet."""
    for write in batch.writes:
        _settle(write, error)


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for an inserted row")
    return int(key[0])
