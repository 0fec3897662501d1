"""The sender's rules, exactly: a real SQLite outbox, a scripted transport, a set clock.

Telegram end to end (python-telegram-bot against the fake Bot API) is in test_sender.py;
here every case the transport can answer is played out on rows the store queued, and
the outbox is read back row by row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from support.clock import Clock
from support.transport import FakeTransport

from bot.delivery import sender as sender_module
from bot.delivery.sender import (
    MAX_ATTEMPTS,
    ChatGone,
    Migrated,
    RetryLater,
    Sender,
    SendFailed,
)
from bot.messages import AlertMessage, FeedNotice, HeldAlerts, alert_message
from bot.models import Alert, Entry
from bot.store import schema as t
from bot.store.records import FeedUpdate
from bot.store.store import Store

ALICE, BOB, GROUP, SUPERGROUP, ADMIN = 100, 200, -500, -100500, 999
FEED, FEED_URL, FEED_TITLE = "a", "https://news.example/rss", "Astana Daily"
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)  # the sender's clock when a test starts


@dataclass(frozen=True)
class Row:
    """An outbox row as the tests look at it."""

    id: int
    chat_id: int
    status: str
    attempts: int
    not_before: datetime
    error: str | None


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(sender_module, "utcnow", clock)
    return clock


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.sync_feeds([(FEED, FEED_URL, FEED_TITLE)])
    for chat_id, kind in ((ALICE, "private"), (BOB, "private"), (GROUP, "group")):
        await store.upsert_chat(chat_id, kind, None)
    try:
        yield store
    finally:
        await store.close()


async def queue(
    store: Store, chats: Sequence[int], titles: Sequence[str], at: datetime = T0
) -> list[AlertMessage]:
    """Alerts about new entries titled ``titles`` for each of ``chats``, queued ``at``
    by a poll; returns the message of each entry (every chat gets the same), in order."""
    entries = [
        Entry(FEED, f"key-{title}", title, link(title), story=link(title)) for title in titles
    ]
    alerts = [Alert(chat, entry, ("Nuclear",)) for entry in entries for chat in chats]
    pairs = [(alert, alert_message(alert, FEED_TITLE, at)) for alert in alerts]
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    assert await store.commit_poll(FEED, change, entries, pairs) == len(pairs)
    return [message for _, message in pairs[:: len(chats)]]


def link(title: str) -> str:
    return f"https://news.example/{title.replace(' ', '-')}"


async def outbox(store: Store) -> list[Row]:
    box = t.outbox.c
    query = select(box.id, box.chat_id, box.status, box.attempts, box.not_before, box.error)
    async with store.engine.connect() as conn:
        return [Row(*r) for r in await conn.execute(query.order_by(box.id))]


async def statuses(store: Store) -> list[tuple[int, str]]:
    return [(row.chat_id, row.status) for row in await outbox(store)]


async def test_each_message_is_sent_once_in_order(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    first, second = await queue(store, [ALICE, BOB], ["Rosatom one", "Rosatom two"])
    sender = Sender(store, transport)
    assert await sender.drain() == 4
    assert await sender.drain() == 0
    assert transport.to(ALICE) == [first, second]
    assert transport.to(BOB) == [first, second]
    assert len(transport.sent) == 4
    assert {(r.status, r.attempts, r.error) for r in await outbox(store)} == {("sent", 1, None)}


async def test_a_transient_failure_backs_off_then_delivers(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [SendFailed("Bad Gateway", permanent=False)] * 2)
    [message] = await queue(store, [ALICE], ["Rosatom"])
    sender = Sender(store, transport)
    assert await sender.drain() == 0
    [row] = await outbox(store)
    assert (row.status, row.attempts, row.error) == ("pending", 1, "Bad Gateway")
    assert row.not_before == T0 + timedelta(seconds=5)
    clock.advance(4)
    assert await sender.drain() == 0  # not due yet: nothing is tried
    assert len(transport.sent) == 1
    clock.advance(1)
    assert await sender.drain() == 0
    [row] = await outbox(store)
    assert row.attempts == 2 and row.not_before == clock.now + timedelta(seconds=10)
    clock.advance(10)
    assert await sender.drain() == 1
    [row] = await outbox(store)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)
    assert transport.delivered == [(ALICE, message)]


async def test_after_a_transient_failure_the_chat_waits_and_keeps_its_order(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [SendFailed("Bad Gateway", permanent=False)])
    first, second = await queue(store, [ALICE, BOB], ["Rosatom", "CSTO"])
    sender = Sender(store, transport)
    assert await sender.drain() == 2  # Bob's two; Alice's second waits with her first
    assert transport.to(ALICE) == [first]
    clock.advance(5)
    assert await sender.drain() == 2
    assert transport.to(ALICE) == [first, first, second]
    assert transport.to(BOB) == [first, second]


async def test_a_message_that_keeps_failing_is_given_up_after_max_attempts(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [SendFailed("Bad Gateway", permanent=False)] * MAX_ATTEMPTS)
    await queue(store, [ALICE], ["Rosatom"])
    sender = Sender(store, transport)
    delays = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert await sender.drain() == 0
        [row] = await outbox(store)
        assert row.status == "pending"
        delays.append((row.not_before - clock.now).total_seconds())
        clock.now = row.not_before
    assert delays == [5, 10, 20, 40, 80, 160, 320][: MAX_ATTEMPTS - 1]
    assert await sender.drain() == 0
    [row] = await outbox(store)
    assert (row.status, row.attempts, row.error) == ("failed", MAX_ATTEMPTS, "Bad Gateway")
    clock.advance(86400)
    assert await sender.drain() == 0
    assert len(transport.sent) == MAX_ATTEMPTS


async def test_a_permanent_failure_is_recorded_and_the_chat_goes_on(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [SendFailed("Bad Request: message is too long", permanent=True)])
    _, second = await queue(store, [ALICE], ["Rosatom one", "Rosatom two"])
    assert await Sender(store, transport).drain() == 1
    first_row, second_row = await outbox(store)
    assert (first_row.status, first_row.attempts) == ("failed", 1)
    assert first_row.error == "Bad Request: message is too long"
    assert second_row.status == "sent"
    assert transport.delivered == [(ALICE, second)]


async def test_a_gone_chat_is_deactivated_and_its_pending_rows_fail(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [ChatGone("bot was blocked by the user")])
    await queue(store, [ALICE, BOB], ["Rosatom one", "Rosatom two", "Rosatom three"])
    assert await Sender(store, transport).drain() == 3
    alice, bob = await store.chat(ALICE), await store.chat(BOB)
    assert alice is not None and not alice.active
    assert bob is not None and bob.active
    assert len(transport.to(ALICE)) == 1  # the first answer is enough
    rows = await outbox(store)
    assert {(r.status, r.error) for r in rows if r.chat_id == ALICE} == {
        ("failed", "bot was blocked by the user")
    }
    assert {r.status for r in rows if r.chat_id == BOB} == {"sent"}


async def test_a_migrated_group_gets_its_rows_at_the_new_id(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    transport.script(GROUP, [Migrated(SUPERGROUP)])
    messages = await queue(store, [GROUP, ALICE], ["Rosatom one", "Rosatom two"])
    assert await Sender(store, transport).drain() == 4  # Alice's two, then the group's
    assert transport.to(GROUP) == messages[:1]
    assert transport.to(SUPERGROUP) == messages
    assert [c for c, s in await statuses(store) if s != "sent"] == []
    group, supergroup = await store.chat(GROUP), await store.chat(SUPERGROUP)
    assert group is not None and not group.active
    assert supergroup is not None and supergroup.active and supergroup.type == "supergroup"


async def test_one_drain_delivers_a_migrated_group_with_nothing_else_queued(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(GROUP, [Migrated(SUPERGROUP)])
    messages = await queue(store, [GROUP], ["Rosatom one", "Rosatom two"])
    assert await Sender(store, transport).drain() == 2
    assert transport.to(SUPERGROUP) == messages


async def test_retry_later_holds_that_chat_only(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [RetryLater(30)])
    messages = await queue(store, [ALICE, BOB], ["Rosatom one", "Rosatom two"])
    sender = Sender(store, transport)
    assert await sender.drain() == 2
    assert transport.to(BOB) == messages
    assert transport.to(ALICE) == messages[:1]
    held = [r for r in await outbox(store) if r.chat_id == ALICE]
    assert [(r.status, r.attempts) for r in held] == [("pending", 0), ("pending", 0)]
    assert {r.not_before for r in held} == {T0 + timedelta(seconds=30)}
    clock.advance(29)
    assert await sender.drain() == 0
    clock.advance(1)
    assert await sender.drain() == 2
    assert [m for c, m in transport.delivered if c == ALICE] == messages


async def test_alerts_held_past_max_age_fold_into_one_summary_but_notices_never(
    store: Store, clock: Clock
) -> None:
    two_days_ago = T0 - timedelta(days=2)
    transport = FakeTransport()
    await queue(store, [ADMIN], ["Rosatom one", "Rosatom two"], at=two_days_ago)
    notice = FeedNotice(FEED, FEED_URL, "failing", "HTTP 500")
    assert await store.queue_notice(notice, [ADMIN], two_days_ago, two_days_ago) == 1
    [fresh] = await queue(store, [ADMIN], ["Rosatom three"])
    assert await Sender(store, transport, max_age=86400).drain() == 3
    stories = (("Rosatom one", link("Rosatom one")), ("Rosatom two", link("Rosatom two")))
    assert transport.sent == [
        (ADMIN, HeldAlerts(stories, 86400)),
        (ADMIN, notice),
        (ADMIN, fresh),
    ]
    assert {s for _, s in await statuses(store)} == {"sent"}


async def test_a_chat_whose_send_raises_does_not_stop_the_others(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    transport.script(ALICE, [RuntimeError("boom"), RuntimeError("boom again")])
    messages = await queue(store, [ALICE, BOB], ["Rosatom one", "Rosatom two"])
    sender = Sender(store, transport)
    assert await sender.drain() == 2
    assert transport.to(BOB) == messages
    alice = [r for r in await outbox(store) if r.chat_id == ALICE]
    assert [(r.status, r.attempts) for r in alice] == [("pending", 0), ("pending", 0)]
    assert await sender.drain() == 2  # the next round finds them still queued
    assert [m for c, m in transport.delivered if c == ALICE] == messages


async def test_a_stop_during_a_drain_leaves_the_rest_queued(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    stop = asyncio.Event()
    transport.on_send = lambda chat, message: stop.set()
    first, *_ = await queue(store, [ALICE], ["Rosatom one", "Rosatom two", "Rosatom three"])
    await asyncio.wait_for(Sender(store, transport).run(stop), 10)
    assert transport.sent == [(ALICE, first)]
    assert [s for _, s in await statuses(store)] == ["sent", "pending", "pending"]
    stop.clear()
    transport.on_send = None
    assert await Sender(store, transport).drain() == 2  # the next start sends the rest
