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
from bot.delivery.render import render_feed_notice
from bot.delivery.sender import Sender, Sent, Transport
from bot.delivery.terminal import CONSOLE_CHAT, ConsoleTransport
from bot.feeds.fetch import Fetcher, make_client
from bot.feeds.workers import Parsers
from bot.polling.pipeline import Hooks, Pipeline
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
            store, transport or ConsoleTransport(out), config.delivery.max_age, chats=chats
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
        admins = (CONSOLE_CHAT,) if mode.prints() else tuple(config.telegram.admins)
        target = transport or ConsoleTransport(out)
        notify = _notify(target, admins) if mode in (Mode.SERVICE, Mode.DEMO) else None
        pipeline = Pipeline(
            config,
            store,
            fetcher,
            parsers,
            rulebook,
            audience,
            alert_on_first_poll=mode is Mode.DEMO,
            hooks=Hooks(queued=sender.wake, unhealthy=notify),
        )
        yield Parts(config, mode, store, fetcher, pipeline, sender, rulebook)
    finally:
        parsers.close()
        await client.aclose()
        await store.close()


def _notify(transport: Transport, admins: tuple[int, ...]):  # type: ignore[no-untyped-def]
    async def notify(state, kind) -> None:  # type: ignore[no-untyped-def]
        text = render_feed_notice(state.id, state.url, kind, state.last_error)
        for admin in admins:
            result = await transport.send(admin, text)
            if not isinstance(result, Sent):
                pass

    return notify
