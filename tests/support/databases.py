"""Databases as older versions of newsbot left them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine

from bot.store.engine import MIGRATIONS


def at_revision(path: Path, revision: str) -> None:
    """An SQLite database at ``path`` migrated up to ``revision`` only."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()
