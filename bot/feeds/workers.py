"""Parse feeds off the event loop: in worker processes, or in a thread.

feedparser is pure Python and CPU-bound, so threads share one core; worker processes
parse on every core while the event loop keeps fetching, matching and storing. A
worker that dies (a parser crash, the OOM killer) costs that one feed an error and the
pool is started again for the next feed.

A parse in a worker may use :data:`CPU_LIMIT` seconds of CPU: a document dense with
elements (a megabyte of ``<x/>`` takes feedparser about 7 s, ten about a minute) fails
as that feed's error, and the worker goes on to the next feed. Parsing in a thread
(``workers=0``) has no such bound.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from bot.errors import FeedParseError

if TYPE_CHECKING:
    from bot.feeds.parse import ParsedFeed

log = logging.getLogger(__name__)
CPU_LIMIT = 20.0  # seconds of CPU one parse may use in a worker; a large feed takes ~1 s


class Parsers:
    """``await parsers.parse(...)`` = :func:`parse_feed`, run off the event loop."""

    def __init__(self, workers: int, cpu_limit: float = CPU_LIMIT) -> None:
        self._workers = workers
        self._cpu_limit = cpu_limit
        self._pool: ProcessPoolExecutor | None = None

    async def parse(self, feed_id: str, content: bytes, url: str, content_type: str) -> ParsedFeed:
        if self._workers <= 0:
            return await asyncio.to_thread(_parse, feed_id, content, url, content_type)
        loop = asyncio.get_running_loop()
        pool = self._started()
        limit = self._cpu_limit
        try:
            return await loop.run_in_executor(
                pool, _parse_limited, feed_id, content, url, content_type, limit
            )
        except BrokenProcessPool as exc:
            log.error("a parser process died on feed %s; starting new ones", feed_id)
            if self._pool is pool:  # not one that a parse started since
                self._pool = None
            raise FeedParseError("the parser crashed on this feed") from exc

    def warm(self) -> None:
        """Start the workers now, so their start-up overlaps the first fetches."""
        if self._workers > 0:
            pool = self._started()
            for _ in range(self._workers):
                pool.submit(_ready)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: this process runs threads (database, resolver) by now
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=context,
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        """Stop the workers at once; a parse still running is abandoned.

        Workers hold no state, so they are terminated rather than waited for: a long parse
        must not hold up a graceful stop (the executor would join them at exit).
        """
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        self._pool = None


def _parse(feed_id: str, content: bytes, url: str, content_type: str) -> ParsedFeed:
    # Imported where it runs: with worker processes, the main process never loads
    # feedparser, and starts faster.
    from bot.feeds.parse import parse_feed

    return parse_feed(feed_id, content, url, content_type)


def _parse_limited(
    feed_id: str, content: bytes, url: str, content_type: str, cpu_limit: float
) -> ParsedFeed:
    """:func:`_parse` in a worker, stopped once it has used ``cpu_limit`` seconds of CPU."""
    signal.signal(signal.SIGPROF, _stop)
    try:
        signal.setitimer(signal.ITIMER_PROF, cpu_limit)
        try:
            return _parse(feed_id, content, url, content_type)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _TooLong:
        raise FeedParseError(f"parsing took more than {cpu_limit:g} s of CPU") from None


class _TooLong(BaseException):
    """Raised by the CPU timer: not an Exception, so that no parser catches it."""


def _stop(signum: int, frame: object) -> None:
    raise _TooLong


def _watch_parent(parent: int) -> None:
    """Worker initializer: end this worker once the process that started it is gone.

    A ``kill -9`` of newsbot tells its workers nothing; without this they would live on
    as orphans, holding the service's output open.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ready() -> bool:
    """Run in a new worker: load the parser before the first feed arrives."""
    import bot.feeds.parse  # noqa: F401

    return True
