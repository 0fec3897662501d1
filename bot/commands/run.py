"""``newsbot run``: the scheduler, the sender and the Telegram bot in one event loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.config import Config
from bot.counts import counted
from bot.store.lock import service_lock
from bot.wiring import Mode, Parts, build, load, register_secrets

log = logging.getLogger(__name__)
STOP_GRACE = 2.0


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
        mode = Mode.CONSOLE if config.console_mode else Mode.SERVICE
        if mode is Mode.CONSOLE:
            log.info("console mode: alerts are printed; alerts for Telegram chats stay queued")
        async with build(config, mode) as parts:
            await _serve(parts, stop)


async def _serve(parts: Parts, stop: asyncio.Event) -> None:
    """Take updates, poll, deliver and reload watchlists until ``stop`` is set; then stop
    each in turn."""
    config = parts.config
    if parts.telegram is not None:
        await parts.telegram.start()
    try:
        await parts.scheduler.start()
        delivery = asyncio.create_task(parts.sender.run(stop))
        reloading = asyncio.create_task(parts.reloader.run(stop))
        log.info(
            "newsbot running: %s, %s",
            counted(len(config.feeds), "feed"),
            counted(len(config.watchlists), "watchlist"),
        )
        await stop.wait()
        log.info("stopping")
        await parts.scheduler.stop(STOP_GRACE)
        await _finish(delivery)
        await _finish(reloading)
    finally:
        if parts.telegram is not None:
            await parts.telegram.stop()


async def _finish(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, STOP_GRACE)
    except TimeoutError:
        log.warning("delivery did not stop in time; cancelled")
