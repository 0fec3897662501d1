"""Every query newsbot runs, behind one class. Callers never see SQL or rows."""

from __future__ import annotations

from bot.store.base import utcnow
from bot.store.chats import ChatQueries
from bot.store.engine import open_engine, side_engine
from bot.store.feeds import FeedQueries
from bot.store.held import HeldQueries
from bot.store.history import HistoryQueries
from bot.store.leases import LeaseQueries
from bot.store.outbox import OutboxQueries
from bot.store.settings import SettingsQueries
from bot.store.stories import StoryQueries

__all__ = ["Store", "utcnow"]


class Store(
    FeedQueries,
    ChatQueries,
    OutboxQueries,
    SettingsQueries,
    HeldQueries,
    HistoryQueries,
    StoryQueries,
    LeaseQueries,
):
    """Feeds, seen entries, chats, subscriptions, personal rules, chat settings, the
    alert outbox, what /recent and /search read of them, the stories told lately, and
    which instance polls which feed now."""

    @classmethod
    async def open(cls, url: str) -> Store:
        return cls(await open_engine(url))

    def beside(self, connections: int = 3) -> Store:
        """A store on the same database with ``connections`` of its own, each statement
        committed at once: claims and their renewals go through one, so that they never
        queue for a connection behind polls. Close it too."""
        return Store(side_engine(self.engine, connections))

    @property
    def shared(self) -> bool:
        """Whether several instances may use this database at once (PostgreSQL): they
        then share the feeds by leases and Telegram by a lock (:mod:`bot.cluster`)."""
        return self.engine.dialect.name == "postgresql"

    async def close(self) -> None:
        await self.engine.dispose()
