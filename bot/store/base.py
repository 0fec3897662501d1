"""Shared by the query modules: the engine they run on and small helpers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult
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

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; commits on success, rolls back on error."""
        async with self._write_lock, self.engine.begin() as conn:
            yield conn


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for an inserted row")
    return int(key[0])
