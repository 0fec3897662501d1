"""The composition root: :func:`build` makes every part of newsbot for one :class:`Mode`.

The only module that knows every part. Commands and tests get their parts here, so
what ``newsbot run`` is made of is what the tests run.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import httpx

from bot.cluster import instance_name
from bot.cluster.claims import FeedClaims
from bot.cluster.leader import CONSOLE_LOCK_KEY, TelegramLock
from bot.config import Config, Watchlist, default_config_path, load_config
from bot.delivery.sender import Sender, Transport
from bot.delivery.terminal import CONSOLE_CHAT, TerminalTransport
from bot.feeds.fetch import Fetcher, make_client
from bot.feeds.workers import Parsers
from bot.metrics import Metrics
from bot.polling.health import FeedHealth
from bot.polling.pipeline import Pipeline
from bot.polling.reloader import WatchlistReloader
from bot.polling.rulebook import RuleBook
from bot.polling.scheduler import PollScheduler
from bot.redact import SECRETS
from bot.store.records import Audience, ChatFilter
from bot.store.store import Store

if TYPE_CHECKING:
    from bot.telegram.application import TelegramApp, TelegramBot


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
    scheduler: PollScheduler
    reloader: WatchlistReloader
    telegram: TelegramBot | None  # the bot's updates and commands (service mode only)
    metrics: Metrics  # what polling and delivery recorded (served by `run`, if asked)
    # Several instances on one database (PostgreSQL), in `run`: the feeds this one
    # polls, and the lock that decides which one takes Telegram and sends. None: alone.
    claims: FeedClaims | None = None
    leader: TelegramLock | None = None


def load(given: str | None) -> Config:
    """The validated config (``--config``, else the default path); from here on its
    secrets are masked in all output."""
    config = load_config(default_config_path(given))
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Mask the token and the database password in everything written from now on."""
    SECRETS.add_token(config.telegram.token)
    if config.telegram.token.strip() or config.telegram.webhook_secret:
        SECRETS.add(config.telegram.webhook_token)
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
async def opened_store(config: Config) -> AsyncIterator[Store]:
    """The database, migrated, with a row for every configured feed."""
    store = await Store.open(config.storage.url)
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def build(
    config: Config,
    mode: Mode,
    transport: Transport | None = None,
    out: TextIO | None = None,
) -> AsyncIterator[Parts]:
    """Open the store and the HTTP client and wire every part to them for ``mode``.

    The sender delivers through ``transport`` if given, else: in :attr:`Mode.SERVICE`
    through Telegram (the bot's application is built, initialized and its handlers
    installed: :attr:`Parts.telegram`), in the other modes to the terminal (``out``).
    It delivers the console pseudo-chat's rows when the mode prints, every other
    chat's otherwise.
    """
    register_secrets(config)
    async with contextlib.AsyncExitStack() as stack:
        app = None
        if mode is Mode.SERVICE and transport is None:
            app = await stack.enter_async_context(_telegram_application(config))
        store = await stack.enter_async_context(opened_store(config))
        if app is not None:
            transport = _telegram_transport(app, store)
        client = make_client(direct=mode is Mode.DEMO)  # the demo's feeds are on loopback
        stack.push_async_callback(client.aclose)
        parsers = Parsers(config.polling.parse_workers)
        stack.callback(parsers.close)
        parsers.warm()
        leases = None
        if store.shared and mode in (Mode.SERVICE, Mode.CONSOLE):  # with other instances
            leases = store.beside()
            stack.push_async_callback(leases.close)
        out_to = transport or TerminalTransport(out)
        yield _wire(config, mode, store, client, parsers, out_to, app, leases)


def _wire(
    config: Config,
    mode: Mode,
    store: Store,
    client: httpx.AsyncClient,
    parsers: Parsers,
    transport: Transport,
    app: TelegramApp | None,
    leases: Store | None = None,
) -> Parts:
    chats = ChatFilter(only=CONSOLE_CHAT) if mode.prints() else ChatFilter(skip=CONSOLE_CHAT)
    metrics = Metrics()
    sender = Sender(store, transport, config.delivery.max_age, chats=chats, metrics=metrics)
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
        metrics=metrics,
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
        metrics=metrics,
    )
    claims = leader = None
    if leases is not None:  # other instances share the database
        owner = instance_name()
        failover = config.cluster.failover
        # twice the fetches at once: one feed's parse and commit overlap others' fetches
        claims = FeedClaims(leases, owner, failover, 2 * config.polling.concurrency)
        if mode is Mode.CONSOLE:  # prints: takes no turn at Telegram from the services
            leader = TelegramLock(
                store.engine.url, failover, owner, "prints the alerts", CONSOLE_LOCK_KEY
            )
        else:
            polls = config.telegram.webhook_url is None
            duties = "takes Telegram updates and sends the alerts" if polls else "sends the alerts"
            leader = TelegramLock(store.engine.url, failover, owner, duties)
    scheduler = PollScheduler(pipeline, store, config.feeds, health, claims)
    telegram = _telegram_bot(app, store, config, sender, rulebook) if app is not None else None

    async def apply(watchlists: Sequence[Watchlist]) -> None:
        await rulebook.replace_watchlists(watchlists)
        if telegram is not None:
            telegram.commands.set_watchlists(watchlists)

    feed_ids = {f.id for f in config.feeds}
    reloader = WatchlistReloader(watchlists_folder(config), feed_ids, apply)
    return Parts(
        config,
        mode,
        store,
        fetcher,
        pipeline,
        sender,
        rulebook,
        health,
        scheduler,
        reloader,
        telegram,
        metrics,
        claims,
        leader,
    )


# python-telegram-bot's application layer: only a service with a token loads it.


def _telegram_application(config: Config) -> contextlib.AbstractAsyncContextManager[TelegramApp]:
    from bot.telegram.application import build_application, initialized

    return initialized(build_application(config))


def _telegram_transport(app: TelegramApp, store: Store) -> Transport:
    from bot.telegram.texts import DEFAULT
    from bot.telegram.transport import TelegramTransport

    async def language(chat_id: int) -> str:
        """The chat's language, for the labels of the buttons under its alerts."""
        chat = await store.chat(chat_id)
        return chat.language or DEFAULT if chat else DEFAULT

    return TelegramTransport(app.bot, language)


def _telegram_bot(
    app: TelegramApp, store: Store, config: Config, sender: Sender, rulebook: RuleBook
) -> TelegramBot:
    from bot.telegram.application import TelegramBot
    from bot.telegram.commands import Commands
    from bot.telegram.gate import Gate
    from bot.telegram.history import HistoryCommands
    from bot.telegram.language import LanguageCommand
    from bot.telegram.personal import PersonalCommands
    from bot.telegram.search import Search
    from bot.telegram.volume import Volume

    gate = Gate(store, config.telegram.admins)
    commands = Commands(store, config.watchlists, gate)
    commands.install(app)
    search = Search(store, config.telegram.search_days)
    PersonalCommands(store, gate, search).install(app)
    HistoryCommands(store, gate, search, lambda: rulebook.watchlists.titles).install(app)
    Volume(store, gate, lambda: rulebook.watchlists.titles, sender.wake).install(app)
    LanguageCommand(store, gate).install(app)
    return TelegramBot(app, commands, store, config.telegram)
