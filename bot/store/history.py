"""Queries about the past: a chat's recent alerts, and the entries stored lately.

What /recent and /search read. Nothing here writes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, tuple_

from bot import messages
from bot.messages import AlertMessage
from bot.models import Entry
from bot.store import schema as t
from bot.store.base import Queries
from bot.store.outbox import HELD, SENT, SUMMARISED

log = logging.getLogger(__name__)
_DELIVERED = (SENT, SUMMARISED, HELD)  # alerts the chat has, or will have in a summary


@dataclass(frozen=True)
class PastAlert:
    """One alert a chat got (or has waiting, held), as /recent lists it."""

    title: str
    link: str
    feed: str  # the outlet, as the alert named it
    at: datetime  # when it was decided for the chat
    held: bool  # still held by a mute, quiet hours or a digest


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored, with its outlet's title; ``seen_at`` and ``id`` order them."""

    id: int
    entry: Entry
    outlet: str
    seen_at: datetime


class HistoryQueries(Queries):
    async def recent_alerts(
        self, chat_id: int, since: datetime, watchlist: str | None = None, limit: int = 10
    ) -> list[PastAlert]:
        """The chat's last ``limit`` alerts since ``since``, newest first: sent one by one,
        in a summary or digest, or still held; with ``watchlist``, only those it matched.

        ``watchlist`` must be a watchlist name (``[a-z0-9-]``, as config requires): it is
        looked for as its JSON string among the alert's names, which is exact for such
        names. An alert whose stored message cannot be read is left out.
        """
        box = t.outbox.c
        query = (
            select(box.id, box.kind, box.payload, box.status, box.created_at)
            .where(box.chat_id == chat_id, box.kind == "alert", box.status.in_(_DELIVERED))
            .where(box.created_at >= since)
            .order_by(box.id.desc())
            .limit(limit)
        )
        if watchlist is not None:
            query = query.where(box.watchlists.like(f"%{json.dumps(watchlist)}%"))
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query))
        return [alert for row in rows if (alert := _past_alert(row)) is not None]

    async def chat_time_zone(self, chat_id: int) -> str | None:
        """The chat's IANA time zone name as stored (None: UTC, or no such chat)."""
        query = select(t.chats.c.time_zone).where(t.chats.c.id == chat_id)
        async with self.engine.connect() as conn:
            zone = (await conn.execute(query)).scalar()
        return str(zone) if zone else None

    async def stored_entries(
        self, since: datetime, limit: int, after: StoredEntry | None = None
    ) -> list[StoredEntry]:
        """Up to ``limit`` entries stored since ``since``, newest first; ``after``: the
        last one of the previous page, to read the next (older) page."""
        e, f = t.entries.c, t.feeds.c
        query = (
            select(t.entries, f.title.label("outlet"))
            .outerjoin(t.feeds, f.id == e.feed_id)
            .where(e.seen_at >= since)
            .order_by(e.seen_at.desc(), e.id.desc())
            .limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(e.seen_at, e.id) < tuple_(after.seen_at, after.id))
        async with self.engine.connect() as conn:
            return [_stored_entry(row) for row in await conn.execute(query)]


def _past_alert(row: Row[*tuple[Any, ...]]) -> PastAlert | None:
    try:
        message = messages.load(row.kind, row.payload)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("outbox row %s cannot be read: %s", row.id, exc)
        return None
    if not isinstance(message, AlertMessage):
        return None
    return PastAlert(message.title, message.link, message.feed, row.created_at, row.status == HELD)


def _stored_entry(row: Row[Any]) -> StoredEntry:
    entry = Entry(
        feed_id=row.feed_id,
        key=row.key,
        title=row.title,
        link=row.link,
        story=row.story,
        summary=row.summary or "",
        content=row.content or "",
        published=row.published_at,
    )
    return StoredEntry(row.id, entry, row.outlet or row.feed_id, row.seen_at)
