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
from bot.redact import SECRETS
from bot.rulebook import RuleBook
from bot.store.records import Audience, ChatFilter, FeedState
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


def console_audience(names: list[str], chats: Audience | None = None) -> Audience:
    """Console mode: the Telegram audience ``chats``, plus one pseudo-chat subscribed to
    every watchlist (alerts are decided for both; only the pseudo-chat's are printed)."""
    subscribers = dict(chats.subscribers) if chats else {}
    for name in names:
        subscribers[name] = subscribers.get(name, frozenset()) | {CONSOLE_CHAT}
    return Audience(subscribers, chats.rules if chats else ())


def register_secrets(config: Config) -> None:
    """Mask the token and the database password in everything written from now on."""
    SECRETS.add_token(config.telegram.token)
    SECRETS.add_url(config.storage.url)


@contextlib.asynccontextmanager
async def assemble(
    config: Config,
    transport: Transport,
    console: bool,
    alert_on_first_poll: bool = False,
    direct: bool = False,
    health_notices: bool = True,
) -> AsyncIterator[Parts]:
    """Open the store and the HTTP session and wire the pipeline and sender to them.

    Alerts are decided for the chats subscribed in Telegram. ``console``: also for the
    console pseudo-chat, subscribed to every watchlist, and the sender delivers only its
    alerts through ``transport``, leaving the Telegram chats' alerts queued. Without
    ``console`` the sender never sends the pseudo-chat's. ``direct``: fetch without any
    proxy set in the environment. ``health_notices``: tell the admins of unhealthy feeds
    (else the notice stays due, for a process that delivers).
    """
    register_secrets(config)
    store = await Store.open(config.storage.url)
    session = make_session(direct=direct)
    parsers = Parsers(config.polling.parse_workers)
    parsers.warm()
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        chats = ChatFilter(only=CONSOLE_CHAT) if console else ChatFilter(skip=CONSOLE_CHAT)
        sender = Sender(store, transport, config.delivery.max_age, chats=chats)
        rulebook = RuleBook(config.watchlists)

        async def audience() -> Audience:
            telegram = await store.audience()
            return console_audience(rulebook.names, telegram) if console else telegram

        fetcher = Fetcher(session, config.polling.timeout, config.polling.max_bytes)
        admins = (CONSOLE_CHAT,) if console else tuple(config.telegram.admins)
        notify = _notify(transport, admins) if health_notices else None
        hooks = Hooks(queued=sender.wake, unhealthy=notify)
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
