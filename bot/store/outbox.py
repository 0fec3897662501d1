"""Queries about the outbox: messages queued, waiting, sent or failed."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import messages
from bot.messages import FeedNotice
from bot.models import OutboxStatus
from bot.store import schema as t
from bot.store.base import Queries, utcnow
from bot.store.records import EVERY_CHAT, ChatFilter, EditRow, OutboxRow

log = logging.getLogger(__name__)
PENDING: OutboxStatus = "pending"
SENT: OutboxStatus = "sent"
FAILED: OutboxStatus = "failed"
HELD: OutboxStatus = "held"  # an alert held by a mute, quiet hours or a digest
SUMMARISED: OutboxStatus = "summarised"  # a held alert, sent in a summary or a digest


class OutboxQueries(Queries):
    async def due(
        self, now: datetime, limit: int = 100, chats: ChatFilter = EVERY_CHAT
    ) -> list[OutboxRow]:
        """Pending messages of ``chats`` whose time has come, oldest first.

        A row whose message cannot be read (written by hand, or by a newer version) is
        marked failed, not sent, and does not hold up the others.
        """
        query = (
            select(t.outbox, t.entries.c.title, t.entries.c.link)
            .outerjoin(t.entries, t.entries.c.id == t.outbox.c.entry_id)
            .where(t.outbox.c.status == PENDING, t.outbox.c.not_before <= now)
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        if chats.only is not None:
            query = query.where(t.outbox.c.chat_id == chats.only)
        if chats.skip is not None:
            query = query.where(t.outbox.c.chat_id != chats.skip)
        async with self.engine.connect() as conn:
            found = list(await conn.execute(query))
        rows, unreadable = [], []
        for row in found:
            try:
                rows.append(_outbox_row(row))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("outbox row %s cannot be read: %s", row.id, exc)
                unreadable.append(row.id)
        for row_id in unreadable:
            await self.mark_failed(row_id, "unreadable message")
        return rows

    async def queue_notice(
        self, notice: FeedNotice, admins: Sequence[int], since: datetime, now: datetime
    ) -> int:
        """Queue ``notice`` for each admin and mark the feed's notice given, in one
        transaction; returns how many rows were queued.

        Nothing is queued if the notice was given already (by another process, say); a
        feed with no admin to tell is marked as told all the same. ``since``: when the
        bad spell began, which makes the notice one story per spell.
        """
        feeds = t.feeds
        async with self.writing() as conn:
            marked = await conn.execute(
                update(feeds)
                .where(feeds.c.id == notice.feed_id, feeds.c.health_notice_at.is_(None))
                .values(health_notice_at=now)
            )
            if marked.rowcount == 0:
                return 0
            kind, payload = messages.dump(notice)
            story = f"feed notice {json.dumps([notice.feed_id, since.isoformat()])}"
            queued = 0
            for admin in dict.fromkeys(admins):
                queued += await enqueue(conn, admin, story, kind, payload, now)
            return queued

    async def mark_sent(self, row_id: int, message_id: int | None = None, shown: int = 0) -> None:
        """The row went out as ``message_id``, showing its revision ``shown``: if its
        payload changed meanwhile (another outlet of its story), its message is edited."""
        box = t.outbox
        now = utcnow()
        again = case((box.c.revision > shown, now), else_=None) if message_id else None
        await self._set(
            row_id,
            status=SENT,
            sent_at=now,
            error=None,
            attempts=box.c.attempts + 1,
            message_id=message_id,
            shown=shown,
            edit_due=again,
        )

    async def edits_due(
        self, now: datetime, limit: int = 100, chats: ChatFilter = EVERY_CHAT
    ) -> list[EditRow]:
        """Sent alerts of ``chats`` whose message is to be edited now, the longest due first."""
        box = t.outbox
        query = (
            select(box)
            .where(box.c.edit_due <= now, box.c.status == SENT, box.c.message_id.is_not(None))
            .order_by(box.c.edit_due, box.c.id)
            .limit(limit)
        )
        if chats.only is not None:
            query = query.where(box.c.chat_id == chats.only)
        if chats.skip is not None:
            query = query.where(box.c.chat_id != chats.skip)
        async with self.engine.connect() as conn:
            found = list(await conn.execute(query))
        rows = []
        for row in found:
            try:
                message = messages.load(row.kind, row.payload)
            except (ValueError, KeyError, TypeError) as exc:
                log.error("outbox row %s cannot be read: %s", row.id, exc)
                await self.edit_done(row.id, None)
                continue
            rows.append(
                EditRow(
                    row.id,
                    row.chat_id,
                    row.message_id,
                    message,
                    row.revision,
                    row.shown,
                    row.sent_at,
                )
            )
        return rows

    async def edit_done(self, row_id: int, shown: int | None) -> None:
        """The message now shows revision ``shown`` (None: it is left as it is, for good);
        it stays due if its payload changed again meanwhile."""
        box = t.outbox
        if shown is None:
            await self._set(row_id, shown=box.c.revision, edit_due=None)
            return
        still = case((box.c.revision > shown, box.c.edit_due), else_=None)
        await self._set(row_id, shown=shown, edit_due=still)

    async def edit_later(self, row_id: int, when: datetime) -> None:
        await self._set(row_id, edit_due=when)

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self._set(row_id, status=FAILED, error=error, attempts=t.outbox.c.attempts + 1)

    async def postpone(self, row_id: int, not_before: datetime, error: str) -> None:
        await self._set(
            row_id, not_before=not_before, error=error, attempts=t.outbox.c.attempts + 1
        )

    async def postpone_chat(self, chat_id: int, not_before: datetime) -> None:
        """Hold every pending alert and every due edit of a chat (Telegram asked us to
        wait)."""
        box = t.outbox
        async with self.writing() as conn:
            await conn.execute(
                update(box)
                .where(
                    box.c.chat_id == chat_id,
                    box.c.status == PENDING,
                    box.c.not_before < not_before,
                )
                .values(not_before=not_before)
            )
            await conn.execute(
                update(box)
                .where(box.c.chat_id == chat_id, box.c.edit_due < not_before)
                .values(edit_due=not_before)
            )

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        query = select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)
        async with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in await conn.execute(query)}

    async def _set(self, row_id: int, **values: object) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(values))


async def enqueue(
    conn: AsyncConnection,
    chat_id: int,
    story: str,
    kind: str,
    payload: str,
    now: datetime,
    entry_id: int | None = None,
    watchlists: Sequence[str] = (),
    thread_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    """Queue one message unless the chat has this story already; 1 if queued, else 0.

    ``watchlists``: an alert's, the names of the watchlists that matched it;
    ``thread_id``: the forum topic it goes to (None: the chat itself); ``not_before``:
    not sent before then (default ``now``).
    """
    box = t.outbox
    exists = await conn.execute(
        select(box.c.id).where(and_(box.c.chat_id == chat_id, box.c.story == story))
    )
    if exists.first():
        return 0
    await conn.execute(
        insert(box).values(
            chat_id=chat_id,
            entry_id=entry_id,
            story=story,
            kind=kind,
            payload=payload,
            status=PENDING,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
            watchlists=json.dumps(list(watchlists), ensure_ascii=False) if watchlists else None,
            thread_id=thread_id,
        )
    )
    return 1


def _outbox_row(row: Row[Any]) -> OutboxRow:
    message = messages.load(row.kind, row.payload)
    return OutboxRow(
        row.id,
        row.chat_id,
        message,
        row.attempts,
        row.created_at,
        row.title or "",
        row.link or "",
        tuple(json.loads(row.watchlists)) if row.watchlists else (),
        row.thread_id,
        row.revision,
    )
