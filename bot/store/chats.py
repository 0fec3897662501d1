"""Queries about chats, their subscriptions and their personal rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Update, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema as t
from bot.store.base import Queries, _inserted_id, insert_ignoring, utcnow
from bot.store.outbox import FAILED, PENDING
from bot.store.records import Audience, Chat, ChatRule

# what a chat chose, which a group keeps when it becomes a supergroup
_SETTINGS = ("language", "language_set", "time_zone", "quiet", "digest")


class ChatQueries(Queries):
    async def upsert_chat(
        self, chat_id: int, type_: str, title: str | None, language: str | None = None
    ) -> None:
        """Remember a chat that talked to the bot; a returning chat becomes active again.

        ``language`` (the Telegram language of the user who wrote, None when nobody did:
        a channel post) becomes the chat's, unless one was chosen with /lang.
        """
        async with self.writing() as conn:
            values = {"type": type_, "title": title, "active": True, "inactive_reason": None}
            # one statement, not a look first: another process may add the chat meanwhile
            added = await conn.execute(
                insert_ignoring(conn.dialect.name, t.chats, ["id"]).values(
                    id=chat_id, language=language, created_at=utcnow(), **values
                )
            )
            if not added.rowcount:
                await conn.execute(update(t.chats).where(t.chats.c.id == chat_id).values(values))
                if language is not None:
                    await conn.execute(_follow(chat_id, language))

    async def follow_language(self, chat_id: int, language: str) -> None:
        """The language of the user who configures the chat becomes the chat's, unless
        one was chosen with /lang."""
        async with self.writing() as conn:
            await conn.execute(_follow(chat_id, language))

    async def set_language(self, chat_id: int, language: str) -> None:
        """The chat's language chosen with /lang: it stays, whoever writes next."""
        async with self.writing() as conn:
            await conn.execute(
                update(t.chats)
                .where(t.chats.c.id == chat_id)
                .values(language=language, language_set=True)
            )

    async def chat(self, chat_id: int) -> Chat | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.chats).where(t.chats.c.id == chat_id))).first()
        if row is None:
            return None
        return Chat(row.id, row.type, row.title, row.language, row.active, row.language_set)

    async def subscriptions(self, chat_id: int) -> list[str]:
        """The chat's watchlists, in code point order (sorted here, not by the database,
        whose collation may differ)."""
        query = select(t.subscriptions.c.watchlist).where(t.subscriptions.c.chat_id == chat_id)
        async with self.engine.connect() as conn:
            return sorted(r[0] for r in await conn.execute(query))

    async def subscribe(
        self, chat_id: int, names: Iterable[str], thread_id: int | None = None
    ) -> list[str]:
        """Subscribe, alerts to the forum topic ``thread_id`` (None: the chat itself);
        returns the names that were not subscribed before (the others stay as they are)."""
        subs = t.subscriptions
        async with self.writing() as conn:
            query = select(subs.c.watchlist).where(subs.c.chat_id == chat_id)
            have = {r[0] for r in await conn.execute(query)}
            added = [n for n in dict.fromkeys(names) if n not in have]
            if added:  # another process may subscribe the chat at the same time
                await conn.execute(
                    insert_ignoring(conn.dialect.name, subs, ["chat_id", "watchlist"]),
                    [
                        {
                            "chat_id": chat_id,
                            "watchlist": n,
                            "created_at": utcnow(),
                            "thread_id": thread_id,
                        }
                        for n in added
                    ],
                )
        return added

    async def move_to_topic(
        self, chat_id: int, names: Iterable[str], thread_id: int | None
    ) -> list[str]:
        """Send these subscriptions' alerts to the forum topic ``thread_id`` from now on
        (None: the General topic); returns the names that were elsewhere before."""
        subs, wanted = t.subscriptions, set(names)
        elsewhere = [
            name
            for name, topic in (await self.topics(chat_id)).items()
            if name in wanted and topic != thread_id
        ]
        if elsewhere:
            async with self.writing() as conn:
                await conn.execute(
                    update(subs)
                    .where(subs.c.chat_id == chat_id, subs.c.watchlist.in_(elsewhere))
                    .values(thread_id=thread_id)
                )
        return elsewhere

    async def topics(self, chat_id: int) -> dict[str, int | None]:
        """The chat's subscriptions by name, each with its forum topic (None: none)."""
        subs = t.subscriptions
        query = select(subs.c.watchlist, subs.c.thread_id).where(subs.c.chat_id == chat_id)
        async with self.engine.connect() as conn:
            found = {r.watchlist: r.thread_id for r in await conn.execute(query)}
        return {name: found[name] for name in sorted(found)}

    async def unsubscribe(self, chat_id: int, names: Iterable[str]) -> list[str]:
        """Unsubscribe; returns the names that were subscribed before."""
        have = set(await self.subscriptions(chat_id))
        removed = [n for n in dict.fromkeys(names) if n in have]
        async with self.writing() as conn:
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
        async with self.writing() as conn:
            result = await conn.execute(
                insert(t.rules).values(chat_id=chat_id, query=query, created_at=utcnow())
            )
            return _inserted_id(result)

    async def delete_rules(self, chat_id: int, rule_ids: Iterable[int]) -> int:
        """Remove these rules of the chat; returns how many were removed."""
        async with self.writing() as conn:
            result = await conn.execute(
                delete(t.rules).where(
                    t.rules.c.chat_id == chat_id, t.rules.c.id.in_(list(rule_ids))
                )
            )
        return int(result.rowcount)

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

    async def chat_counts(self) -> tuple[int, int]:
        """How many chats are active, and how many subscriptions they hold."""
        active = select(t.chats.c.id).where(t.chats.c.active.is_(True))
        subscribed = select(func.count()).where(t.subscriptions.c.chat_id.in_(active))
        async with self.engine.connect() as conn:
            chats = (
                await conn.execute(select(func.count()).select_from(active.subquery()))
            ).scalar()
            subscriptions = (await conn.execute(subscribed)).scalar()
        return int(chats or 0), int(subscriptions or 0)

    async def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop alerting a chat that blocked or removed the bot; its pending alerts fail."""
        async with self.writing() as conn:
            await conn.execute(
                update(t.chats)
                .where(t.chats.c.id == chat_id)
                .values(active=False, inactive_reason=reason)
            )
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.chat_id == chat_id, t.outbox.c.status == PENDING)
                .values(status=FAILED, error=reason)
            )
            await conn.execute(  # nor are its messages edited
                update(t.outbox)
                .where(t.outbox.c.chat_id == chat_id, t.outbox.c.edit_due.is_not(None))
                .values(edit_due=None)
            )

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: everything of ``old_id`` moves to ``new_id``:
        subscriptions, rules, queued and held alerts, mutes and settings."""
        async with self.writing() as conn:
            old = (await conn.execute(select(t.chats).where(t.chats.c.id == old_id))).first()
            exists = await conn.execute(select(t.chats.c.id).where(t.chats.c.id == new_id))
            if old and not exists.first():
                await conn.execute(
                    insert(t.chats).values(
                        id=new_id,
                        type="supergroup",
                        title=old.title,
                        active=True,
                        created_at=old.created_at,
                    )
                )
            if old:  # what the old group chose wins over what the new one may have got
                await conn.execute(
                    update(t.chats)
                    .where(t.chats.c.id == new_id)
                    .values({name: old._mapping[name] for name in _SETTINGS})
                )
            await _drop_what_new_has(conn, old_id, new_id)
            # the old group's messages are not the new one's to edit
            await conn.execute(
                update(t.outbox)
                .where(t.outbox.c.chat_id == old_id)
                .values(message_id=None, edit_due=None)
            )
            for table in (t.subscriptions, t.rules, t.outbox, t.mutes):
                await conn.execute(
                    update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
                )
            await conn.execute(
                update(t.chats)
                .where(t.chats.c.id == old_id)
                .values(active=False, inactive_reason=f"migrated to {new_id}")
            )


def _follow(chat_id: int, language: str) -> Update:
    """The chat takes ``language`` unless its language was chosen with /lang."""
    chats = t.chats
    return (
        update(chats)
        .where(chats.c.id == chat_id, chats.c.language_set.is_(False))
        .values(language=language)
    )


async def _drop_what_new_has(conn: AsyncConnection, old_id: int, new_id: int) -> None:
    """Before moving: what the new chat already has (a /sub there, a story queued there)
    would break the unique keys, and is not needed twice."""
    subs = t.subscriptions
    have = select(subs.c.watchlist).where(subs.c.chat_id == new_id)
    await conn.execute(delete(subs).where(subs.c.chat_id == old_id, subs.c.watchlist.in_(have)))
    box = t.outbox
    queued = select(box.c.story).where(box.c.chat_id == new_id)
    await conn.execute(delete(box).where(box.c.chat_id == old_id, box.c.story.in_(queued)))
    mutes = t.mutes
    moving = select(mutes.c.watchlist).where(mutes.c.chat_id == old_id)
    await conn.execute(
        delete(mutes).where(mutes.c.chat_id == new_id, mutes.c.watchlist.in_(moving))
    )
