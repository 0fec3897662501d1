"""Every query newsbot runs, behind one class. Callers never see SQL or rows."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Alert, Entry
from bot.store import schema as t
from bot.store.engine import open_engine
from bot.store.records import Audience, Chat, ChatRule, FeedState, FeedUpdate, OutboxRow


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """Feeds, seen entries, chats, subscriptions, personal rules and the alert outbox."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One writer at a time for polls: the check for a chat's story and the insert of
        # its alert must not interleave with another feed's poll of the same story.
        self._poll_lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> Store:
        return cls(await open_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    # feeds

    async def sync_feeds(self, configured: Iterable[tuple[str, str, str | None]]) -> None:
        """Make sure every (id, url, title) from config has a row; a changed url resets."""
        async with self.engine.begin() as conn:
            known = {r.id: r.config_url for r in await conn.execute(select(t.feeds))}
            for feed_id, url, title in configured:
                if feed_id not in known:
                    await conn.execute(
                        insert(t.feeds).values(
                            id=feed_id,
                            config_url=url,
                            url=url,
                            title=title,
                            initialized=False,
                            status="active",
                            failures=0,
                        )
                    )
                elif known[feed_id] != url:
                    await conn.execute(
                        update(t.feeds)
                        .where(t.feeds.c.id == feed_id)
                        .values(
                            config_url=url,
                            url=url,
                            etag=None,
                            last_modified=None,
                            status="active",
                            failures=0,
                        )
                    )

    async def feed_states(self) -> list[FeedState]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.feeds).order_by(t.feeds.c.id))
            return [_feed_state(r) for r in rows]

    async def feed_state(self, feed_id: str) -> FeedState | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.feeds).where(t.feeds.c.id == feed_id))).first()
            return _feed_state(row) if row else None

    async def recent_published(self, feed_id: str, limit: int = 20) -> list[datetime]:
        """Publication times of the feed's latest entries, for the polling policy."""
        query = (
            select(t.entries.c.published_at)
            .where(t.entries.c.feed_id == feed_id, t.entries.c.published_at.is_not(None))
            .order_by(t.entries.c.published_at.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(query)]

    async def unseen(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` this feed has never stored."""
        seen: set[str] = set()
        async with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = select(t.entries.c.key).where(
                    t.entries.c.feed_id == feed_id, t.entries.c.key.in_(chunk)
                )
                seen.update(r[0] for r in await conn.execute(query))
        return set(keys) - seen

    async def commit_poll(
        self,
        feed_id: str,
        change: FeedUpdate,
        new: Sequence[Entry],
        alerts: Sequence[tuple[Alert, str]],
    ) -> int:
        """Store new entries, their alerts and the feed's state in one transaction.

        Returns how many alerts were queued: an alert for a story the chat already has
        in its outbox is dropped, so a chat hears of each story once.
        """
        now = change.attempted_at
        async with self._poll_lock, self.engine.begin() as conn:
            ids = {e.key: await _insert_entry(conn, e, now) for e in new}
            queued = 0
            for alert, text in alerts:
                queued += await _enqueue(conn, alert, ids[alert.entry.key], text, now)
            await _apply_feed_update(conn, feed_id, change, initialized=True)
        return queued

    async def record_attempt(self, feed_id: str, change: FeedUpdate) -> None:
        """A poll that brought no entries: only the feed's state changes."""
        async with self.engine.begin() as conn:
            await _apply_feed_update(conn, feed_id, change, initialized=None)

    # chats and subscriptions

    async def upsert_chat(
        self, chat_id: int, type_: str, title: str | None, language: str | None = None
    ) -> None:
        """Remember a chat that talked to the bot; a returning chat becomes active again."""
        async with self.engine.begin() as conn:
            found = await conn.execute(select(t.chats.c.id).where(t.chats.c.id == chat_id))
            values = {"type": type_, "title": title, "active": True, "inactive_reason": None}
            if found.first():
                await conn.execute(update(t.chats).where(t.chats.c.id == chat_id).values(values))
            else:
                await conn.execute(
                    insert(t.chats).values(
                        id=chat_id, language=language, created_at=utcnow(), **values
                    )
                )

    async def chat(self, chat_id: int) -> Chat | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.chats).where(t.chats.c.id == chat_id))).first()
        return Chat(row.id, row.type, row.title, row.language, row.active) if row else None

    async def subscriptions(self, chat_id: int) -> list[str]:
        query = (
            select(t.subscriptions.c.watchlist)
            .where(t.subscriptions.c.chat_id == chat_id)
            .order_by(t.subscriptions.c.watchlist)
        )
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(query)]

    async def subscribe(self, chat_id: int, names: Iterable[str]) -> list[str]:
        """Subscribe; returns the names that were not subscribed before."""
        have = set(await self.subscriptions(chat_id))
        added = [n for n in dict.fromkeys(names) if n not in have]
        if added:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(t.subscriptions),
                    [{"chat_id": chat_id, "watchlist": n, "created_at": utcnow()} for n in added],
                )
        return added

    async def unsubscribe(self, chat_id: int, names: Iterable[str]) -> list[str]:
        """Unsubscribe; returns the names that were subscribed before."""
        have = set(await self.subscriptions(chat_id))
        removed = [n for n in dict.fromkeys(names) if n in have]
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(t.subscriptions).where(
                    t.subscriptions.c.chat_id == chat_id, t.subscriptions.c.watchlist.in_(removed)
                )
            )
        return removed

    async def rules(self, chat_id: int) -> list[ChatRule]:
        query = select(t.rules).where(t.rules.c.chat_id == chat_id).order_by(t.rules.c.id)
        async with self.engine.connect() as conn:
            return [ChatRule(r.id, r.chat_id, r.query) for r in await conn.execute(query)]

    async def add_rule(self, chat_id: int, query: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                insert(t.rules).values(chat_id=chat_id, query=query, created_at=utcnow())
            )
            return _inserted_id(result)

    async def audience(self) -> Audience:
        """Subscribers per watchlist and personal rules, active chats only."""
        active = select(t.chats.c.id).where(t.chats.c.active.is_(True))
        subs = select(t.subscriptions).where(t.subscriptions.c.chat_id.in_(active))
        rules = select(t.rules).where(t.rules.c.chat_id.in_(active)).order_by(t.rules.c.id)
        by_list: dict[str, set[int]] = defaultdict(set)
        async with self.engine.connect() as conn:
            for row in await conn.execute(subs):
                by_list[row.watchlist].add(row.chat_id)
            chat_rules = tuple(
                ChatRule(r.id, r.chat_id, r.query) for r in await conn.execute(rules)
            )
        return Audience({k: frozenset(v) for k, v in by_list.items()}, chat_rules)

    async def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop alerting a chat that blocked or removed the bot; its pending alerts fail."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.chats)
                .where(t.chats.c.id == chat_id)
                .values(active=False, inactive_reason=reason)
            )
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.chat_id == chat_id, t.outbox.c.status == "pending")
                .values(status="failed", error=reason)
            )

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: everything of ``old_id`` moves to ``new_id``."""
        async with self.engine.begin() as conn:
            old = (await conn.execute(select(t.chats).where(t.chats.c.id == old_id))).first()
            exists = await conn.execute(select(t.chats.c.id).where(t.chats.c.id == new_id))
            if old and not exists.first():
                await conn.execute(
                    insert(t.chats).values(
                        id=new_id,
                        type="supergroup",
                        title=old.title,
                        language=old.language,
                        active=True,
                        created_at=old.created_at,
                    )
                )
            for table in (t.subscriptions, t.rules, t.outbox):
                await conn.execute(
                    update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
                )
            await conn.execute(
                update(t.chats)
                .where(t.chats.c.id == old_id)
                .values(active=False, inactive_reason=f"migrated to {new_id}")
            )

    # outbox

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        """Pending alerts whose time has come, oldest first."""
        query = (
            select(t.outbox, t.entries.c.title, t.entries.c.link)
            .join(t.entries, t.entries.c.id == t.outbox.c.entry_id)
            .where(t.outbox.c.status == "pending", t.outbox.c.not_before <= now)
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
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
        async with self.engine.begin() as conn:
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
        async with self.engine.begin() as conn:
            await conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(values))


async def _insert_entry(conn: AsyncConnection, entry: Entry, now: datetime) -> int:
    result = await conn.execute(
        insert(t.entries).values(
            feed_id=entry.feed_id,
            key=entry.key,
            story=entry.story,
            title=entry.title,
            link=entry.link,
            published_at=entry.published,
            seen_at=now,
        )
    )
    return _inserted_id(result)


async def _enqueue(
    conn: AsyncConnection, alert: Alert, entry_id: int, text: str, now: datetime
) -> int:
    story = alert.entry.story
    exists = await conn.execute(
        select(t.outbox.c.id).where(
            and_(t.outbox.c.chat_id == alert.chat_id, t.outbox.c.story == story)
        )
    )
    if exists.first():
        return 0
    await conn.execute(
        insert(t.outbox).values(
            chat_id=alert.chat_id,
            entry_id=entry_id,
            story=story,
            text=text,
            status="pending",
            attempts=0,
            not_before=now,
            created_at=now,
        )
    )
    return 1


async def _apply_feed_update(
    conn: AsyncConnection, feed_id: str, change: FeedUpdate, initialized: bool | None
) -> None:
    values: dict[str, object] = {
        "last_attempt_at": change.attempted_at,
        "next_poll_at": change.next_poll_at,
    }
    if change.ok:
        values.update(last_success_at=change.attempted_at, last_error=None, failures=0)
    else:
        values.update(last_error=change.error, failures=t.feeds.c.failures + 1)
    optional = {
        "url": change.url,
        "title": change.title,
        "etag": change.etag,
        "last_modified": change.last_modified,
    }
    values.update({k: v for k, v in optional.items() if v is not None})
    if change.gone:
        values["status"] = "gone"
    if initialized is not None:
        values["initialized"] = initialized
    await conn.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(values))


def _feed_state(row: object) -> FeedState:
    return FeedState(**{name: getattr(row, name) for name in FeedState.__dataclass_fields__})


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for an inserted row")
    return int(key[0])
