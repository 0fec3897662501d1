"""Open the database and bring its schema up to date with Alembic.

Dialect specifics live here: the async driver for each URL scheme and SQLite's
pragmas (WAL, a busy timeout, foreign keys).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, event, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import StoreError
from bot.redact import SECRETS, hide_password
from bot.store.schema import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision. A database already there is opened without loading
# Alembic at all, which keeps every command's start-up short; a test keeps this in step
# with the migrations folder.
HEAD = "0008"
SIDE_TIMEOUT = 10.0  # seconds a side engine's connection or statement may take
SCHEMA_LOCK = int.from_bytes(b"newsbot\x00", "big")  # held while the schema is brought up
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


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or SQLite in memory."""
    scheme, _, rest = url.partition(":///")
    if not scheme.startswith("sqlite") or rest in ("", ":memory:"):
        return None
    return Path(rest.partition("?")[0])


def describe(url: str) -> str:
    """How messages name a database: its file, or its URL without the password."""
    path = sqlite_path(url)
    return str(path) if path else hide_password(url)


async def open_engine(url: str) -> AsyncEngine:
    """An engine on ``url`` with every migration applied.

    Any failure (no driver, a path that is a folder or under a file, a file that is not
    a database, a server that refuses) is a StoreError naming the database, never its
    password.
    """
    SECRETS.add_url(url)  # drivers may name the URL in errors and log records
    full = async_url(url)
    try:
        engine = create_async_engine(full)
    except (SQLAlchemyError, ImportError) as exc:
        raise _cannot_open(url, exc) from exc
    try:
        if engine.dialect.name == "sqlite":
            _prepare_sqlite(engine, url)
        async with engine.begin() as conn:
            await conn.run_sync(_bring_up_to_date)
    except StoreError:
        await engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise _cannot_open(url, exc) from exc
    return engine


def side_engine(engine: AsyncEngine, connections: int) -> AsyncEngine:
    """Another engine on ``engine``'s database (migrated already) with a few connections
    of its own, each statement committed by itself: for short statements that must not
    wait for a connection behind the main pool's work."""
    return create_async_engine(
        engine.url,
        pool_size=connections,
        max_overflow=0,
        isolation_level="AUTOCOMMIT",
        pool_timeout=SIDE_TIMEOUT,
        connect_args={"timeout": SIDE_TIMEOUT, "command_timeout": SIDE_TIMEOUT},
    )


def _cannot_open(url: str, exc: BaseException) -> StoreError:
    # the driver's own words, without SQLAlchemy's statement and "background" link
    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(reason).strip() or type(reason).__name__
    return StoreError(SECRETS(f"cannot open database {describe(url)}: {text}"))


def _prepare_sqlite(engine: AsyncEngine, url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        make_folder(path)
        _check_usable(path)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def make_folder(database: Path) -> None:
    """Create the database file's folder if needed; StoreError naming what is in the way."""
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = next((p for p in database.parents if p.exists()), database.parent)
        raise StoreError(
            f"cannot open database {database}: {blocker} is a file, not a folder"
        ) from exc
    except OSError as exc:
        raise StoreError(f"cannot open database {database}: {exc.strerror}") from exc


def _check_usable(path: Path) -> None:
    """Refuse the paths SQLite cannot open, before it tries: a failed connect leaves
    aiosqlite's thread to report to an event loop that may be gone by then."""
    if path.is_dir():
        raise StoreError(f"cannot open database {path}: it is a folder, not a file")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"cannot open database {path}: no permission to read and write it")
    if not path.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot open database {path}: no permission to create it there")


def _bring_up_to_date(conn: Connection) -> None:
    """Create a new database at HEAD directly, migrate an older one, leave a current one.

    A new database gets the schema in one step and the version Alembic would record, as
    Alembic's own advice for fresh installs goes; a test keeps the schema that the
    migrations build identical to it.
    """
    if conn.dialect.name == "postgresql":
        # Instances starting together on one new database would each create the tables;
        # the first holds this lock until its transaction commits, the others then find
        # the schema there.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
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
