"""A story's later outlets reach the chats that have it: named in an alert still queued or
held, added to a sent one by an edit. A real SQLite outbox, a scripted transport, a set
clock; the outbox is read back row by row."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from support.clock import Clock
from support.transport import FakeTransport

from bot.delivery import sender as sender_module
from bot.delivery.render import render
from bot.delivery.sender import EDIT_BELOW, ChatGone, RetryLater, Sender, SendFailed
from bot.delivery.summary import summarise
from bot.messages import AlertMessage, Outlet, Summary, alert_message
from bot.models import Alert, Entry
from bot.store import schema as t
from bot.store.outbox import EDIT_DELAY
from bot.store.records import FeedUpdate
from bot.store.store import Store

ALICE, GROUP = 100, -500
STORY = "https://wire.example/rosatom"
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(sender_module, "utcnow", clock)
    return clock


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    feeds = [(f, f"https://{f}.example/rss", None) for f in ("wire", "b", "c", "d")]
    await store.sync_feeds(feeds)
    for chat_id, kind in ((ALICE, "private"), (GROUP, "group")):
        await store.upsert_chat(chat_id, kind, None)
    try:
        yield store
    finally:
        await store.close()


async def publish(
    store: Store, feed: str, chats: Sequence[int] = (ALICE,), key: str = "1", at: datetime = T0
) -> int:
    """An entry of ``feed`` (the outlet ``feed.upper()``) telling STORY (the wire told it
    first), matched for ``chats``, committed ``at``; returns how many alerts were queued."""
    link = STORY if feed == "wire" else f"https://{feed}.example/{key}"
    entry = Entry(
        feed, key, "Rosatom to build a plant", link, story=link,
        same_as=None if feed == "wire" else STORY,
    )  # fmt: skip
    pairs = [
        (alert, alert_message(alert, feed.upper(), at))
        for alert in (Alert(chat, entry, ("Nuclear",), watchlists=("nuclear",)) for chat in chats)
    ]
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    return await store.commit_poll(feed, change, [entry], pairs, feed.upper())


async def rows(store: Store) -> list[dict[str, object]]:
    async with store.engine.connect() as conn:
        found = await conn.execute(select(t.outbox).order_by(t.outbox.c.id))
        return [dict(r._mapping) for r in found]


def also(message: object) -> list[str]:
    assert isinstance(message, AlertMessage)
    return [o.name for o in message.also]


async def settle(sender: Sender, clock: Clock) -> None:
    """Let the edit delay pass, and deliver."""
    clock.advance(EDIT_DELAY.total_seconds() + 1)
    await sender.drain()


async def test_an_outlet_that_joins_before_the_alert_goes_is_in_it(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    assert await publish(store, "wire") == 1
    assert await publish(store, "b") == 0  # the chat has the story: no second alert
    await settle(Sender(store, transport, clock=clock), clock)
    assert len(transport.delivered) == 1
    assert also(transport.delivered[0][1]) == ["B"]
    assert transport.edits == []
    [row] = await rows(store)
    assert (row["revision"], row["shown"], row["edit_due"]) == (1, 1, None)


async def test_a_sent_alert_is_edited_once_for_each_new_outlet(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", (ALICE, GROUP), at=clock.now)
    await sender.drain()
    assert len(transport.delivered) == 2
    for n, feed in enumerate(("b", "c"), start=1):
        await publish(store, feed, at=clock.now)
        await sender.drain()
        assert len(transport.edits) == 2 * (n - 1)  # not before the delay
        await settle(sender, clock)
        assert len(transport.edits) == 2 * n  # both chats, once each
    assert [also(m) for _, _, m in transport.edits[-2:]] == [["B", "C"], ["B", "C"]]
    # the message each chat got is the one edited
    assert {(c, i) for c, i, _ in transport.edits} == {(ALICE, 1), (GROUP, 2)}
    await publish(store, "b", key="2", at=clock.now)  # the same outlet again: nothing new
    await settle(sender, clock)
    assert len(transport.edits) == 4
    for row in await rows(store):
        assert (row["revision"], row["shown"], row["edit_due"]) == (2, 2, None)


async def test_outlets_that_join_together_make_one_edit(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    for feed in ("b", "c", "d"):
        await publish(store, feed, at=clock.now)
        clock.advance(5)
        await sender.drain()
    await settle(sender, clock)
    assert [also(m) for _, _, m in transport.edits] == [["B", "C", "D"]]


async def test_an_outlet_that_joins_while_the_alert_is_sent_comes_by_an_edit(
    store: Store, clock: Clock
) -> None:
    await publish(store, "wire")
    [due] = await store.due(T0)  # the sender has read the alert (revision 0) ...
    assert also(due.message) == [] and due.revision == 0
    await publish(store, "b")  # ... a poll names another outlet while it is sent ...
    await store.mark_sent(due.id, 7, due.revision, T0)  # ... and it went out as it was read
    [row] = await rows(store)
    assert (row["revision"], row["shown"], row["edit_due"]) == (1, 0, T0)
    transport = FakeTransport()
    await Sender(store, transport, clock=clock).drain()
    assert [(i, also(m)) for _, i, m in transport.edits] == [(7, ["B"])]
    [row] = await rows(store)
    assert (row["revision"], row["shown"], row["edit_due"]) == (1, 1, None)


@pytest.mark.parametrize(
    "answer",
    [
        SendFailed("Bad Request: message to edit not found", permanent=True),
        SendFailed("Bad Request: message can't be edited", permanent=True),
    ],
)
async def test_a_message_that_cannot_be_edited_is_left_as_it_is(
    store: Store, clock: Clock, answer: SendFailed
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    transport.edit_answers.append(answer)
    await publish(store, "b", at=clock.now)
    await settle(sender, clock)
    await publish(store, "c", at=clock.now)  # another outlet: the message stays as it is
    await settle(sender, clock)
    assert len(transport.edits) == 1
    [row] = await rows(store)
    assert (row["status"], row["edit_due"], row["message_id"]) == ("sent", None, None)


async def test_a_failing_edit_is_tried_again_later(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    transport.edit_answers.append(SendFailed("TimedOut: timed out", permanent=False))
    await publish(store, "b", at=clock.now)
    await settle(sender, clock)
    await sender.drain()
    assert len(transport.edits) == 1  # not again at once
    clock.advance(61)
    await sender.drain()
    assert len(transport.edits) == 2
    [row] = await rows(store)
    assert (row["edit_due"], row["shown"]) == (None, 1)


async def test_retry_after_on_an_edit_holds_the_chat(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    transport.edit_answers.append(RetryLater(300))
    await publish(store, "b", at=clock.now)
    await settle(sender, clock)
    await publish(store, "c", key="x", at=clock.now)  # the same story: an edit, no alert
    await settle(sender, clock)
    assert len(transport.edits) == 1  # the chat waits
    clock.advance(300)
    await sender.drain()
    assert len(transport.delivered) == 1
    assert [also(m) for _, _, m in transport.edits] == [["B"], ["B", "C"]]


async def test_a_chat_that_blocked_the_bot_is_not_edited_again(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    transport.edit_answers.append(ChatGone("Forbidden: bot was blocked by the user"))
    for feed in ("b", "c"):
        await publish(store, feed, at=clock.now)
        await settle(sender, clock)
        await settle(sender, clock)
    assert len(transport.edits) == 1
    [row] = await rows(store)
    assert row["edit_due"] is None


async def test_edits_give_way_to_new_alerts_in_a_busy_chat(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", (GROUP,), at=clock.now)
    await publish(store, "b", (GROUP,), at=clock.now)
    await sender.drain()
    entries = [
        Entry("d", f"k{n}", f"CSTO news {n}", f"https://d.example/{n}", story=f"s{n}")
        for n in range(EDIT_BELOW)
    ]
    change = FeedUpdate(attempted_at=clock.now, next_poll_at=None, ok=True)
    pairs = [
        (a, alert_message(a, "D", clock.now)) for a in (Alert(GROUP, e, ("CSTO",)) for e in entries)
    ]
    await publish(store, "c", (GROUP,), at=clock.now)
    clock.advance(EDIT_DELAY.total_seconds() + 1)
    await store.commit_poll("d", change, entries, pairs)
    await sender.drain()
    assert len(transport.delivered) == EDIT_BELOW + 1
    assert transport.edits == []  # the group had its share of the minute: alerts first
    clock.advance(61)
    await sender.drain()
    assert [also(m) for _, _, m in transport.edits] == [["B", "C"]]


async def test_a_new_alert_stops_a_round_of_edits(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", (ALICE, GROUP), at=clock.now)
    await sender.drain()
    await publish(store, "b", (ALICE, GROUP), at=clock.now)
    clock.advance(EDIT_DELAY.total_seconds() + 1)
    transport.on_edit = lambda chat, message_id: sender.wake()  # an alert was queued
    await sender.drain()
    assert len(transport.edits) == 1  # the other chat's edit waits for the next round
    transport.on_edit = None
    await sender.drain()
    assert len(transport.edits) == 2


async def test_held_alerts_list_a_story_once_with_its_outlets(store: Store, clock: Clock) -> None:
    await store.mute(ALICE, "*", T0 + timedelta(hours=1), T0)
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire")
    await sender.drain()
    for feed in ("b", "c", "d"):
        await publish(store, feed)
    await sender.drain()
    assert transport.delivered == []
    clock.advance(3601)
    await sender.drain()
    [(_, summary)] = transport.delivered
    assert isinstance(summary, Summary)
    [item] = summary.items
    assert (item.also, summary.total) == (("B", "C", "D"), 1)
    assert "Also: B, C, D" in render(summary)


async def test_a_migrated_group_does_not_edit_the_old_groups_messages(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", (GROUP,), at=clock.now)
    await sender.drain()
    await store.migrate_chat(GROUP, -100500)
    await publish(store, "b", (-100500,), at=clock.now)
    await settle(sender, clock)
    assert transport.edits == []


async def test_an_alert_names_each_other_outlet_once_and_never_its_own(store: Store) -> None:
    for feed in ("b", "wire", "c", "b"):
        await publish(store, feed, (ALICE,), key=feed)
    [row] = await store.due(T0)
    assert isinstance(row.message, AlertMessage) and row.message.feed == "B"
    assert [(o.name, o.link) for o in row.message.also] == [
        ("WIRE", STORY),
        ("C", "https://c.example/c"),
    ]


async def test_an_alert_counts_the_outlets_past_twenty(store: Store) -> None:
    await publish(store, "wire")
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    for n in range(30):
        for key in ("1", "2"):  # a feed telling it twice is one outlet
            link = f"https://f{n}.example/{key}"
            entry = Entry(f"f{n}", key, "Rosatom", link, story=link, same_as=STORY)
            await store.commit_poll(f"f{n}", change, [entry], [], f"Outlet {n}")
    [row] = await store.due(T0)
    assert isinstance(row.message, AlertMessage)
    assert (len(row.message.also), row.message.also_more) == (20, 10)
    assert row.revision == 20  # past twenty outlets, only the count changes: no more edits
    assert "+25" in render(row.message)  # five named, the other fifteen and ten counted


async def test_a_feed_is_one_outlet_whatever_it_calls_itself(store: Store) -> None:
    await publish(store, "wire")
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    for n, name in enumerate(("B", "B renamed", "B again")):
        entry = Entry("b", f"{n}", "Rosatom", f"https://b.example/{n}", story="x", same_as=STORY)
        await store.commit_poll("b", change, [entry], [], name)
    [row] = await store.due(T0)
    assert isinstance(row.message, AlertMessage)
    assert ([o.name for o in row.message.also], row.revision) == (["B"], 1)


async def test_an_old_alert_is_not_edited_for_a_story_told_again_later(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", at=clock.now)
    await sender.drain()
    clock.advance(days=3)
    change = FeedUpdate(attempted_at=clock.now, next_poll_at=None, ok=True)
    entry = Entry("b", "1", "Rosatom", STORY, story=STORY)  # the same link, days later
    await store.commit_poll("b", change, [entry], [], "B", clock.now - timedelta(days=2))
    await settle(sender, clock)
    assert transport.edits == []


async def test_many_due_edits_go_in_one_round(store: Store, clock: Clock) -> None:
    chats = [1000 + n for n in range(50)]
    for chat in chats:
        await store.upsert_chat(chat, "private", None)
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await publish(store, "wire", chats, at=clock.now)
    await sender.drain()
    await publish(store, "b", chats, at=clock.now)
    clock.advance(EDIT_DELAY.total_seconds() + 1)
    await sender.drain()
    assert sorted(chat for chat, _, _ in transport.edits) == chats


async def test_an_outlet_is_kept_short(store: Store) -> None:
    await publish(store, "wire")
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    huge = "https://b.example/" + "a" * 5000
    entry = Entry("b", "1", "Rosatom", huge, story="x", same_as=STORY)
    await store.commit_poll("b", change, [entry], [], "N" * 5000)
    [row] = await store.due(T0)
    assert isinstance(row.message, AlertMessage)
    assert row.message.also == (Outlet("N" * 200, "", "b"),)


def test_the_also_line_links_the_first_outlets_and_counts_the_rest() -> None:
    entry = Entry("a", "1", "Rosatom", "https://a.example/1", story="s")
    outlets = [Outlet(f"Outlet {n} <b>", f"https://o{n}.example/x?a=1&b=2") for n in range(8)]
    message = alert_message(Alert(ALICE, entry, ("Nuclear",)), "A", T0).with_outlets(outlets)
    html = render(message)
    line = next(line for line in html.splitlines() if line.startswith("➕"))
    assert line.startswith("➕ Also: ")
    assert line.count("<a href=") == 5 and line.endswith(" +3")
    assert "Outlet 0 &lt;b&gt;" in line and "a=1&amp;b=2" in line
    assert render(message, "ru").count("➕ Также: ") == 1
    assert render(message, "kk").count("➕ Сондай-ақ: ") == 1


def test_an_alert_with_outlets_fits_a_message_whatever_their_size() -> None:
    huge = "https://x.example/" + "a" * 5000
    entry = Entry("a", "1", "T" * 5000, huge, story="s", summary="w " * 5000)
    outlets = [Outlet(f"{n}" + "N" * 500, f"{huge}{n}") for n in range(30)]
    message = alert_message(Alert(ALICE, entry, ("R" * 500,) * 8), "F" * 500, T0)
    message = message.with_outlets(outlets)
    assert len(message.also) + message.also_more == 30
    assert len(render(message)) <= 4096
    summary = summarise([(message, T0)] * 40, "held", "en", "UTC", T0)
    assert all(len(render(part)) <= 4096 for part in summary)
