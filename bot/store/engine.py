"""Open the database and bring its schema up to date with Alembic.

Dialect specifics live here: the async driver for each URL scheme and SQLite's
pragmas (WAL, a busy timeout, foreign keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import StoreError
from bot.store.schema import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision. A database already there is opened without loading
# Alembic at all, which keeps every command's start-up short; a test keeps this in step
# with the migrations folder.
HEAD = "0003"
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """``sqlite:///x.db`` -> ``sqlite+aiosqlite:///x.db``; an explicit driver is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(f"storage.url {url!r} is not a database URL")
    return f"{_DRIVERS.get(scheme, scheme)}://{rest}"


async def open_engine(url: str) -> AsyncEngine:
    """An engine on ``url`` with every migration applied."""
    full = async_url(url)
    try:
        engine = create_async_engine(full)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use storage.url {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine, full)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_bring_up_to_date)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise StoreError(f"cannot open the database {url!r}: {exc}") from exc
    return engine


def _prepare_sqlite(engine: AsyncEngine, url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _bring_up_to_date(conn: Connection) -> None:
    """Create a new database at HEAD directly, migrate an older one, leave a current one.

    A new database gets the schema in one step and the version Alembic would record, as
    Alembic's own advice for fresh installs goes; a test keeps the schema that the
    migrations build identical to it.
    """
    tables = set(inspect(conn).get_table_names())
    if not tables:
        metadata.create_all(conn)
        version = Table("alembic_version", MetaData(), Column("version_num", String(32)))
        version.create(conn)
        conn.execute(version.insert().values(version_num=HEAD))
    elif "alembic_version" not in tables or _revision(conn) != HEAD:
        _upgrade(conn)


def _upgrade(conn: Connection) -> None:
    from alembic import command  # only when there is something to migrate
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _revision(conn: Connection) -> str | None:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
