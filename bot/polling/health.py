"""Feed health, from a feed's stored state: its status, when to tell admins, advice.

Admins hear once per bad spell: when a feed has been failing for ``UNHEALTHY_AFTER``
without a success, or when it answered 410 Gone and polling stopped. A success clears
the spell (the store resets ``failing_since`` and ``health_notice_at``). The notice is
an outbox row for each admin, sent like any alert; the feed counts as told once the
rows are queued, in the same transaction.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import Config
from bot.feeds.discover import not_a_feed_message
from bot.messages import FeedNotice, NoticeKind
from bot.store.feeds import advertised_from_column
from bot.store.records import FeedState
from bot.store.store import Store

log = logging.getLogger(__name__)
UNHEALTHY_AFTER = timedelta(hours=24)


class FeedHealth:
    """Queues a feed's notice for ``admins`` (private chats) when one is due."""

    def __init__(
        self, store: Store, admins: Sequence[int], queued: Callable[[], None] = lambda: None
    ) -> None:
        self._store = store
        self._admins = tuple(admins)
        self._queued = queued

    async def check(self, feed_id: str, now: datetime) -> None:
        """Queue the feed's notice if one is due (failing for long, or gone)."""
        state = await self._store.feed_state(feed_id)
        kind = notice_due(state, now) if state else None
        if state is None or kind is None:
            return
        log.warning("feed %s unhealthy (%s): %s", state.id, kind, state.last_error)
        notice = FeedNotice(state.id, state.url, kind, state.last_error)
        since = state.failing_since or now
        if await self._store.queue_notice(notice, self._admins, since, now):
            self._queued()


def notice_due(state: FeedState, now: datetime) -> NoticeKind | None:
    """``"gone"`` or ``"failing"`` when admins should be told now, else None."""
    if state.health_notice_at is not None:
        return None
    if state.status == "gone":
        return "gone"
    if state.failing_since is not None and now - state.failing_since >= UNHEALTHY_AFTER:
        return "failing"
    return None


def feed_status(state: FeedState) -> str:
    """What the feeds table says of a feed: gone, never polled, failing or ok."""
    if state.status != "active":
        return state.status
    if state.last_attempt_at is None:
        return "never polled"
    return "failing" if state.failures else "ok"


def stored_advice(config: Config) -> list[str]:
    """What the last polls taught about the configured addresses, from an existing database.

    ``newsbot check`` must not change anything: only an SQLite file that already exists
    is read, read-only, never created or migrated; a database that does not have the
    feeds table (or its ``advertised`` column) yet, and a PostgreSQL server, give no
    advice. Nor does a feed whose address in config.yaml has changed since it was polled.
    """
    path = Path(config.storage.url.partition(":///")[2])
    if not config.storage.url.startswith("sqlite") or not path.is_file():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT id, config_url, advertised FROM feeds").fetchall()
    except sqlite3.Error:
        return []
    urls = {feed.id: feed.url for feed in config.feeds}
    return advice(
        config,
        {
            feed_id: advertised_from_column(advertised)
            for feed_id, polled_url, advertised in rows
            if urls.get(feed_id) == polled_url
        },
    )


def advice(config: Config, advertised: Mapping[str, Sequence[str]]) -> list[str]:
    """A line per feed whose address should change: an HTML page that advertises feeds.

    ``advertised``: by feed id, the feeds its address advertised at the last poll.
    """
    lines = []
    for index, feed in enumerate(config.feeds):
        if found := advertised.get(feed.id):
            problem = not_a_feed_message(found)
            lines.append(f"{config.path.name}: feeds[{index}].url: {feed.url} is {problem}")
    return lines
