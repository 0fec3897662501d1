"""``newsbot run``: the scheduler, the sender and the Telegram bot in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import Config
from bot.console import CONSOLE_CHAT, ConsoleTransport
from bot.feeds.fetch import Fetcher, make_client
from bot.pipeline import Pipeline
from bot.rulebook import RuleBook
from bot.scheduler import PollScheduler
from bot.store.records import Audience
from bot.store.store import Store
from bot.telegram.commands import Commands
from bot.telegram.sender import Sender, Transport
from bot.telegram.transport import TelegramTransport

log = logging.getLogger(__name__)
STOP_GRACE = 2.0


@dataclass
class Parts:
    """Everything one newsbot process is made of (the composition root builds it)."""

    config: Config
    store: Store
    client: httpx.AsyncClient
    pipeline: Pipeline
    sender: Sender


def console_audience(config: Config) -> Audience:
    """Console mode: one pseudo-chat subscribed to every watchlist."""
    return Audience({w.name: frozenset({CONSOLE_CHAT}) for w in config.watchlists}, ())


@contextlib.asynccontextmanager
async def assemble(
    config: Config,
    transport: Transport,
    console: bool,
    client: httpx.AsyncClient | None = None,
    alert_on_first_poll: bool = False,
) -> AsyncIterator[Parts]:
    """Open the store and the HTTP client and wire the pipeline and sender to them.

    ``console``: alerts go to the console pseudo-chat, subscribed to every watchlist,
    instead of the chats subscribed in Telegram.
    """
    store = await Store.open(config.storage.url)
    client = client or make_client(
        config.polling.timeout, max_connections=config.polling.concurrency
    )
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        sender = Sender(store, transport, config.delivery.max_age)
        fixed = console_audience(config)

        async def audience() -> Audience:
            return fixed if console else await store.audience()

        fetcher = Fetcher(client, config.polling.timeout, config.polling.max_bytes)
        pipeline = Pipeline(
            config,
            store,
            fetcher,
            RuleBook(config.watchlists),
            audience,
            alert_on_first_poll=alert_on_first_poll,
            on_queued=sender.wake,
        )
        yield Parts(config, store, client, pipeline, sender)
    finally:
        await client.aclose()
        await store.close()


def build_application(config: Config) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot Application talking to ``telegram.api_url``."""
    api = config.telegram.api_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(config.telegram.token.strip())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=0))
        .build()
    )


async def run_service(config: Config, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set, then stop every part within a few seconds."""
    if config.console_mode:
        log.info("no Telegram token: console mode, alerts are printed")
        await _run(config, stop, None)
        return
    app = build_application(config)
    async with _telegram(app):
        await _run(config, stop, app)


async def _run(config: Config, stop: asyncio.Event, app: Application | None) -> None:  # type: ignore[type-arg]
    transport = TelegramTransport(app.bot) if app else ConsoleTransport()
    async with assemble(config, transport, console=app is None) as parts:
        if app is not None:
            commands = Commands(parts.store, config.watchlists, config.telegram.admins)
            commands.install(app)
            await parts.store.deactivate_chat(CONSOLE_CHAT, "console mode ended")
            await commands.publish(app.bot)
            await _start_updates(app)
        scheduler = PollScheduler(parts.pipeline, parts.store, config.feeds)
        await scheduler.start()
        delivery = asyncio.create_task(parts.sender.run(stop))
        log.info(
            "newsbot running: %d feeds, %d watchlists", len(config.feeds), len(config.watchlists)
        )
        await stop.wait()
        log.info("stopping")
        await scheduler.stop(STOP_GRACE)
        await _finish(delivery)
        if app is not None and app.updater is not None:
            await app.updater.stop()


async def _start_updates(app: Application) -> None:  # type: ignore[type-arg]
    await app.start()
    if app.updater is not None:
        await app.updater.start_polling(timeout=10, drop_pending_updates=False)


async def _finish(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, STOP_GRACE)
    except TimeoutError:
        log.warning("delivery did not stop in time; cancelled")


@contextlib.asynccontextmanager
async def _telegram(app: Application) -> AsyncIterator[None]:  # type: ignore[type-arg]
    await app.initialize()
    try:
        yield
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
