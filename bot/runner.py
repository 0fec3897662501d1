"""``newsbot run``: the scheduler, the sender and the Telegram bot in one event loop.

Only this module loads python-telegram-bot's application layer, so the other commands
start faster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import Config, Watchlist
from bot.console import CONSOLE_CHAT, ConsoleTransport
from bot.counts import counted
from bot.errors import NewsbotError
from bot.reload import WatchlistReloader
from bot.scheduler import PollScheduler
from bot.service import Parts, assemble, register_secrets
from bot.store.lock import service_lock
from bot.telegram.commands import Commands
from bot.telegram.gate import Gate
from bot.telegram.personal import PersonalCommands
from bot.telegram.transport import TelegramTransport
from bot.telegram.updates import ChatOrderedUpdates

log = logging.getLogger(__name__)
STOP_GRACE = 2.0


def build_application(config: Config) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot Application talking to ``telegram.api_url``.

    Updates run concurrently across chats and in order within each chat, so that no
    chat's replies wait on another chat's rate limit. The rate limiter keeps Telegram's
    limits (30 messages a second, 20 a minute per group) and never retries by itself:
    its retry would hold every chat's requests for the ``retry_after`` of one; the
    sender and the replies decide for their own chat instead.
    """
    api = config.telegram.api_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(config.telegram.token.strip())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=0))
        .concurrent_updates(ChatOrderedUpdates())
        .build()
    )


async def run_service(config: Config, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set, then stop every part within a few seconds.

    In console mode (asked for, or an empty token) the console pseudo-chat's alerts are printed;
    alerts for Telegram chats are decided too and stay queued for a run with a token.
    A StoreError if another ``newsbot run`` uses the database.
    """
    register_secrets(config)
    with service_lock(config.storage.url):
        if config.console_mode:
            log.info("console mode: alerts are printed; alerts for Telegram chats stay queued")
            await _run(config, stop, None)
            return
        app = build_application(config)
        try:
            async with _telegram(app):
                await _run(config, stop, app)
        except TelegramError as exc:
            raise NewsbotError(f"Telegram: {exc}") from exc


async def _run(config: Config, stop: asyncio.Event, app: Application | None) -> None:  # type: ignore[type-arg]
    transport = TelegramTransport(app.bot) if app else ConsoleTransport()
    # Console mode leaves feed-health notices due for the Telegram admins, as it leaves
    # their alerts queued.
    async with assemble(
        config, transport, console=app is None, health_notices=app is not None
    ) as parts:
        commands: Commands | None = None
        if app is not None:
            gate = Gate(parts.store, config.telegram.admins)
            commands = Commands(parts.store, config.watchlists, gate)
            commands.install(app)
            PersonalCommands(parts.store, gate).install(app)
            await parts.store.deactivate_chat(CONSOLE_CHAT, "console mode ended")
            await commands.publish(app.bot)
            await _start_updates(app)
        scheduler = PollScheduler(parts.pipeline, parts.store, config.feeds)
        await scheduler.start()
        delivery = asyncio.create_task(parts.sender.run(stop))
        reloading = asyncio.create_task(_reloader(config, parts, commands).run(stop))
        log.info(
            "newsbot running: %s, %s",
            counted(len(config.feeds), "feed"),
            counted(len(config.watchlists), "watchlist"),
        )
        await stop.wait()
        log.info("stopping")
        await scheduler.stop(STOP_GRACE)
        await _finish(delivery)
        await _finish(reloading)
        if app is not None:
            await _stop_updates(app)


def _reloader(config: Config, parts: Parts, commands: Commands | None) -> WatchlistReloader:
    async def apply(watchlists: Sequence[Watchlist]) -> None:
        await parts.rulebook.replace_watchlists(watchlists)
        if commands is not None:
            commands.set_watchlists(watchlists)

    folder = config.watchlists_dir or config.path.parent / "watchlists"
    return WatchlistReloader(folder, {f.id for f in config.feeds}, apply)


async def _start_updates(app: Application) -> None:  # type: ignore[type-arg]
    await app.start()
    if app.updater is not None:
        await app.updater.start_polling(timeout=10, drop_pending_updates=False)


async def _stop_updates(app: Application) -> None:  # type: ignore[type-arg]
    """Take no more updates; let the running handlers finish, drop those still waiting.

    Done while the store is open, as the handlers need it.
    """
    if app.updater is not None:
        await app.updater.stop()
    if isinstance(app.update_processor, ChatOrderedUpdates):
        app.update_processor.close()
    if app.running:
        await app.stop()


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
