"""Queries about the outbox: messages queued, waiting, sent or failed."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, case, func, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import messages
from bot.messages import (
    OUTLET_LINK,
    OUTLET_NAME,
    OUTLETS,
    AlertMessage,
    FeedNotice,
    Message,
    Outlet,
)
from bot.models import OutboxStatus
from bot.store import schema as t
from bot.store.base import Queries, insert_ignoring, utcnow
from bot.store.records import EVERY_CHAT, ChatFilter, EditRow, OutboxRow
from bot.store.schema import UTCDateTime

log = logging.getLogger(__name__)
PENDING: OutboxStatus = "pending"
SENT: OutboxStatus = "sent"
FAILED: OutboxStatus = "failed"
HELD: OutboxStatus = "held"  # an alert held by a mute, quiet hours or a digest
SUMMARISED: OutboxStatus = "summarised"  # a held alert, sent in a summary or a digest
EDIT_DELAY = timedelta(seconds=30)  # outlets of a story arriving together make one edit


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
            found = list(await conn.execute(query))  # first: an outlet read next is newer
            outlets = await outlets_of(conn, [r.story for r in found if r.kind == "alert"])
        rows, unreadable = [], []
        for row in found:
            try:
                rows.append(_outbox_row(row, outlets.get(row.story, ())))
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

    async def mark_sent(
        self,
        row_id: int,
        message_id: int | None = None,
        shown: int = 0,
        now: datetime | None = None,
    ) -> None:
        """The row went out (``now``) as ``message_id``, showing its revision ``shown``:
        if its payload changed meanwhile (another outlet of its story), its message is
        to be edited."""
        box = t.outbox
        now = now or utcnow()
        due = literal(now, UTCDateTime())
        again = case((box.c.revision > shown, due), else_=None) if message_id else None
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
            .join(t.chats, t.chats.c.id == box.c.chat_id)
            .where(
                box.c.edit_due <= now,
                box.c.status == SENT,
                box.c.message_id.is_not(None),
                t.chats.c.active.is_(True),
            )
            .order_by(box.c.edit_due, box.c.id)
            .limit(limit)
        )
        if chats.only is not None:
            query = query.where(box.c.chat_id == chats.only)
        if chats.skip is not None:
            query = query.where(box.c.chat_id != chats.skip)
        async with self.engine.connect() as conn:
            found = list(await conn.execute(query))  # first: an outlet read next is newer
            outlets = await outlets_of(conn, [r.story for r in found])
        rows = []
        for row in found:
            try:
                message = with_outlets(
                    messages.load(row.kind, row.payload), outlets.get(row.story, ())
                )
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
        if shown is None:  # never again: its message is not ours to edit any more
            await self._set(row_id, shown=box.c.revision, edit_due=None, message_id=None)
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

    async def pending_count(self) -> int:
        """How many alerts wait to be sent: an index range, where ``outbox_counts`` reads
        every row the outbox ever had."""
        query = select(func.count()).where(t.outbox.c.status == PENDING)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

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
    known_as: Sequence[str] = (),
) -> int:
    """Queue one message unless the chat has this story already; 1 if queued, else 0.

    ``known_as``: other names the chat may have the story under (an alert's entry's
    own link, when it joined the story of another outlet).

    ``watchlists``: an alert's, the names of the watchlists that matched it;
    ``thread_id``: the forum topic it goes to (None: the chat itself); ``not_before``:
    not sent before then (default ``now``).
    """
    box = t.outbox
    names = list(dict.fromkeys([story, *known_as]))
    exists = await conn.execute(
        select(box.c.id).where(and_(box.c.chat_id == chat_id, box.c.story.in_(names))).limit(1)
    )
    if exists.first():
        return 0
    # another process may queue the same story for the chat at the same time
    queued = await conn.execute(
        insert_ignoring(conn.dialect.name, box, ["chat_id", "story"]).values(
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
    return 1 if queued.rowcount else 0


async def add_outlets(
    conn: AsyncConnection,
    told: Sequence[tuple[str, str]],
    name: str,
    feed_id: str,
    now: datetime,
    since: datetime | None = None,
) -> int:
    """Record that the feed ``feed_id`` (named ``name``) told these stories, each
    (story, link). The alerts of a story it is new to (every chat's, queued, held or sent,
    queued since ``since``) show it: their revision goes up, and a sent one's message is
    to be edited after :data:`EDIT_DELAY` (outlets arriving together make one edit). A
    story told by :data:`OUTLETS` feeds already changes no alert: its count will say.

    Returns how many stories the feed is new to.
    """
    first: dict[str, str] = {}
    for story, link in told:
        first.setdefault(story, link if len(link) <= OUTLET_LINK else "")
    so, box = t.story_outlets, t.outbox
    stories = list(first)
    counts: dict[str, int] = {}
    known: set[str] = set()
    for start in range(0, len(stories), 500):
        chunk = stories[start : start + 500]
        query = (
            select(so.c.story, func.count(), func.max(case((so.c.feed_id == feed_id, 1), else_=0)))
            .where(so.c.story.in_(chunk))
            .group_by(so.c.story)
        )
        for story, count, ours in await conn.execute(query):
            counts[story] = int(count)
            if ours:
                known.add(story)
    fresh = [s for s in stories if s not in known]
    if not fresh:
        return 0
    outlet = {"name": name[:OUTLET_NAME], "feed_id": feed_id, "seen_at": now}
    rows = [{"story": s, "link": first[s], **outlet} for s in fresh]
    await conn.execute(insert_ignoring(conn.dialect.name, so, ["story", "feed_id"]), rows)
    shown = [s for s in fresh if 0 < counts.get(s, 0) <= OUTLETS]  # others have no alert yet
    due = literal(now + EDIT_DELAY, UTCDateTime())
    active = select(t.chats.c.id).where(t.chats.c.active.is_(True))
    for start in range(0, len(shown), 500):
        chunk = shown[start : start + 500]
        editable = and_(box.c.status == SENT, box.c.message_id.is_not(None))
        recent = box.c.created_at >= since if since is not None else true()
        await conn.execute(
            update(box)
            .where(
                box.c.story.in_(chunk),
                box.c.kind == "alert",
                box.c.status.in_((PENDING, HELD, SENT)),
                box.c.chat_id.in_(active),
                recent,
            )
            .values(
                revision=box.c.revision + 1,
                edit_due=case(
                    (and_(editable, box.c.edit_due.is_(None)), due), else_=box.c.edit_due
                ),
            )
        )
    return len(fresh)


async def outlets_of(conn: AsyncConnection, stories: Sequence[str]) -> dict[str, list[Outlet]]:
    """The outlets of each of ``stories``, in the order they told it (one per feed)."""
    so = t.story_outlets
    wanted = sorted(set(stories))
    found: dict[str, list[Outlet]] = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(so.c.story, so.c.name, so.c.link, so.c.feed_id)
            .where(so.c.story.in_(wanted[start : start + 500]))
            .order_by(so.c.id)
        )
        for row in await conn.execute(query):
            found.setdefault(row.story, []).append(Outlet(row.name, row.link, row.feed_id))
    return found


def with_outlets(message: Message, outlets: Sequence[Outlet]) -> Message:
    """An alert naming its story's ``outlets``; any other message as it is."""
    return message.with_outlets(outlets) if isinstance(message, AlertMessage) else message


def _outbox_row(row: Row[Any], outlets: Sequence[Outlet] = ()) -> OutboxRow:
    message = with_outlets(messages.load(row.kind, row.payload), outlets)
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
