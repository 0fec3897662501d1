"""Parse feeds off the event loop: in worker processes, or in a thread.

feedparser is pure Python and CPU-bound, so threads share one core; worker processes
parse on every core while the event loop keeps fetching, matching and storing. A
worker that dies (a parser crash, the OOM killer) costs that one feed an error and the
pool is started again for the next feed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from bot.errors import FeedParseError

if TYPE_CHECKING:
    from bot.feeds.parse import ParsedFeed

log = logging.getLogger(__name__)


class Parsers:
    """``await parsers.parse(...)`` = :func:`parse_feed`, run off the event loop."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def parse(self, feed_id: str, content: bytes, url: str, content_type: str) -> ParsedFeed:
        if self._workers <= 0:
            return await asyncio.to_thread(_parse, feed_id, content, url, content_type)
        loop = asyncio.get_running_loop()
        pool = self._started()
        try:
            return await loop.run_in_executor(pool, _parse, feed_id, content, url, content_type)
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
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
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


def _ready() -> bool:
    """Run in a new worker: load the parser before the first feed arrives."""
    import bot.feeds.parse  # noqa: F401

    return True
