"""Queries about the outbox: alerts decided, waiting, sent or failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from bot.store import schema as t
from bot.store.base import Queries, utcnow
from bot.store.records import EVERY_CHAT, ChatFilter, OutboxRow


class OutboxQueries(Queries):
    async def due(
        self, now: datetime, limit: int = 100, chats: ChatFilter = EVERY_CHAT
    ) -> list[OutboxRow]:
        """Pending alerts of ``chats`` whose time has come, oldest first."""
        query = (
            select(t.outbox, t.entries.c.title, t.entries.c.link)
            .join(t.entries, t.entries.c.id == t.outbox.c.entry_id)
            .where(t.outbox.c.status == "pending", t.outbox.c.not_before <= now)
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        if chats.only is not None:
            query = query.where(t.outbox.c.chat_id == chats.only)
        if chats.skip is not None:
            query = query.where(t.outbox.c.chat_id != chats.skip)
        async with self.engine.connect() as conn:
            return [
                OutboxRow(r.id, r.chat_id, r.text, r.attempts, r.created_at, r.title, r.link)
                for r in await conn.execute(query)
            ]

    async def mark_sent(self, row_id: int) -> None:
        await self._set(
            row_id, status="sent", sent_at=utcnow(), error=None, attempts=t.outbox.c.attempts + 1
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self._set(row_id, status="failed", error=error, attempts=t.outbox.c.attempts + 1)

    async def postpone(self, row_id: int, not_before: datetime, error: str) -> None:
        await self._set(
            row_id, not_before=not_before, error=error, attempts=t.outbox.c.attempts + 1
        )

    async def postpone_chat(self, chat_id: int, not_before: datetime) -> None:
        """Hold every pending alert of a chat (Telegram asked us to wait)."""
        async with self.writing() as conn:
            await conn.execute(
                update(t.outbox)
                .where(
                    t.outbox.c.chat_id == chat_id,
                    t.outbox.c.status == "pending",
                    t.outbox.c.not_before < not_before,
                )
                .values(not_before=not_before)
            )

    async def outbox_counts(self) -> dict[str, int]:
        query = select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)
        async with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in await conn.execute(query)}

    async def _set(self, row_id: int, **values: object) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(values))
