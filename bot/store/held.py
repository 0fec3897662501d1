"""Queries about held alerts: held at send time, released later as one summary.

A summary replaces its held alerts in one transaction: its parts are queued as outbox
rows with a story made of the held rows' ids, and the held rows are marked summarised.
Whenever a process stops, the summary is then either wholly queued or not at all, and
queued once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot import messages
from bot.messages import Message
from bot.store import schema as t
from bot.store.base import Queries
from bot.store.outbox import FAILED, HELD, PENDING, SUMMARISED, enqueue, outlets_of, with_outlets
from bot.store.records import EVERY_CHAT, ChatFilter
from bot.store.settings import ChatSettings


@dataclass(frozen=True)
class HeldRow:
    """A held alert: its message, the watchlists it matched and since when it waits."""

    id: int
    message: Message
    watchlists: tuple[str, ...]
    held_at: datetime
    thread_id: int | None = None  # the forum topic it was for


class HeldQueries(Queries):
    async def hold(self, row_ids: Sequence[int], now: datetime) -> None:
        """Hold these pending rows (a mute, quiet hours or a digest) from ``now`` on."""
        box = t.outbox
        async with self.writing() as conn:
            await conn.execute(
                update(box)
                .where(box.c.id.in_(list(row_ids)), box.c.status == PENDING)
                .values(status=HELD, held_at=now)
            )

    async def holding(
        self, now: datetime, chats: ChatFilter = EVERY_CHAT
    ) -> list[tuple[int, ChatSettings, datetime]]:
        """The active chats of ``chats`` that hold alerts: each with its settings (the
        mutes running at ``now``) and when its oldest held alert was held.

        Three queries, whatever the number of chats: the sender asks every round.
        """
        box, c, m = t.outbox.c, t.chats.c, t.mutes.c
        oldest = (
            select(box.chat_id, func.min(func.coalesce(box.held_at, box.created_at)).label("since"))
            .where(box.status == HELD)
            .group_by(box.chat_id)
        )
        if chats.only is not None:
            oldest = oldest.where(box.chat_id == chats.only)
        if chats.skip is not None:
            oldest = oldest.where(box.chat_id != chats.skip)
        held = oldest.subquery()
        query = (
            select(held.c.chat_id, held.c.since, c.language, c.time_zone, c.quiet, c.digest)
            .join(t.chats, c.id == held.c.chat_id)
            .where(c.active.is_(True))
            .order_by(held.c.chat_id)
        )
        mutes: dict[int, dict[str, datetime]] = {}
        async with self.engine.connect() as conn:
            found = list(await conn.execute(query))
            running = select(m.chat_id, m.watchlist, m.until).where(
                m.until > now, m.chat_id.in_(select(held.c.chat_id))
            )
            for row in await conn.execute(running):
                mutes.setdefault(row.chat_id, {})[row.watchlist] = row.until
        return [
            (
                row.chat_id,
                ChatSettings(
                    row.language, row.time_zone, row.quiet, row.digest, mutes.get(row.chat_id, {})
                ),
                _aware(row.since),
            )
            for row in found
        ]

    async def held(self, chat_id: int) -> list[HeldRow]:
        """The chat's held alerts, oldest first; one that cannot be read is skipped."""
        box = t.outbox.c
        query = (
            select(
                box.id,
                box.kind,
                box.payload,
                box.watchlists,
                box.held_at,
                box.created_at,
                box.thread_id,
                box.story,
            )
            .where(box.chat_id == chat_id, box.status == HELD)
            .order_by(box.id)
        )
        async with self.engine.connect() as conn:
            found = list(await conn.execute(query))
            outlets = await outlets_of(conn, [r.story for r in found])
        rows, unreadable = [], []
        for row in found:
            try:
                # a summary lists the story's outlets
                message = with_outlets(
                    messages.load(row.kind, row.payload), outlets.get(row.story, ())
                )
                names = tuple(json.loads(row.watchlists)) if row.watchlists else ()
            except (ValueError, KeyError, TypeError):
                unreadable.append(row.id)
                continue
            held_at = row.held_at or row.created_at
            rows.append(HeldRow(row.id, message, names, held_at, row.thread_id))
        if unreadable:  # else they would stay held, and be read again, forever
            async with self.writing() as conn:
                await conn.execute(
                    update(t.outbox)
                    .where(t.outbox.c.id.in_(unreadable))
                    .values(status=FAILED, error="unreadable message")
                )
        return rows

    async def release(
        self,
        chat_id: int,
        row_ids: Sequence[int],
        parts: Sequence[Message],
        now: datetime,
        thread_id: int | None = None,
    ) -> int:
        """Queue ``parts`` (one summary of the held ``row_ids``, for the forum topic
        ``thread_id``) and mark those rows summarised, in one transaction; returns how
        many parts were queued (0 if another process released them first).

        The parts wait as long as the chat's other pending messages do (Telegram may
        have asked the chat to wait), so they never go out into a flood wait."""
        box = t.outbox
        ids = sorted(row_ids)
        which = box.c.id.in_(ids), box.c.chat_id == chat_id, box.c.status == HELD
        async with self.writing() as conn:
            still = (await conn.execute(select(func.count()).where(*which))).scalar()
            if still != len(ids):
                return 0
            await conn.execute(update(box).where(*which).values(status=SUMMARISED, sent_at=now))
            waiting = select(func.max(box.c.not_before)).where(
                box.c.chat_id == chat_id, box.c.status == PENDING
            )
            wait = _aware((await conn.execute(waiting)).scalar() or now)
            queued = 0
            for number, part in enumerate(parts, 1):
                kind, payload = messages.dump(part)
                story = f"summary {ids[0]}-{ids[-1]} {number}"
                queued += await enqueue(
                    conn,
                    chat_id,
                    story,
                    kind,
                    payload,
                    now,
                    thread_id=thread_id,
                    not_before=max(now, wait),
                )
            return queued


def _aware(moment: datetime) -> datetime:
    """An aggregate's time: SQLite hands back a naive UTC datetime (or text) for it."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
