"""Queries about a chat's volume settings: mutes, quiet hours, time zone and digest.

Values are stored as the user gave them, checked (``bot.delivery.hold`` parses them);
a mute that has ended is ignored by every reader and deleted the next time the chat
changes its mutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from bot.store import schema as t
from bot.store.base import Queries


@dataclass(frozen=True)
class ChatSettings:
    """What decides whether a chat's alerts are held, as stored."""

    language: str | None = None
    time_zone: str | None = None  # IANA name; None: UTC
    quiet: str | None = None  # "HH:MM-HH:MM"
    digest: str | None = None  # "hourly" | "daily HH:MM"
    mutes: dict[str, datetime] = field(default_factory=dict)  # watchlist or "*" -> until


class SettingsQueries(Queries):
    async def chat_settings(self, chat_id: int, now: datetime) -> ChatSettings:
        """The chat's settings, with the mutes still running at ``now``."""
        c = t.chats.c
        chat = select(c.language, c.time_zone, c.quiet, c.digest).where(c.id == chat_id)
        m = t.mutes.c
        mutes = select(m.watchlist, m.until).where(m.chat_id == chat_id, m.until > now)
        async with self.engine.connect() as conn:
            row = (await conn.execute(chat)).first()
            running = {r.watchlist: r.until for r in await conn.execute(mutes)}
        if row is None:
            return ChatSettings(mutes=running)
        return ChatSettings(row.language, row.time_zone, row.quiet, row.digest, running)

    async def set_time_zone(self, chat_id: int, zone: str | None) -> None:
        await self._set_chat(chat_id, time_zone=zone)

    async def set_quiet(self, chat_id: int, quiet: str | None) -> None:
        await self._set_chat(chat_id, quiet=quiet)

    async def set_digest(self, chat_id: int, digest: str | None) -> None:
        await self._set_chat(chat_id, digest=digest)

    async def mute(self, chat_id: int, watchlist: str, until: datetime, now: datetime) -> None:
        """Mute the chat's ``watchlist`` ("*": the whole chat) until ``until``; the chat's
        mutes that ended before ``now`` are dropped."""
        m = t.mutes
        async with self.writing() as conn:
            await conn.execute(delete(m).where(m.c.chat_id == chat_id, m.c.until <= now))
            await conn.execute(delete(m).where(m.c.chat_id == chat_id, m.c.watchlist == watchlist))
            await conn.execute(insert(m).values(chat_id=chat_id, watchlist=watchlist, until=until))

    async def unmute(self, chat_id: int, watchlist: str | None, now: datetime) -> list[str]:
        """End the chat's mute of ``watchlist`` (None: every mute of the chat); returns
        what was muted at ``now`` and is not any more."""
        m = t.mutes
        which = m.c.chat_id == chat_id
        if watchlist is not None:
            which &= m.c.watchlist == watchlist
        async with self.writing() as conn:
            running = select(m.c.watchlist).where(which, m.c.until > now)
            ended = sorted(r[0] for r in await conn.execute(running))  # not by collation
            await conn.execute(delete(m).where(which))
        return ended

    async def _set_chat(self, chat_id: int, **values: object) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.chats).where(t.chats.c.id == chat_id).values(values))
