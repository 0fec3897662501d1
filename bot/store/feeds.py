"""Queries about feeds and the entries seen in them, and the poll's one transaction."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Update, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import messages
from bot.messages import AlertMessage
from bot.models import Alert, Entry, FeedStatus
from bot.store import schema as t
from bot.store.base import Queries, insert_ignoring
from bot.store.outbox import add_outlets, enqueue
from bot.store.records import KEEP, FeedState, FeedUpdate

ENTRY_TEXT = 2000  # characters of an entry's summary and of its content kept for /search

ACTIVE: FeedStatus = "active"
GONE: FeedStatus = "gone"


class FeedQueries(Queries):
    async def sync_feeds(self, configured: Iterable[tuple[str, str, str | None]]) -> None:
        """Make sure every (id, url, title) from config has a row; a changed url resets."""
        async with self.writing() as conn:
            known = {r.id: r.config_url for r in await conn.execute(select(t.feeds))}
            wanted = list(configured)
            new = [
                {"id": feed_id, "config_url": url, "url": url, "title": title}
                for feed_id, url, title in wanted
                if feed_id not in known
            ]
            if new:  # another process starting now may insert them first
                fresh = {"initialized": False, "status": ACTIVE, "failures": 0}
                await conn.execute(
                    insert_ignoring(conn.dialect.name, t.feeds, ["id"]),
                    [{**row, **fresh} for row in new],
                )
            for feed_id, url, _ in wanted:
                if feed_id in known and known[feed_id] != url:
                    await conn.execute(
                        update(t.feeds)
                        .where(t.feeds.c.id == feed_id)
                        .values(
                            config_url=url,
                            url=url,
                            etag=None,
                            last_modified=None,
                            ttl=None,
                            advertised=None,
                            status=ACTIVE,
                            failures=0,
                        )
                    )

    async def feed_states(self) -> list[FeedState]:
        """Every feed's state, by id in code point order (sorted here: a PostgreSQL
        database's collation may order text otherwise than SQLite does)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.feeds))
            return sorted((_feed_state(r) for r in rows), key=lambda state: state.id)

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

    async def titles(self, feed_id: str, keys: Sequence[str]) -> dict[str, str]:
        """The titles of this feed's stored entries with these keys, by key."""
        found: dict[str, str] = {}
        c = t.entries.c
        async with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                query = select(c.key, c.title).where(
                    c.feed_id == feed_id, c.key.in_(keys[start : start + 500])
                )
                found.update((r.key, r.title) for r in await conn.execute(query))
        return found

    async def linked_entries(
        self, feed_id: str, stories: Sequence[str], links: Sequence[str]
    ) -> list[tuple[str, str, str, str]]:
        """(key, story, link, title) of this feed's stored entries with one of these
        stories or links."""
        found: list[tuple[str, str, str, str]] = []
        c = t.entries.c
        async with self.engine.connect() as conn:
            for start in range(0, max(len(stories), len(links)), 250):
                query = select(c.key, c.story, c.link, c.title).where(
                    c.feed_id == feed_id,
                    c.story.in_(stories[start : start + 250])
                    | c.link.in_(links[start : start + 250]),
                )
                found.extend((r.key, r.story, r.link, r.title) for r in await conn.execute(query))
        return found

    async def commit_poll(
        self,
        feed_id: str,
        change: FeedUpdate,
        new: Sequence[Entry],
        alerts: Sequence[tuple[Alert, AlertMessage]],
        outlet: str | None = None,
        stories_since: datetime | None = None,
    ) -> int:
        """Store new entries, their alerts and the feed's state in one transaction.

        Returns how many alerts were queued: an alert for a story the chat already has
        in its outbox is dropped, so a chat hears of each story once. An alert goes to
        the forum topic of the first of its watchlists (in the order of
        ``Alert.watchlists``) whose subscription has one, as the subscriptions stand
        in this transaction; else to the chat itself.

        ``outlet``: the feed's name as alerts show it; the feed is recorded as an outlet
        of the stories its new entries tell, and the alerts of those stories queued since
        ``stories_since`` (the story window) name it.
        """
        now = change.attempted_at
        async with self.writing() as conn:
            ids = await _insert_entries(conn, feed_id, new, {a.entry.key for a, _ in alerts}, now)
            if outlet is not None and new:
                told = [(e.told, e.link) for e in new]
                await add_outlets(conn, told, outlet, feed_id, now, stories_since)
            topics = await _topics(conn, {a.chat_id for a, _ in alerts})
            queued = 0
            for alert, message in alerts:
                entry = alert.entry
                kind, payload = messages.dump(message)
                queued += await enqueue(
                    conn,
                    alert.chat_id,
                    entry.told,
                    kind,
                    payload,
                    now,
                    ids[entry.key],
                    alert.watchlists,
                    _topic(alert, topics),
                    known_as=(entry.story,),
                )
            await _apply_feed_update(conn, feed_id, change, initialized=True)
        return queued

    async def record_attempt(self, feed_id: str, change: FeedUpdate) -> None:
        """A poll that brought no entries: only the feed's state changes."""
        await self.in_shared_transaction(*_feed_update(feed_id, change, initialized=None))


async def _topics(conn: AsyncConnection, chat_ids: set[int]) -> dict[tuple[int, str], int]:
    """The forum topic of every subscription of these chats that has one, by (chat, name)."""
    subs = t.subscriptions
    ids = sorted(chat_ids)
    found: dict[tuple[int, str], int] = {}
    for start in range(0, len(ids), 500):
        query = select(subs.c.chat_id, subs.c.watchlist, subs.c.thread_id).where(
            subs.c.chat_id.in_(ids[start : start + 500]), subs.c.thread_id.is_not(None)
        )
        found.update(((r.chat_id, r.watchlist), r.thread_id) for r in await conn.execute(query))
    return found


