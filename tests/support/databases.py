"""Databases for tests: a fresh one on each backend, and as older versions left them.

SQLite: a file in the test's folder. PostgreSQL: a database of its own on the server
at ``NEWSBOT_TEST_POSTGRES_URL`` (default: the local server, user ``postgres``),
created for the test and dropped after it. A server that cannot be reached fails the
test, naming what to do; ``NEWSBOT_TEST_POSTGRES=0`` skips the PostgreSQL variants.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, TextClause, bindparam, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.engine import MIGRATIONS, async_url
from bot.store.schema import UTCDateTime, metadata

BACKENDS = ["sqlite", "postgresql"]
SERVER = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on an event loop of its own, in another thread, so
    that sync code can call it while a test's loop runs (or before it does)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


@contextlib.contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'newsbot.db'}"
        return
    with postgres_database() as url:
        yield url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server; dropped after, with whatever
    connections the test left open."""
    if os.environ.get("NEWSBOT_TEST_POSTGRES") == "0":
        pytest.skip("NEWSBOT_TEST_POSTGRES=0: the PostgreSQL variants are skipped")
    name = f"newsbot_test_{secrets.token_hex(6)}"
    try:
        run_apart(_on_server(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        where = make_url(SERVER).render_as_string(hide_password=True)
        pytest.fail(
            f"the PostgreSQL server at {where} cannot be used ({exc}): start it "
            "(pg_ctlcluster --skip-systemctl-redirect 15 main start), point "
            "NEWSBOT_TEST_POSTGRES_URL at another, or set NEWSBOT_TEST_POSTGRES=0 to "
            "skip the PostgreSQL variants",
            pytrace=False,
        )
    try:
        yield make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        run_apart(_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _on_server(statement: str) -> None:
    conn = await asyncpg.connect(SERVER, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def at_revision(where: Path | str, revision: str) -> None:
    """A database migrated up to ``revision`` only: an SQLite file at a path, or the
    database at a URL."""
    url = f"sqlite:///{where}" if isinstance(where, Path) else where
    run_apart(_migrate(url, revision))


async def _migrate(url: str, revision: str) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


def _upgrade(conn: Connection, revision: str) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def execute(url: str, statement: str, *rows: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run one SQL statement on the database at ``url`` (for each of ``rows``, if
    given), outside the store; the rows it returns. Parameters whose name ends in
    ``_at`` are times, stored as the store stores them."""
    query = text(statement)
    times = sorted({k for row in rows for k in row if k.endswith("_at")})
    query = query.bindparams(*(bindparam(k, type_=UTCDateTime()) for k in times))
    return run_apart(_execute(url, query, list(rows)))


async def _execute(
    url: str, query: TextClause, rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            result = await conn.execute(query, rows or None)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        await engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """How the schema of the database at ``url`` differs from ``bot.store.schema``."""
    return run_apart(_differences(url))


async def _differences(url: str) -> list[Any]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_compare)
    finally:
        await engine.dispose()


def _compare(conn: Connection) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    return list(compare_metadata(MigrationContext.configure(conn), metadata))
