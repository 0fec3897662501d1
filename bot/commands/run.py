"""``newsbot run``: the scheduler, the sender and the Telegram bot in one event loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable, Sequence

from bot.config import Config, Watchlist
from bot.counts import counted
from bot.errors import NewsbotError
from bot.polling.reloader import WatchlistReloader
from bot.polling.scheduler import PollScheduler
from bot.store.lock import service_lock
from bot.wiring import Mode, Parts, build, load, register_secrets, watchlists_folder

log = logging.getLogger(__name__)
STOP_GRACE = 2.0
Reload = Callable[[Sequence[Watchlist]], None]  # told of watchlists edited while running


def main(args: argparse.Namespace) -> int:
    config = load(args.config)
    asyncio.run(_until_signal(config.in_console_mode() if args.console else config))
    return 0


async def _until_signal(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_service(config, stop)


async def run_service(config: Config, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set, then stop every part within a few seconds.

    In console mode (asked for, or an empty token) the console pseudo-chat's alerts are
    printed; alerts for Telegram chats are decided too and stay queued for a run with a
    token. A StoreError if another ``newsbot run`` uses the database.
    """
    register_secrets(config)
    with service_lock(config.storage.url):
        if config.console_mode:
            log.info("console mode: alerts are printed; alerts for Telegram chats stay queued")
            async with build(config, Mode.CONSOLE) as parts:
                await _serve(parts, stop)
            return
        await _with_telegram(config, stop)


async def _with_telegram(config: Config, stop: asyncio.Event) -> None:
    # python-telegram-bot's application layer: only a run with a token loads it
    from telegram.error import TelegramError

    from bot.delivery.terminal import CONSOLE_CHAT
    from bot.telegram import application as telegram
    from bot.telegram.commands import Commands
    from bot.telegram.gate import Gate
    from bot.telegram.personal import PersonalCommands
    from bot.telegram.transport import TelegramTransport

    try:
        async with (
            telegram.initialized(telegram.build_application(config)) as app,
            build(config, Mode.SERVICE, TelegramTransport(app.bot)) as parts,
        ):
            gate = Gate(parts.store, config.telegram.admins)
            commands = Commands(parts.store, config.watchlists, gate)
            commands.install(app)
            PersonalCommands(parts.store, gate).install(app)
            await parts.store.deactivate_chat(CONSOLE_CHAT, "console mode ended")
            await commands.publish(app.bot)
            await telegram.start_updates(app)
            try:
                await _serve(parts, stop, commands.set_watchlists)
            finally:
                await telegram.stop_updates(app)
    except TelegramError as exc:
        raise NewsbotError(f"Telegram: {exc}") from exc


async def _serve(parts: Parts, stop: asyncio.Event, *also: Reload) -> None:
    """Poll, deliver and reload watchlists until ``stop`` is set; then stop them in turn."""
    config = parts.config
    scheduler = PollScheduler(parts.pipeline, parts.store, config.feeds, parts.health)
    await scheduler.start()
    delivery = asyncio.create_task(parts.sender.run(stop))
    reloading = asyncio.create_task(_reloader(parts, also).run(stop))
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


def _reloader(parts: Parts, also: Sequence[Reload]) -> WatchlistReloader:
    async def apply(watchlists: Sequence[Watchlist]) -> None:
        await parts.rulebook.replace_watchlists(watchlists)
        for tell in also:
            tell(watchlists)

    feed_ids = {f.id for f in parts.config.feeds}
    return WatchlistReloader(watchlists_folder(parts.config), feed_ids, apply)


async def _finish(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, STOP_GRACE)
    except TimeoutError:
        log.warning("delivery did not stop in time; cancelled")
