"""Every query newsbot runs, behind one class. Callers never see SQL or rows."""

from __future__ import annotations

from bot.store.base import utcnow
from bot.store.chats import ChatQueries
from bot.store.engine import open_engine
from bot.store.feeds import FeedQueries
from bot.store.held import HeldQueries
from bot.store.history import HistoryQueries
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
):
    """Feeds, seen entries, chats, subscriptions, personal rules, chat settings, the
    alert outbox, what /recent and /search read of them, and the stories told lately."""

    @classmethod
    async def open(cls, url: str) -> Store:
        return cls(await open_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()
