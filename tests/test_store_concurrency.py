"""Several newsbot processes on one PostgreSQL database, writing the same rows at once.

Each store here has an engine (a pool of connections) of its own, as each process has:
the unique keys and ``ON CONFLICT`` must keep one row per entry, story outlet, chat,
subscription and outbox story, and no writer may fail for having lost the race.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from support.databases import execute, postgres_database

from bot.messages import FeedNotice, alert_message
from bot.models import Alert, Entry
from bot.store.engine import HEAD
from bot.store.records import FeedUpdate
from bot.store.store import Store

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
WRITERS = 4
ROUNDS = 5
CHATS = (100, 200, -300)
FEEDS = [("a", "https://a.example/rss", "Astana Daily"), ("b", "https://b.example/rss", None)]


def poll(feed: str, round_: int) -> tuple[list[Entry], list[tuple[Alert, object]]]:
    """One poll's new entries (the same ones every writer sees) and their alerts."""
    entries = [
        Entry(
            feed,
            f"{round_}-{n}",
            f"Rosatom news {round_}.{n}",
            f"https://news.example/{round_}/{n}",
            story=f"https://news.example/{round_}/{n}",
        )
        for n in range(6)
    ]
    alerts = []
    for entry in entries:
        for chat in CHATS:
            alert = Alert(chat, entry, ("Nuclear",), watchlists=("kz-nuclear",))
            alerts.append((alert, alert_message(alert, feed.upper(), T0)))
    return entries, alerts


async def writer(store: Store, order: list[str]) -> int:
    await store.sync_feeds(FEEDS)
    for chat in CHATS:
        await store.upsert_chat(chat, "private" if chat > 0 else "group", None, "en")
        await store.subscribe(chat, ["kz-nuclear", "csto"])
    queued = 0
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    notice = FeedNotice("b", "https://b.example/rss", "gone")
    for round_ in range(ROUNDS):
        for feed in order:
            entries, alerts = poll(feed, round_)
            queued += await store.commit_poll(feed, change, entries, alerts, feed.upper(), T0)  # type: ignore[arg-type]
        queued += await store.queue_notice(notice, [100, 999], T0, T0)
    return queued


async def test_concurrent_writers_store_each_row_once_without_errors() -> None:
    with postgres_database() as url:
        stores = [await Store.open(url) for _ in range(WRITERS)]
        try:
            # half poll feed a first, half feed b: the same story comes from both at once
            orders = [["a", "b"], ["b", "a"]]
            queued = await asyncio.gather(*(writer(s, orders[n % 2]) for n, s in enumerate(stores)))
        finally:
            for store in stores:
                await store.close()
        alerts = ROUNDS * 6 * len(CHATS)  # feed b tells feed a's stories: no second alert
        assert sum(queued) == alerts + 2  # and one feed notice for each of two admins
        counts = {
            table: execute(url, f"SELECT count(*) FROM {table}")[0][0]
            for table in ("feeds", "chats", "subscriptions", "entries", "story_outlets", "outbox")
        }
        assert counts == {
            "feeds": len(FEEDS),
            "chats": len(CHATS),
            "subscriptions": 2 * len(CHATS),
            "entries": len(FEEDS) * ROUNDS * 6,
            "story_outlets": len(FEEDS) * ROUNDS * 6,
            "outbox": alerts + 2,
        }


async def test_instances_opening_a_new_database_at_once_all_find_one_schema() -> None:
    with postgres_database() as url:
        opened = await asyncio.gather(
            *(Store.open(url) for _ in range(WRITERS)), return_exceptions=True
        )
        stores = [s for s in opened if isinstance(s, Store)]
        for store in stores:
            await store.close()
        assert len(stores) == WRITERS, [s for s in opened if not isinstance(s, Store)]
        [(version,)] = execute(url, "SELECT version_num FROM alembic_version")
        assert version == HEAD
