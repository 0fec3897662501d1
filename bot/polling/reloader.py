"""Watchlist edits take effect without a restart.

The watchlists folder is checked every few seconds; when a file was added, changed or
removed, the whole folder is validated again. Valid watchlists are swapped in (the
matcher compiles in a worker thread, so delivery never waits); an invalid edit is
logged with its file, field and problem, and the watchlists in force stay as they were.

Reading is bounded (see :func:`bot.config.load_watchlists`: file sizes and count, no
YAML aliases) and runs in a daemon thread: the event loop keeps serving meanwhile, and
a stop never waits for a reload to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from bot.config import Watchlist, load_watchlists

log = logging.getLogger(__name__)
Signature = tuple[tuple[str, int, int], ...]
Apply = Callable[[Sequence[Watchlist]], Awaitable[None]]
T = TypeVar("T")


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
        log.info("watchlists changed: reading %s", self._folder)
        try:
            found, problems = await _in_daemon_thread(
                lambda: load_watchlists(self._folder, self._feed_ids)
            )
        except Exception:  # a fault of ours: the watchlists in force stay, the service runs
            log.exception("watchlists not reloaded")
            return False
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


async def _in_daemon_thread(work: Callable[[], T]) -> T:
    """``work()`` in a thread of its own that never holds up the end of the process."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # cancelled: the service is stopping
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (work(), None)
        except BaseException as exc:  # handed to the awaiting task, which decides
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="watchlists-reload", daemon=True).start()
    return await future
