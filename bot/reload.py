"""Watchlist edits take effect without a restart.

The watchlists folder is checked every few seconds; when a file was added, changed or
removed, the whole folder is validated again. Valid watchlists are swapped in (the
matcher compiles in a worker thread, so delivery never waits); an invalid edit is
logged with its file, field and problem, and the watchlists in force stay as they were.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.config import Watchlist, load_watchlists

log = logging.getLogger(__name__)
Signature = tuple[tuple[str, int, int], ...]
Apply = Callable[[Sequence[Watchlist]], Awaitable[None]]


class WatchlistReloader:
    """Re-reads ``folder`` when its files change and hands valid watchlists to ``apply``."""

    def __init__(self, folder: Path, feed_ids: set[str], apply: Apply) -> None:
        self._folder = folder
        self._feed_ids = feed_ids
        self._apply = apply
        self._seen = self._signature()

    async def run(self, stop: asyncio.Event, every: float = 5.0) -> None:
        """Check every ``every`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                await self.check()

    async def check(self) -> bool:
        """Reload if the folder changed; True when new watchlists took effect."""
        signature = self._signature()
        if signature == self._seen:
            return False
        self._seen = signature
        found, problems = await asyncio.to_thread(load_watchlists, self._folder, self._feed_ids)
        if problems:
            for problem in problems:
                log.error("watchlists not reloaded: %s", problem)
            return False
        await self._apply(found)
        log.info("watchlists reloaded: %s", ", ".join(w.name for w in found))
        return True

    def _signature(self) -> Signature:
        try:
            files = [*self._folder.glob("*.yaml"), *self._folder.glob("*.yml")]
            return tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))
        except OSError:  # the folder is being replaced: try again next time
            return self._seen if hasattr(self, "_seen") else ()
