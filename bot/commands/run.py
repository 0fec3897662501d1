"""``newsbot run``: the scheduler, the sender and the Telegram bot in one event loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import functools
import logging
import signal
from collections.abc import Iterator

from bot.config import Config
from bot.counts import counted
from bot.metrics.server import Probe, serving
from bot.store.lock import service_lock
from bot.wiring import Mode, Parts, build, load, register_secrets

log = logging.getLogger(__name__)
STOP_GRACE = 2.0
STALLED_AFTER = 60.0  # plus three fetch time limits: a poll ends within them, parsed too


def main(args: argparse.Namespace) -> int:
    config = load(args.config)
    # ``kill -USR1`` prints every thread's stack to stderr: what a service that does not
    # answer, or does not stop, is doing
    faulthandler.register(signal.SIGUSR1, all_threads=True)
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
    each in turn.

    Alone on its database the service takes Telegram from the start. With others on
    it (PostgreSQL), it polls the feeds it claims, and takes Telegram updates (unless
    they come by webhook, to every instance) and sends the outbox only while it holds
    the Telegram lock.
    """
    config = parts.config
    telegram = parts.telegram
    at_once = telegram is not None and (parts.leader is None or telegram.by_webhook)
    if at_once and telegram is not None:
        await telegram.start()
    try:
        await parts.scheduler.start()
        if parts.leader is None:
            delivery = asyncio.create_task(parts.sender.run(stop))
        else:
            lead = functools.partial(_lead, parts, not at_once)
            delivery = asyncio.create_task(parts.leader.run(stop, lead))
        reloading = asyncio.create_task(parts.reloader.run(stop))
        renewing = asyncio.create_task(parts.claims.run(stop)) if parts.claims else None
        with monitoring(parts):
            log.info(
                "newsbot running: %s, %s",
                counted(len(config.feeds), "feed"),
                counted(len(config.watchlists), "watchlist"),
            )
            await _until(stop, delivery)
            log.info("stopping")
            stop.set()
            await parts.scheduler.stop(STOP_GRACE)
            await _finish(reloading)
            if renewing is not None:
                await _finish(renewing)
            await _finish(delivery)  # its error, if it ended with one, is raised here
    finally:
        if at_once and telegram is not None:
            await telegram.stop()


async def _lead(parts: Parts, updates: bool, lost: asyncio.Event) -> None:
    """While this instance holds the Telegram lock: take updates (if ``updates``) and
    send the outbox, until ``lost`` is set."""
    telegram = parts.telegram if updates else None
    if telegram is not None:
        await telegram.start()
    try:
        await parts.sender.run(lost)
    finally:
        if telegram is not None:
            await telegram.stop()


async def _until(stop: asyncio.Event, delivery: asyncio.Task[None]) -> None:
    """Wait for ``stop``, or for delivery to end by itself: only an error ends it
    (Telegram refused the bot when this instance took over), and the service stops."""
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, delivery}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()


@contextlib.contextmanager
def monitoring(parts: Parts, stalled_after: float | None = None) -> Iterator[int | None]:
    """Serve ``/metrics`` and ``/healthz`` at ``metrics.listen`` while the block runs;
    yields the port, or None when ``metrics.listen`` is not set (nothing listens).

    Call it on the event loop that polls. ``/healthz`` fails when polls are due but none
    has ended for ``stalled_after`` seconds (by default a minute and three fetch time
    limits), or when the database does not answer.
    """
    address = parts.config.metrics.address
    if address is None:
        yield None
        return
    probe = Probe(asyncio.get_running_loop())
    bound = stalled_after or STALLED_AFTER + 3 * parts.config.polling.timeout

    async def problem() -> str | None:
        stalled = parts.scheduler.stalled(bound)
        if stalled is not None:
            return stalled
        try:
            await parts.store.ping()
        except Exception as exc:  # whatever the driver raises: the database is not there
            return f"the database does not answer: {type(exc).__name__}: {exc}"
        return None

    def health() -> str | None:
        try:
            return probe(problem)
        except (TimeoutError, RuntimeError):  # the loop is stuck or closed
            return f"no answer within {probe.timeout:g}s: the service is stuck"

    def backlog() -> float | None:
        with contextlib.suppress(Exception):  # left out of this scrape
            return probe(parts.store.pending_count)
        return None

    gauge = parts.metrics.gauge("newsbot_outbox_backlog", "Messages waiting to be sent", backlog)
    try:
        with serving(address, parts.metrics, health) as port:
            host = f"[{address[0]}]" if ":" in address[0] else address[0]
            log.info("metrics at http://%s:%d/metrics, health at /healthz", host, port)
            yield port
    finally:
        parts.metrics.forget(gauge)


async def _finish(task: asyncio.Task[None]) -> None:
    """Wait a moment for ``task`` to end, then cancel it; raises the error it ended with."""
    try:
        await asyncio.wait_for(task, STOP_GRACE)
    except TimeoutError:
        log.warning("delivery did not stop in time; cancelled")
