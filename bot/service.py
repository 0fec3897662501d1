"""The parts every command shares: store, fetcher, pipeline and sender, wired together."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.config import Config
from bot.console import CONSOLE_CHAT
from bot.feeds.fetch import Fetcher, make_session
from bot.feeds.workers import Parsers
from bot.pipeline import Hooks, Pipeline
from bot.rulebook import RuleBook
from bot.store.records import Audience, FeedState
from bot.store.store import Store
from bot.telegram.render import render_feed_notice
from bot.telegram.sender import Sender, Sent, Transport

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """Everything one newsbot process is made of (the composition root builds it)."""

    config: Config
    store: Store
    fetcher: Fetcher
    pipeline: Pipeline
    sender: Sender
    rulebook: RuleBook


def console_audience(names: list[str]) -> Audience:
    """Console mode: one pseudo-chat subscribed to every watchlist."""
    return Audience({name: frozenset({CONSOLE_CHAT}) for name in names}, ())


@contextlib.asynccontextmanager
async def assemble(
    config: Config,
    transport: Transport,
    console: bool,
    alert_on_first_poll: bool = False,
    direct: bool = False,
) -> AsyncIterator[Parts]:
    """Open the store and the HTTP session and wire the pipeline and sender to them.

    ``console``: alerts go to the console pseudo-chat, subscribed to every watchlist,
    instead of the chats subscribed in Telegram. ``direct``: fetch without any proxy
    set in the environment.
    """
    store = await Store.open(config.storage.url)
    session = make_session(direct=direct)
    parsers = Parsers(config.polling.parse_workers)
    parsers.warm()
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        sender = Sender(store, transport, config.delivery.max_age)
        rulebook = RuleBook(config.watchlists)

        async def audience() -> Audience:
            return console_audience(rulebook.names) if console else await store.audience()

        fetcher = Fetcher(session, config.polling.timeout, config.polling.max_bytes)
        admins = (CONSOLE_CHAT,) if console else tuple(config.telegram.admins)
        hooks = Hooks(queued=sender.wake, unhealthy=_notify(transport, admins))
        pipeline = Pipeline(
            config,
            store,
            fetcher,
            parsers,
            rulebook,
            audience,
            alert_on_first_poll=alert_on_first_poll,
            hooks=hooks,
        )
        yield Parts(config, store, fetcher, pipeline, sender, rulebook)
    finally:
        parsers.close()
        await session.close()
        await store.close()


def _notify(
    transport: Transport, admins: tuple[int, ...]
) -> Callable[[FeedState, str], Awaitable[None]]:
    """Tell every admin (in their private chat with the bot) that a feed is unhealthy."""

    async def notify(state: FeedState, kind: str) -> None:
        text = render_feed_notice(state.id, state.url, kind, state.last_error)
        log.warning("feed %s unhealthy (%s): %s", state.id, kind, state.last_error)
        for admin in admins:
            result = await transport.send(admin, text)
            if not isinstance(result, Sent):
                log.warning("could not tell admin %s about feed %s: %s", admin, state.id, result)

    return notify
