"""Which story each new entry tells: one told before, or a new one.

An entry tells the story of an entry of any feed seen within ``stories.window`` when it
has the same normalized link, or when it reports the same news in the same language
(:mod:`bot.stories`: MinHash and locality-sensitive hashing find the candidates, guards
on names, numbers and acronyms keep different events apart). A story is named by the
``story`` (the normalized link) of its first entry; an entry that joins one records it
as ``same_as``, and its alerts go under that name, so that a chat hears of the story
once (the outbox keeps one alert per story per chat).

The book is filled from the store when first needed (the entries of the window), and
before it places new entries it reads what other processes stored meanwhile: the
entries stored after the last one it read, less :data:`SLACK` (another database may
commit a lower id later), that it does not know. Placing runs in a thread:
fingerprinting a poll's entries is work. A story keeps at most :data:`INDEXED`
fingerprints: a feed that repeats one text a thousand times makes one story, compared
at the cost of a few entries.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import StoriesConfig
from bot.models import Entry
from bot.store.records import WindowEntry
from bot.store.store import Store
from bot.stories.index import StoryIndex
from bot.stories.similar import Fingerprint, fingerprint

log = logging.getLogger(__name__)
SLACK = 1000  # entries stored before the newest read that are looked at again
INDEXED = 8  # fingerprints kept per story: more tellings of it add nothing to find it
_Key = tuple[str, str]  # (feed, entry key)


@dataclass
class _Story:
    indexed: int  # how many of its entries' fingerprints the index holds
    last: datetime  # when its newest entry was seen


class StoryBook:
    """The stories of the window: their entries' fingerprints and links."""

    def __init__(self, store: Store, config: StoriesConfig) -> None:
        self._store = store
        self._enabled = config.enabled
        self._window = timedelta(seconds=config.window)
        self._index = StoryIndex(config.window)
        self._links: dict[str, tuple[str, datetime]] = {}  # link story -> (story, seen)
        self._stories: dict[str, _Story] = {}
        self._keys: set[_Key] = set()  # the entries known
        # (seen, key, link story, story) of every entry known, in the order they were seen
        self._order: deque[tuple[datetime, _Key, str, str]] = deque()
        self._lock = threading.Lock()  # placing runs in threads
        self._reading = asyncio.Lock()
        self._last_id: int | None = None  # the newest entry read from the store

    async def place(self, entries: Sequence[Entry], now: datetime) -> list[Entry]:
        """``entries`` (new, in document order), each with the story it tells
        (``same_as``: another outlet's story; None: its own)."""
        if not self._enabled or not entries:
            return list(entries)
        await self._catch_up(now)
        return await asyncio.to_thread(self._place_all, entries, now)

    def story_of(self, link_story: str) -> str | None:
        """The story the entries with this link (their ``story``) tell, if known."""
        with self._lock:
            found = self._links.get(link_story)
            return found[0] if found else None

    async def _catch_up(self, now: datetime) -> None:
        """Read the entries stored since the last read (the whole window, the first
        time) that this book does not know; forget what left the window."""
        async with self._reading:
            first = self._last_id is None
            after = max(0, (self._last_id or 0) - SLACK)
            seen = await self._store.seen_keys(now - self._window, after)
            # in a thread, as all that takes the lock: placing may hold it for a while
            unknown = await asyncio.to_thread(self._unknown, seen)
            if seen:
                self._last_id = max(self._last_id or 0, seen[-1][0])
            elif first:
                self._last_id = 0
            for chunk in range(0, len(unknown), 2000):
                rows = await self._store.window_entries(unknown[chunk : chunk + 2000])
                await asyncio.to_thread(self._remember, rows)
            await asyncio.to_thread(self._forget, now - self._window)
            if first:
                log.info("stories: %d entries of the last %s read", len(unknown), self._window)

    def _unknown(self, seen: Sequence[tuple[int, str, str, datetime]]) -> list[int]:
        """The ids of the ``seen`` entries this book does not know."""
        with self._lock:
            return [row_id for row_id, feed, key, _ in seen if (feed, key) not in self._keys]

    def _remember(self, stored: Sequence[WindowEntry]) -> None:
        """Add entries another process (or an earlier run) stored."""
        for row in stored:
            print_ = fingerprint(row.title, row.summary or row.content)
            with self._lock:
                key = (row.feed_id, row.key)
                if key not in self._keys:
                    story = row.same_as or row.story
                    self._add(key, print_, row.story, story, row.seen_at)

    def _place_all(self, entries: Sequence[Entry], now: datetime) -> list[Entry]:
        placed = []
        for entry in entries:
            print_ = fingerprint(entry.title, entry.summary or entry.content)
            with self._lock:
                story = self._story_of(entry, print_, now)
                self._add((entry.feed_id, entry.key), print_, entry.story, story, now)
            placed.append(replace(entry, same_as=story if story != entry.story else None))
        return placed

    def _story_of(self, entry: Entry, print_: Fingerprint | None, now: datetime) -> str:
        """The story ``entry`` tells: its link's, else the one it reports, else its own."""
        linked = self._links.get(entry.story)
        if linked is not None:
            return linked[0]
        found = self._index.find(print_, now) if print_ is not None else None
        return found or entry.story

    def _add(
        self, key: _Key, print_: Fingerprint | None, link_story: str, story: str, seen: datetime
    ) -> None:
        self._keys.add(key)
        self._order.append((seen, key, link_story, story))
        known = self._stories.setdefault(story, _Story(0, seen))
        known.last = max(known.last, seen)
        if print_ is not None and (known.indexed < INDEXED or key in self._index):
            if key not in self._index:
                known.indexed += 1
            self._index.add(key, print_, story, seen)
        linked = self._links.get(link_story)
        self._links[link_story] = (linked[0] if linked else story, seen)

    def _forget(self, before: datetime) -> None:
        """Drop what was seen before ``before``: a story ends with its newest entry."""
        with self._lock:
            while self._order and self._order[0][0] < before:
                _, key, link_story, story = self._order.popleft()
                self._keys.discard(key)
                linked = self._links.get(link_story)
                if linked is not None and linked[1] < before:
                    del self._links[link_story]
                known = self._stories.get(story)
                if known is not None and key in self._index:  # room for a newer telling
                    known.indexed -= 1
                if known is not None and known.last < before:
                    del self._stories[story]
            self._index.forget(before)