def _topic(alert: Alert, topics: dict[tuple[int, str], int]) -> int | None:
    """The topic of the first of the alert's watchlists that has one; None: the chat."""
    keys = ((alert.chat_id, name) for name in alert.watchlists)
    return next((topics[key] for key in keys if key in topics), None)


async def _insert_entries(
    conn: AsyncConnection, feed_id: str, new: Sequence[Entry], wanted: set[str], now: datetime
) -> dict[str, int]:
    """Insert in one statement; return the row ids of the ``wanted`` keys."""
    if not new:
        return {}
    rows = [
        {
            "feed_id": feed_id,
            "key": e.key,
            "story": e.story,
            "title": e.title,
            "link": e.link,
            "published_at": e.published,
            "seen_at": now,
            "summary": e.summary[:ENTRY_TEXT] or None,
            "content": e.content[:ENTRY_TEXT] or None,
            "same_as": e.same_as,
        }
        for e in new
    ]
    # A feed's first poll skips the seen-check (nothing is stored yet), so another
    # process polling the same new feed at the same time may store the same entries first.
    await conn.execute(insert_ignoring(conn.dialect.name, t.entries, ["feed_id", "key"]), rows)
    if not wanted:
        return {}
    query = select(t.entries.c.key, t.entries.c.id).where(
        t.entries.c.feed_id == feed_id, t.entries.c.key.in_(sorted(wanted))
    )
    return {key: row_id for key, row_id in await conn.execute(query)}


async def _apply_feed_update(
    conn: AsyncConnection, feed_id: str, change: FeedUpdate, initialized: bool | None
) -> None:
    await conn.execute(*_feed_update(feed_id, change, initialized))


def _feed_update(
    feed_id: str, change: FeedUpdate, initialized: bool | None
) -> tuple[Update, dict[str, object]]:
    """The statement and parameters that apply ``change`` to the feed's row.

    Changes of the same shape (success or failure, the same fields given) share one
    statement, so a batch of them is executed as one ``executemany``.
    """
    given = {
        "url": change.url,
        "title": change.title,
        "etag": change.etag,
        "last_modified": change.last_modified,
    }
    params: dict[str, object] = {
        "p_id": feed_id,
        "p_attempted_at": change.attempted_at,
        "p_next_poll_at": change.next_poll_at,
        "p_advertised": advertised_column(change.advertised),
    }
    if not change.ok:
        params["p_error"] = _storable(change.error)
    if initialized is not None:
        params["p_initialized"] = initialized
    params.update({f"p_{name}": value for name, value in given.items() if value is not None})
    shape = {name for name, value in given.items() if value is not None}
    if change.ttl is not KEEP:
        params["p_ttl"] = change.ttl
        shape.add("ttl")
    return (
        _update_statement(change.ok, change.gone, initialized is not None, frozenset(shape)),
        params,
    )


def advertised_column(addresses: Sequence[str]) -> str | None:
    """``feeds.advertised`` for these addresses: a JSON list, or NULL for none.

    The parser keeps at most :data:`~bot.feeds.discover.MAX_ADVERTISED` addresses of
    at most :data:`~bot.feeds.discover.MAX_URL` characters each.
    """
    return json.dumps(list(addresses), ensure_ascii=False) if addresses else None


def advertised_from_column(value: object) -> tuple[str, ...]:
    """The addresses in a ``feeds.advertised`` value; none if it is not such a list."""
    if not isinstance(value, str):
        return ()
    try:
        addresses = json.loads(value)
    except ValueError:
        return ()
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        return ()
    return tuple(addresses)


@functools.cache
def _update_statement(ok: bool, gone: bool, initialize: bool, given: frozenset[str]) -> Update:
    attempted_at = bindparam("p_attempted_at", type_=t.UTCDateTime())
    values: dict[str, object] = {
        "last_attempt_at": attempted_at,
        "next_poll_at": bindparam("p_next_poll_at", type_=t.UTCDateTime()),
        "advertised": bindparam("p_advertised"),
    }
    if ok:
        values.update(
            last_success_at=attempted_at,
            last_error=None,
            failures=0,
            failing_since=None,
            health_notice_at=None,
        )
    else:
        values.update(
            last_error=bindparam("p_error"),
            failures=t.feeds.c.failures + 1,
            failing_since=func.coalesce(t.feeds.c.failing_since, attempted_at),
        )
    values.update({name: bindparam(f"p_{name}") for name in sorted(given)})
    if gone:
        values["status"] = GONE
    if initialize:
        values["initialized"] = bindparam("p_initialized")
    return update(t.feeds).where(t.feeds.c.id == bindparam("p_id")).values(values)


def _storable(text: str | None) -> str | None:
    """``text`` without lone surrogates (a library's stand-ins for undecodable bytes) and
    NUL characters (which PostgreSQL refuses in text), each now a question mark."""
    if text is None:
        return None
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "?")


def _feed_state(row: Row[Any]) -> FeedState:
    fields = {name: getattr(row, name) for name in FeedState.__dataclass_fields__}
    fields["status"] = GONE if row.status == GONE else ACTIVE  # no other value is written
    fields["advertised"] = advertised_from_column(row.advertised)
    return FeedState(**fields)
