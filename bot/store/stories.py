"""Queries about stories: the entries of the window, and the stories told lately."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from bot.store import schema as t
from bot.store.base import Queries
from bot.store.records import StoredStory, StoryOutlet, WindowEntry


class StoryQueries(Queries):
    async def seen_keys(
        self, since: datetime, after_id: int = 0
    ) -> list[tuple[int, str, str, datetime]]:
        """(id, feed, key, seen) of the entries seen since ``since`` and stored after the
        entry ``after_id``, in the order they were stored."""
        e = t.entries.c
        query = (
            select(e.id, e.feed_id, e.key, e.seen_at)
            .where(e.seen_at >= since, e.id > after_id)
            .order_by(e.id)
        )
        async with self.engine.connect() as conn:
            return [(r.id, r.feed_id, r.key, r.seen_at) for r in await conn.execute(query)]

    async def window_entries(self, ids: Sequence[int]) -> list[WindowEntry]:
        """The entries stored as ``ids``, with what story grouping reads of them, in the
        order they were stored."""
        e = t.entries.c
        found: list[WindowEntry] = []
        async with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                query = (
                    select(
                        e.id,
                        e.feed_id,
                        e.key,
                        e.story,
                        e.same_as,
                        e.title,
                        e.link,
                        e.summary,
                        e.content,
                        e.seen_at,
                    )
                    .where(e.id.in_(ids[start : start + 500]))
                    .order_by(e.id)
                )
                found.extend(
                    WindowEntry(
                        r.id,
                        r.feed_id,
                        r.key,
                        r.story,
                        r.same_as,
                        r.title,
                        r.link,
                        r.summary or "",
                        r.content or "",
                        r.seen_at,
                    )
                    for r in await conn.execute(query)
                )
        return found

    async def stories_since(self, since: datetime, limit: int = 10_000) -> list[StoredStory]:
        """The stories told since ``since``, the newest first, each with its entries seen
        since then in the order they were seen; of the newest ``limit`` entries."""
        e = t.entries.c
        told = func.coalesce(e.same_as, e.story)
        query = (
            select(told.label("told"), e.feed_id, t.feeds.c.title.label("feed_title"))
            .add_columns(e.title, e.link, e.seen_at)
            .outerjoin(t.feeds, t.feeds.c.id == e.feed_id)
            .where(e.seen_at >= since)
            .order_by(e.id.desc())
            .limit(limit)
        )
        stories: dict[str, list[StoryOutlet]] = {}
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query))
        for r in reversed(rows):
            outlet = StoryOutlet(r.feed_id, r.feed_title, r.title, r.link, r.seen_at)
            stories.setdefault(r.told, []).append(outlet)
        found = [StoredStory(story, tuple(outlets)) for story, outlets in stories.items()]
        return sorted(found, key=lambda s: s.outlets[0].seen_at, reverse=True)
