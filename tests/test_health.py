"""Feed health: when admins are told (pure), what the feeds table says, and the notices
queued through a real store, once per bad spell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config

from bot.config import load_config
from bot.messages import FeedNotice
from bot.polling.health import UNHEALTHY_AFTER, FeedHealth, feed_status, notice_due, stored_advice
from bot.store.records import FeedState, FeedUpdate
from bot.store.store import Store

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
URL = "https://kz.example/rss"
ADMINS = (7, 8)

HEALTHY = FeedState(
    id="kz",
    url=URL,
    title=None,
    etag=None,
    last_modified=None,
    initialized=True,
    status="active",
    next_poll_at=None,
    last_attempt_at=T0,
    last_success_at=T0,
    last_error=None,
    failures=0,
)


def failing(since: timedelta, **changes: object) -> FeedState:
    """A feed failing since ``since`` before T0."""
    return replace(HEALTHY, failures=3, last_error="HTTP 500", failing_since=T0 - since, **changes)


@pytest.mark.parametrize(
    ("state", "due"),
    [
        (HEALTHY, None),
        (failing(timedelta(minutes=5)), None),
        (failing(UNHEALTHY_AFTER - timedelta(seconds=1)), None),
        (failing(UNHEALTHY_AFTER), "failing"),
        (failing(timedelta(days=3)), "failing"),
        (replace(HEALTHY, status="gone"), "gone"),
        (failing(timedelta(minutes=5), status="gone"), "gone"),
        (failing(timedelta(days=3), health_notice_at=T0 - timedelta(hours=1)), None),
        (replace(HEALTHY, status="gone", health_notice_at=T0), None),
    ],
    ids=[
        "healthy",
        "failing-5-minutes",
        "failing-just-under-a-day",
        "failing-a-day",
        "failing-3-days",
        "gone",
        "gone-while-failing",
        "failing-told-already",
        "gone-told-already",
    ],
)
def test_notice_due(state: FeedState, due: str | None) -> None:
    assert notice_due(state, T0) == due


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (HEALTHY, "ok"),
        (replace(HEALTHY, last_attempt_at=None, last_success_at=None), "never polled"),
        (failing(timedelta(minutes=5)), "failing"),
        (failing(timedelta(days=3), status="gone"), "gone"),
        (replace(HEALTHY, status="gone"), "gone"),
    ],
    ids=["ok", "never-polled", "failing", "gone-while-failing", "gone"],
)
def test_feed_status(state: FeedState, status: str) -> None:
    assert feed_status(state) == status


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.sync_feeds([("kz", URL, None)])
    try:
        yield store
    finally:
        await store.close()


class Health:
    """A FeedHealth for ADMINS that counts how often it said a notice was queued."""

    def __init__(self, store: Store) -> None:
        self.queued = 0
        self.health = FeedHealth(store, [*ADMINS, ADMINS[0]], queued=self._count)

    def _count(self) -> None:
        self.queued += 1


async def fail(store: Store, at: datetime, error: str = "HTTP 500", gone: bool = False) -> None:
    await store.record_attempt("kz", FeedUpdate(at, None, ok=False, error=error, gone=gone))


async def notices(store: Store) -> list[tuple[int, object]]:
    return [(row.chat_id, row.message) for row in await store.due(T0 + timedelta(days=30))]


async def test_a_feed_failing_for_a_day_is_told_to_each_admin_once(store: Store) -> None:
    health = Health(store)
    await fail(store, T0)
    await fail(store, T0 + timedelta(hours=1), "HTTP 502")
    await health.health.check("kz", T0 + UNHEALTHY_AFTER)
    notice = FeedNotice("kz", URL, "failing", "HTTP 502")
    assert await notices(store) == [(ADMINS[0], notice), (ADMINS[1], notice)]
    assert health.queued == 1
    await fail(store, T0 + timedelta(hours=30))
    await health.health.check("kz", T0 + timedelta(hours=30))  # the same spell: told already
    assert len(await notices(store)) == 2
    assert health.queued == 1
    state = await store.feed_state("kz")
    assert state is not None and state.health_notice_at == T0 + UNHEALTHY_AFTER


async def test_nothing_is_queued_before_a_day_of_failures(store: Store) -> None:
    health = Health(store)
    await fail(store, T0)
    await health.health.check("kz", T0 + UNHEALTHY_AFTER - timedelta(minutes=1))
    await health.health.check("unknown", T0 + timedelta(days=2))
    assert await notices(store) == []
    assert health.queued == 0
    state = await store.feed_state("kz")
    assert state is not None and state.health_notice_at is None


async def test_each_bad_spell_gets_its_own_notice(store: Store) -> None:
    health = Health(store)
    await fail(store, T0)
    await health.health.check("kz", T0 + UNHEALTHY_AFTER)
    await store.record_attempt("kz", FeedUpdate(T0 + timedelta(hours=30), None, ok=True))
    await health.health.check("kz", T0 + timedelta(hours=31))  # recovered: nothing to tell
    assert len(await notices(store)) == len(ADMINS)
    again = T0 + timedelta(hours=40)
    await fail(store, again, "HTTP 503")
    await health.health.check("kz", again + timedelta(hours=1))
    assert len(await notices(store)) == len(ADMINS)
    await health.health.check("kz", again + UNHEALTHY_AFTER)
    second = FeedNotice("kz", URL, "failing", "HTTP 503")
    assert [m for _, m in await notices(store)][len(ADMINS) :] == [second] * len(ADMINS)
    assert health.queued == 2


async def test_a_gone_feed_is_told_at_once(store: Store) -> None:
    health = Health(store)
    await fail(store, T0, "HTTP 410 Gone", gone=True)
    await health.health.check("kz", T0)
    notice = FeedNotice("kz", URL, "gone", "HTTP 410 Gone")
    assert await notices(store) == [(admin, notice) for admin in ADMINS]
    await health.health.check("kz", T0 + timedelta(days=1))
    assert len(await notices(store)) == len(ADMINS)
    assert health.queued == 1


@pytest.mark.parametrize("database", ["newsbot.db", "data/newsbot.db"])
def test_stored_advice_without_a_database_creates_none(tmp_path: Path, database: str) -> None:
    path = write_config(tmp_path, {"kz": URL}, {"kz-nuclear": NUCLEAR})
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("sqlite:///newsbot.db", f"sqlite:///{database}"), "utf-8")
    config = load_config(path, env={})
    before = sorted(tmp_path.rglob("*"))
    assert stored_advice(config) == []
    assert sorted(tmp_path.rglob("*")) == before
