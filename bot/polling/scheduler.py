"""Drive polling with APScheduler in the bot's event loop: one job per feed.

Each feed's job runs at the feed's stored ``next_poll_at`` (or at once when it has none
or it has passed) and is rescheduled for the time the poll outcome says. A gone feed is
not rescheduled.

:meth:`PollScheduler.stalled` tells whether polling still makes progress, for
``/healthz``: polls are due or running, yet none has finished for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.cluster.claims import FeedClaims
from bot.config import FeedConfig
from bot.polling.health import FeedHealth
from bot.polling.pipeline import Pipeline, PollOutcome
from bot.store.store import Store

log = logging.getLogger(__name__)
RETRY_AFTER_CRASH = timedelta(minutes=5)


class PollScheduler:
    """Starts, reschedules and stops the per-feed poll jobs."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: Store,
        feeds: Sequence[FeedConfig],
        health: FeedHealth,
        claims: FeedClaims | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._claims = claims  # None: the only instance, every due feed is its own
        self._health = health
        self._store = store
        self._feeds = list(feeds)
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._running: dict[asyncio.Task[object], float] = {}  # each poll's start
        self._finished = time.monotonic()  # when the last poll ended (or the start)

    async def start(self) -> None:
        states = {s.id: s for s in await self._store.feed_states()}
        now = datetime.now(UTC)
        self._finished = time.monotonic()
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
            self._running[task] = time.monotonic()
        try:
            if self._claims is None:
                outcome: PollOutcome | None = await self._pipeline.poll(feed)
            else:
                outcome = await self._claimed_poll(feed, self._claims)
        except asyncio.CancelledError:  # by stop(): the next start polls the feed again
            log.info("poll of %s cut short by the stop", feed.id)
            return
        except Exception:
            log.exception("poll of %s failed", feed.id)
            self._schedule(feed, datetime.now(UTC) + RETRY_AFTER_CRASH)
            return
        finally:
            self._finished = time.monotonic()
            if task is not None:
                self._running.pop(task, None)
        if outcome is not None and outcome.next_poll_at is not None:
            self._schedule(feed, outcome.next_poll_at)

    async def _claimed_poll(self, feed: FeedConfig, claims: FeedClaims) -> PollOutcome | None:
        """Poll the feed if this instance wins its claim; None if it did not (the job is
        rescheduled for the next chance)."""
        async with claims.slot():
            claimed = await claims.claim(feed.id)
            if isinstance(claimed, datetime):  # another instance polls it
                self._schedule(feed, claimed)
            if claimed is not True:
                return None
            retry = RETRY_AFTER_CRASH
            try:
                return await self._pipeline.poll(feed)
            except asyncio.CancelledError:  # by stop(): due at once, for the instances left
                retry = timedelta(0)
                raise
            finally:
                # bounded: with the database gone, the claim lapses by itself instead
                with contextlib.suppress(TimeoutError):
                    release = claims.release(feed.id, datetime.now(UTC) + retry)
                    await asyncio.wait_for(asyncio.shield(release), claims.patience)

    def stalled(self, bound: float) -> str | None:
        """Why polling is stuck, or None: a poll has been due or running for more than
        ``bound`` seconds and no poll has ended in that time. Call it on the event loop."""
        if not self._scheduler.running:
            return "the scheduler is not running"
        now = time.monotonic()
        waiting = [*self._running.values(), *self._overdue_since(now)]
        if not waiting:
            return None  # nothing due: idle is not stalled
        stuck_for = now - max(min(waiting), self._finished)
        if stuck_for <= bound:
            return None
        return f"the scheduler has stalled: no poll ended for {stuck_for:.0f}s while polls are due"

    def _overdue_since(self, now: float) -> list[float]:
        """When each job that should have run by now fell due, on the monotonic clock."""
        late = datetime.now(UTC)
        due = [j.next_run_time for j in self._scheduler.get_jobs() if j.next_run_time]
        return [now - (late - when).total_seconds() for when in due if when <= late]

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
