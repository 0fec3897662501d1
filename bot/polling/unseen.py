"""Which of a feed's entries are new: not stored yet, each story its own.

Entries are known by their key (guid, else link, else text). The feed's stored entries
settle the rest: entries without a guid that share a link are known by their text, an
entry stored under its link keeps that key, and a feed that links every item to one
page (its home page, a live page) still has one story per item.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.feeds.entries import Stored, own_stories, settle_keys
from bot.feeds.links import bounded, normalize_link
from bot.models import Entry
from bot.store.store import Store


class UnseenEntries:
    """Finds a feed's new entries against what the store holds."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def of(self, feed_id: str, entries: Sequence[Entry], stored: bool) -> list[Entry]:
        """The entries not stored yet, each key once (``stored``: the feed has entries),
        keyed and given stories against the entries the feed stored before."""
        unique = unique_keys(entries)
        if not stored:  # a feed's first entries are stored with its first poll
            return unique
        fresh = await self._unseen(feed_id, unique)
        linked = await self._linked(feed_id, fresh)
        if not linked:
            return fresh
        settled = await self._settled(feed_id, fresh, linked)
        if settled != fresh:
            settled = await self._unseen(feed_id, unique_keys(settled))
        # The outbox keeps one alert per story per chat: entries of one page need their own.
        return own_stories(settled, linked)

    async def _unseen(self, feed_id: str, entries: list[Entry]) -> list[Entry]:
        unseen = await self._store.unseen(feed_id, [e.key for e in entries])
        return [e for e in entries if e.key in unseen]

    async def _linked(self, feed_id: str, fresh: list[Entry]) -> list[Stored]:
        """The feed's stored entries with the story or the link of one of ``fresh``."""
        links = [e.link for e in fresh if e.link]
        if not links:
            return []
        stories = [bounded(normalize_link(link)) for link in links]
        return await self._store.linked_entries(feed_id, stories, links)

    async def _settled(self, feed_id: str, fresh: list[Entry], linked: list[Stored]) -> list[Entry]:
        """``fresh`` keyed by :func:`settle_keys` against what the feed stored before."""
        keys = sorted({bounded(normalize_link(e.link)) for e in fresh if e.link})
        titles = await self._store.titles(feed_id, keys)
        return settle_keys(fresh, linked, titles)


def unique_keys(entries: Sequence[Entry]) -> list[Entry]:
    """``entries``, each key once (its first), in order."""
    return list({e.key: e for e in reversed(entries)}.values())[::-1]
