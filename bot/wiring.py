"""The composition root: :func:`build` makes every part of newsbot for one :class:`Mode`.

The only module that knows every part. Commands and tests get their parts here, so
what ``newsbot run`` is made of is what the tests run.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Config, default_config_path, load_config
from bot.delivery.sender import Sender, Transport
from bot.delivery.terminal import CONSOLE_CHAT, TerminalTransport
from bot.feeds.fetch import Fetcher, make_client
from bot.feeds.workers import Parsers
from bot.polling.health import FeedHealth
from bot.polling.pipeline import Pipeline
from bot.polling.rulebook import RuleBook
from bot.redact import SECRETS
from bot.store.records import Audience, ChatFilter
from bot.store.store import Store


class Mode(enum.Enum):
    """What a process is for; it decides who hears of alerts and what is delivered."""

    SERVICE = "service"  # `run` with a token: Telegram chats' alerts are sent
    CONSOLE = "console"  # `run --console` or no token: the console's alerts are printed
    POLL = "poll"  # `poll`: one cycle, alerts queued, nothing sent
    DEMO = "demo"  # `demo`: bundled feeds, every entry new, alerts printed

    def prints(self) -> bool:
        """Whether the console pseudo-chat's alerts are delivered, to the terminal."""
        return self in (Mode.CONSOLE, Mode.DEMO)

    def console_listens(self, config: Config) -> bool:
        """Whether alerts are decided for the console pseudo-chat too."""
        return self.prints() or (self is Mode.POLL and config.console_mode)


@dataclass
class Parts:
    """Everything one newsbot process is made of."""

    config: Config
    mode: Mode
    store: Store
    fetcher: Fetcher
    pipeline: Pipeline
    sender: Sender
    rulebook: RuleBook
    health: FeedHealth


def load(given: str | None) -> Config:
    """The validated config (``--config``, else the default path); from here on its
    secrets are masked in all output."""
    config = load_config(default_config_path(given))
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Mask the token and the database password in everything written from now on."""
    SECRETS.add_token(config.telegram.token)
    SECRETS.add_url(config.storage.url)


def console_audience(names: list[str], chats: Audience | None = None) -> Audience:
    """The Telegram audience ``chats``, plus the console pseudo-chat subscribed to every
    watchlist (alerts are decided for both; only the pseudo-chat's are printed)."""
    subscribers = dict(chats.subscribers) if chats else {}
    for name in names:
        subscribers[name] = subscribers.get(name, frozenset()) | {CONSOLE_CHAT}
    return Audience(subscribers, chats.rules if chats else ())


def watchlists_folder(config: Config) -> Path:
    return config.watchlists_dir or config.path.parent / "watchlists"


@contextlib.asynccontextmanager
async def build(
    config: Config,
    mode: Mode,
    transport: Transport | None = None,
    out: TextIO | None = None,
) -> AsyncIterator[Parts]:
    """Open the store and the HTTP client and wire every part to them for ``mode``.

    ``transport`` is where the sender delivers: the terminal (``out``) unless given; in
    :attr:`Mode.SERVICE` the caller passes the Telegram one. The sender delivers the
    console pseudo-chat's rows when the mode prints, every other chat's otherwise.
    """
    register_secrets(config)
    store = await Store.open(config.storage.url)
    client = make_client(direct=mode is Mode.DEMO)  # the demo's feeds are on loopback
    parsers = Parsers(config.polling.parse_workers)
    parsers.warm()
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        chats = ChatFilter(only=CONSOLE_CHAT) if mode.prints() else ChatFilter(skip=CONSOLE_CHAT)
        sender = Sender(
            store, transport or TerminalTransport(out), config.delivery.max_age, chats=chats
        )
        rulebook = RuleBook(config.watchlists)
        console = mode.console_listens(config)

        async def audience() -> Audience:
            telegram = await store.audience()
            return console_audience(rulebook.names, telegram) if console else telegram

        fetcher = Fetcher(
            client,
            config.polling.timeout,
            config.polling.max_bytes,
            concurrency=config.polling.concurrency,
            per_host=config.polling.per_host,
        )
        # Admins hear of unhealthy feeds in their private chats; in console mode the
        # terminal too. Whatever the mode, the notice is queued: `run` delivers it.
        admins = (*config.telegram.admins, *((CONSOLE_CHAT,) if console else ()))
        health = FeedHealth(store, admins, queued=sender.wake)
        pipeline = Pipeline(
            config,
            store,
            fetcher,
            parsers,
            rulebook,
            audience,
            health,
            alert_on_first_poll=mode is Mode.DEMO,
            queued=sender.wake,
        )
        yield Parts(config, mode, store, fetcher, pipeline, sender, rulebook, health)
    finally:
        parsers.close()
        await client.aclose()
        await store.close()
