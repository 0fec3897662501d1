"""The poll scheduler: when each feed is polled, rescheduled, skipped, and how it stops.

A fake pipeline stands in for the real one (it records each poll and answers with the
next poll time a test chooses); the store is real SQLite. Times are at most a fraction
of a second ahead, and the tests assert which polls happened in which order, never how
long anything took.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime, timedelta

import pytest

from bot.config import FeedConfig
from bot.messages import FeedNotice
from bot.polling.health import FeedHealth
from bot.polling.pipeline import PollOutcome
from bot.polling.scheduler import RETRY_AFTER_CRASH, PollScheduler
from bot.store.records import FeedUpdate
from bot.store.store import Store, utcnow

ADMIN = 999
WAIT = 10  # seconds: only a bound on waiting for what must happen, never an assertion

# What a poll of a feed does: return this next_poll_at (None: no next poll), raise this
# exception, or wait for this event to be set, then return None.
Answer = datetime | None | Exception | asyncio.Event


class FakePipeline:
    """Stands in for :class:`bot.polling.pipeline.Pipeline`: records every poll (feed id,
    when it began) and answers from a script per feed; None by default."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self._answers: dict[str, deque[Answer]] = {}
        self._changed = asyncio.Event()

    def script(self, feed_id: str, answers: Iterable[Answer]) -> None:
        self._answers.setdefault(feed_id, deque()).extend(answers)

    @property
    def polled(self) -> list[str]:
        return [feed_id for feed_id, _ in self.calls]

    def began(self, feed_id: str) -> list[datetime]:
        return [when for polled, when in self.calls if polled == feed_id]

    async def poll(self, feed: FeedConfig) -> PollOutcome:
        self.calls.append((feed.id, utcnow()))
        self._changed.set()
        answers = self._answers.get(feed.id)
        answer = answers.popleft() if answers else None
        try:
            if isinstance(answer, Exception):
                raise answer
            if isinstance(answer, asyncio.Event):
                await answer.wait()
                answer = None
        except asyncio.CancelledError:
            self.cancelled.append(feed.id)
            raise
        self.finished.append(feed.id)
        self._changed.set()
        return PollOutcome(feed.id, "ok", next_poll_at=answer)

    async def wait_calls(self, count: int) -> None:
        """Until ``count`` polls have begun."""
        await asyncio.wait_for(self._until(lambda: len(self.calls) >= count), WAIT)

    async def wait_finished(self, count: int) -> None:
        """Until ``count`` polls have returned."""
        await asyncio.wait_for(self._until(lambda: len(self.finished) >= count), WAIT)

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._changed.clear()
            await self._changed.wait()


def feeds(*ids: str) -> list[FeedConfig]:
    return [FeedConfig(id=feed_id, url=f"https://{feed_id}.example/rss") for feed_id in ids]


def next_run(scheduler: PollScheduler, feed_id: str) -> datetime | None:
    """When the feed's poll job is due next (None: no job), from APScheduler's table."""
    job = scheduler._scheduler.get_job(feed_id)
    return None if job is None else job.next_run_time


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def pipeline() -> FakePipeline:
    return FakePipeline()


@pytest.fixture
async def scheduled(store: Store) -> AsyncIterator[list[PollScheduler]]:
    """Schedulers a test made, stopped at its end (before the store closes)."""
    made: list[PollScheduler] = []
    yield made
    for scheduler in made:
        await scheduler.stop(grace=0)


async def start(
    made: list[PollScheduler],
    store: Store,
    pipeline: FakePipeline,
    configured: Sequence[FeedConfig],
    health: FeedHealth | None = None,
) -> PollScheduler:
    await store.sync_feeds((f.id, f.url, None) for f in configured)
    health = health or FeedHealth(store, [ADMIN])
    scheduler = PollScheduler(pipeline, store, configured, health)  # type: ignore[arg-type]
    made.append(scheduler)
    await scheduler.start()
    return scheduler


async def polled_before(store: Store, feed_id: str, next_poll_at: datetime) -> None:
    """The feed's last poll left ``next_poll_at`` in the store."""
    change = FeedUpdate(attempted_at=utcnow(), next_poll_at=next_poll_at, ok=True)
    await store.record_attempt(feed_id, change)


