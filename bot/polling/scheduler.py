"""Drive polling with APScheduler in the bot's event loop: one job per feed.

Each feed's job runs at the feed's stored ``next_poll_at`` (or at once when it has none
or it has passed) and is rescheduled for the time the poll outcome says. A gone feed is
not rescheduled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import FeedConfig
from bot.polling.health import FeedHealth
from bot.polling.pipeline import Pipeline
from bot.store.store import Store

log = logging.getLogger(__name__)
RETRY_AFTER_CRASH = timedelta(minutes=5)


class PollScheduler:
    """Starts, reschedules and stops the per-feed poll jobs."""

    def __init__(
        self, pipeline: Pipeline, store: Store, feeds: Sequence[FeedConfig], health: FeedHealth
    ) -> None:
        self._pipeline = pipeline
        self._health = health
        self._store = store
        self._feeds = list(feeds)
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._running: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        states = {s.id: s for s in await self._store.feed_states()}
        now = datetime.now(UTC)
        self._scheduler.start()
        for feed in self._feeds:
            state = states.get(feed.id)
            if state and state.status == "gone":
                log.info("feed %s is gone (410); not polled", feed.id)
                await self._health.check(feed.id, now)  # if `poll` found it gone
                continue
            when = state.next_poll_at if state and state.next_poll_at else now
            self._schedule(feed, max(when, now))

    def _schedule(self, feed: FeedConfig, when: datetime) -> None:
        self._scheduler.add_job(
            self._poll,
            "date",
            run_date=when,
            args=[feed],
            id=feed.id,
            replace_existing=True,
            name=f"poll {feed.id}",
        )

    async def _poll(self, feed: FeedConfig) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            outcome = await self._pipeline.poll(feed)
        except asyncio.CancelledError:  # by stop(): the next start polls the feed again
            log.info("poll of %s cut short by the stop", feed.id)
            return
        except Exception:
            log.exception("poll of %s failed", feed.id)
            self._schedule(feed, datetime.now(UTC) + RETRY_AFTER_CRASH)
            return
        finally:
            if task is not None:
                self._running.discard(task)
        if outcome.next_poll_at is not None:
            self._schedule(feed, outcome.next_poll_at)

    async def stop(self, grace: float = 2.0) -> None:
        """Stop scheduling and cancel polls still running after ``grace`` seconds.

        The scheduler is paused, not shut down, until the polls have ended: shutting it
        down cancels the jobs it has handed to the loop, and logs each as a failure.
        """
        if self._scheduler.running:
            self._scheduler.pause()
        # A job just handed to the loop has a task that has not run yet: let it take its
        # first step and register, so that it is waited for like the others.
        await asyncio.sleep(0)
        running = list(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