async def test_feeds_are_polled_at_their_stored_time_or_at_once(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    configured = feeds("fresh", "past", "soon", "later")
    await store.sync_feeds((f.id, f.url, None) for f in configured)
    now = utcnow()
    soon, later = now + timedelta(seconds=0.5), now + timedelta(hours=1)
    await polled_before(store, "past", now - timedelta(hours=1))
    await polled_before(store, "soon", soon)
    await polled_before(store, "later", later)
    scheduler = await start(scheduled, store, pipeline, configured)
    await pipeline.wait_calls(3)
    assert sorted(pipeline.polled[:2]) == ["fresh", "past"]  # never polled, or overdue
    assert pipeline.polled[2] == "soon"
    assert pipeline.began("soon")[0] >= soon  # not before its time
    assert "later" not in pipeline.polled
    assert next_run(scheduler, "later") == later


async def test_a_feed_is_rescheduled_at_the_time_its_poll_gives(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    soon, later = utcnow() + timedelta(seconds=0.2), utcnow() + timedelta(hours=1)
    pipeline.script("a", [soon, later])
    pipeline.script("b", [None])  # no next poll
    scheduler = await start(scheduled, store, pipeline, feeds("a", "b"))
    await pipeline.wait_finished(3)
    assert sorted(pipeline.polled) == ["a", "a", "b"]
    assert pipeline.began("a")[1] >= soon
    assert next_run(scheduler, "a") == later
    assert next_run(scheduler, "b") is None


async def test_a_gone_feed_is_not_polled_and_admins_hear_of_it(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    configured = feeds("gone", "ok")
    await store.sync_feeds((f.id, f.url, None) for f in configured)
    gone = FeedUpdate(utcnow(), None, ok=False, error="HTTP 410 Gone", gone=True)
    await store.record_attempt("gone", gone)
    queued: list[None] = []
    health = FeedHealth(store, [ADMIN], queued=lambda: queued.append(None))
    scheduler = await start(scheduled, store, pipeline, configured, health)
    await pipeline.wait_finished(1)
    assert next_run(scheduler, "gone") is None
    assert pipeline.polled == ["ok"]
    [row] = await store.due(utcnow())
    notice = FeedNotice("gone", "https://gone.example/rss", "gone", "HTTP 410 Gone")
    assert (row.chat_id, row.message) == (ADMIN, notice)
    assert queued == [None]


async def test_a_poll_that_crashes_is_tried_again_later(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    pipeline.script("a", [RuntimeError("boom")])
    before = utcnow()
    scheduler = await start(scheduled, store, pipeline, feeds("a"))
    await pipeline.wait_calls(1)
    await asyncio.sleep(0)  # the crashed job reschedules itself in the same step
    after = utcnow()
    retry = next_run(scheduler, "a")
    assert retry is not None
    assert before + RETRY_AFTER_CRASH <= retry <= after + RETRY_AFTER_CRASH
    assert pipeline.finished == []


async def test_stop_waits_for_a_running_poll_within_the_grace(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    release = asyncio.Event()
    pipeline.script("a", [release])
    scheduler = await start(scheduled, store, pipeline, feeds("a"))
    await pipeline.wait_calls(1)
    stopping = asyncio.create_task(scheduler.stop(grace=WAIT))
    await asyncio.sleep(0.05)  # the poll runs on a while after the stop began
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, WAIT)
    assert (pipeline.finished, pipeline.cancelled) == (["a"], [])


async def test_stop_cancels_a_poll_still_running_after_the_grace(
    store: Store, pipeline: FakePipeline, scheduled: list[PollScheduler]
) -> None:
    never = asyncio.Event()
    pipeline.script("a", [never])
    pipeline.script("b", [utcnow() + timedelta(hours=1)])
    scheduler = await start(scheduled, store, pipeline, feeds("a", "b"))
    await pipeline.wait_calls(2)
    await pipeline.wait_finished(1)
    await asyncio.wait_for(scheduler.stop(grace=0.05), WAIT)
    assert (pipeline.finished, pipeline.cancelled) == (["b"], ["a"])
