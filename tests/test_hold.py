"""Held alerts: the pure hold/release rules, then the sender on a real SQLite outbox with
the clock in the test's hands (mutes, quiet hours, digests, restarts, long summaries)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from support.clock import Clock
from support.transport import FakeTransport

from bot.delivery.hold import (
    Digest,
    Policy,
    Window,
    find_zone,
    in_window,
    parse_digest,
    parse_duration,
    parse_window,
    period_end,
)
from bot.delivery.render import MAX_MESSAGE, render
from bot.delivery.sender import Sender
from bot.delivery.terminal import terminal_text
from bot.messages import (
    AlertMessage,
    FeedNotice,
    HeldAlerts,
    Summary,
    alert_message,
    dump,
    load,
)
from bot.models import Alert, Entry
from bot.store import schema as t
from bot.store.held import HeldRow
from bot.store.records import FeedUpdate
from bot.store.store import Store

ALICE, BOB = 100, 200
FEED, FEED_TITLE = "a", "Astana Daily"
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 all year
LONDON = ZoneInfo("Europe/London")  # BST from 31 Mar 2030 01:00 UTC


# ------------------------------------------------------------------ the pure rules


def test_quiet_hours_cross_midnight_in_the_chat_zone() -> None:
    window = Window(time(22), time(7))
    assert in_window(window, datetime(2030, 5, 1, 23, 30))
    assert in_window(window, datetime(2030, 5, 2, 6, 59))
    assert not in_window(window, datetime(2030, 5, 2, 7, 0))
    assert not in_window(window, datetime(2030, 5, 1, 21, 59))
    policy = Policy(zone=ALMATY, quiet=window)
    assert policy.quiet_at(datetime(2030, 5, 1, 17, 0, tzinfo=UTC))  # 22:00 in Almaty
    assert not policy.quiet_at(datetime(2030, 5, 1, 16, 59, tzinfo=UTC))
    assert not policy.quiet_at(datetime(2030, 5, 2, 2, 0, tzinfo=UTC))  # 07:00 there


def test_quiet_hours_follow_daylight_saving_time() -> None:
    policy = Policy(zone=LONDON, quiet=Window(time(22), time(7)))
    assert policy.quiet_at(datetime(2030, 1, 10, 22, 30, tzinfo=UTC))  # GMT: 22:30
    assert not policy.quiet_at(datetime(2030, 7, 10, 6, 30, tzinfo=UTC))  # BST: 07:30
    assert policy.quiet_at(datetime(2030, 7, 10, 21, 30, tzinfo=UTC))  # BST: 22:30


def test_digest_periods_hourly_and_daily() -> None:
    held = datetime(2030, 5, 1, 12, 10, tzinfo=UTC)
    assert period_end(Digest(), ALMATY, held) == datetime(2030, 5, 1, 13, tzinfo=UTC)
    nine = Digest(time(9))
    assert period_end(nine, ALMATY, held) == datetime(2030, 5, 2, 4, tzinfo=UTC)  # 09:00 +5
    early = datetime(2030, 5, 1, 3, 59, tzinfo=UTC)
    assert period_end(nine, ALMATY, early) == datetime(2030, 5, 1, 4, tzinfo=UTC)
    # across the switch to summer time, 09:00 local is 09:00 GMT, then 08:00 UTC
    before = datetime(2030, 3, 30, 10, tzinfo=UTC)
    assert period_end(nine, LONDON, before) == datetime(2030, 3, 31, 8, tzinfo=UTC)
    # a daily time that the switch skips (01:30 on 31 March) counts as the hour after
    gap = Digest(time(1, 30))
    end = period_end(gap, LONDON, datetime(2030, 3, 31, 0, 10, tzinfo=UTC))
    assert end == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    # an hour repeated when summer time ends is still an hour
    repeated = datetime(2030, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert period_end(Digest(), LONDON, repeated) == datetime(2030, 10, 27, 1, tzinfo=UTC)


def test_a_watchlist_mute_holds_only_alerts_of_muted_watchlists_alone() -> None:
    policy = Policy(mutes={"nuclear": T0 + timedelta(hours=1)})
    assert policy.holds(("nuclear",), (), T0) == "mute"
    assert policy.holds(("nuclear", "csto"), (), T0) is None  # csto is not muted
    assert policy.holds(("nuclear",), (7,), T0) is None  # a personal rule matched too
    assert policy.holds(("nuclear",), (), T0 + timedelta(hours=1)) is None  # it ended
    chat = Policy(mutes={"*": T0 + timedelta(hours=1)})
    assert chat.holds(("csto",), (7,), T0) == "mute"
    assert chat.holds((), (7,), T0) == "mute"


def test_frees_waits_for_every_hold_and_the_digest_period() -> None:
    held = T0 + timedelta(minutes=10)
    policy = Policy(digest=Digest(), quiet=Window(time(12, 30), time(13, 30)))
    assert policy.holds((), (), held) == "digest"
    assert not policy.frees((), (), held, T0 + timedelta(minutes=50))  # the hour goes on
    assert not policy.frees((), (), held, T0 + timedelta(hours=1))  # quiet till 13:30
    assert policy.frees((), (), held, T0 + timedelta(minutes=90))


def test_parsing_settings() -> None:
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("8H") == timedelta(hours=8)
    assert parse_duration("1d12h") == timedelta(hours=36)
    assert [parse_duration(s) for s in ("", "0m", "8", "h", "-1h", "8x", "1" * 30 + "d")] == [
        None
    ] * 7
    assert parse_window("22:00-07:00") == Window(time(22), time(7))
    assert [parse_window(s) for s in ("22:00", "24:00-07:00", "7:00-7:00", "a-b")] == [None] * 4
    assert parse_digest("daily 09:30") == Digest(time(9, 30))
    assert parse_digest("hourly") == Digest()
    assert parse_digest("daily 25:00") is None
    assert find_zone("asia/almaty") == ALMATY
    assert find_zone("../../etc/passwd") is None and find_zone("Mars/Olympus") is None
    assert Policy.stored("Nowhere", "bad", "weekly", {}) == Policy()


def test_an_alert_message_keeps_its_watchlists_and_rules_and_old_payloads_load() -> None:
    message = AlertMessage(("Nuclear",), "T", (), "https://x.example/", "F", T0, None, ("n",), (3,))
    assert load(*dump(message)) == message
    kind, payload = dump(AlertMessage(("Nuclear",), "T", (), "https://x.example/", "F", T0))
    assert "watchlists" not in payload
    old = load(kind, payload)
    assert isinstance(old, AlertMessage) and old.watchlists == () and old.rules == ()


# ------------------------------------------------------------------ the sender


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def db(database_url: str) -> str:
    return database_url


@pytest.fixture
async def store(db: str) -> AsyncIterator[Store]:
    store = await Store.open(db)
    await store.sync_feeds([(FEED, "https://news.example/rss", FEED_TITLE)])
    for chat_id in (ALICE, BOB):
        await store.upsert_chat(chat_id, "private", None)
    try:
        yield store
    finally:
        await store.close()


async def queue(
    store: Store,
    titles: Sequence[str],
    at: datetime,
    watchlists: tuple[str, ...] = ("nuclear",),
    rules: tuple[int, ...] = (),
    chat: int = ALICE,
    link_size: int = 0,
) -> None:
    """New entries titled ``titles`` (published one minute apart), alerted to ``chat``."""
    entries = [
        Entry(FEED, f"k-{title}", title, _link(title, link_size), story=_link(title, link_size))
        for title in titles
    ]
    reasons = tuple(w.title() for w in watchlists) + tuple(f"“rule {r}”" for r in rules)
    pairs = []
    for n, entry in enumerate(entries):
        alert = Alert(chat, entry, reasons, watchlists=watchlists, rules=rules)
        pairs.append((alert, alert_message(alert, FEED_TITLE, at + timedelta(minutes=n))))
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    assert await store.commit_poll(FEED, change, entries, pairs) == len(pairs)


def _link(title: str, size: int) -> str:
    base = f"https://news.example/{title.replace(' ', '-')}"
    return base + "?" + "q" * size if size else base


def summaries(transport: FakeTransport, chat: int = ALICE) -> list[Summary]:
    return [m for m in transport.to(chat) if isinstance(m, Summary)]


def titles_of(parts: Sequence[Summary]) -> list[str]:
    return [item.title for part in parts for item in part.items]


async def statuses(store: Store) -> list[str]:
    async with store.engine.connect() as conn:
        query = select(t.outbox.c.status).order_by(t.outbox.c.id)
        return [r[0] for r in await conn.execute(query)]


async def test_a_mute_holds_alerts_and_its_end_sends_one_summary(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.mute(ALICE, "*", T0 + timedelta(hours=8), T0)
    await queue(store, ["Rosatom one", "Rosatom two"], T0)
    await queue(store, ["Rosatom for Bob"], T0, chat=BOB)
    assert await sender.drain() == 1  # Bob's alert; Alice's two are held
    assert transport.to(ALICE) == []
    clock.advance(hours=3)
    await queue(store, ["Rosatom three"], clock.now)
    assert await sender.drain() == 0
    clock.advance(hours=5)  # the mute ends
    assert await sender.drain() == 1
    assert await sender.drain() == 0
    [summary] = summaries(transport)
    assert transport.to(ALICE) == [summary]
    assert titles_of([summary]) == ["Rosatom three", "Rosatom two", "Rosatom one"]  # newest
    assert (summary.why, summary.total, summary.counts) == ("held", 3, (("Nuclear", 3),))
    assert (summary.since, summary.until) == (T0, T0 + timedelta(hours=8))
    html = render(summary)
    assert "3 alerts held" in html and '<a href="https://news.example/Rosatom-two">' in html
    assert sorted(await statuses(store)) == ["sent", "sent", *["summarised"] * 3]


async def test_unmute_of_one_watchlist_releases_its_alerts(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.mute(ALICE, "nuclear", T0 + timedelta(days=1), T0)
    await queue(store, ["Rosatom"], T0)
    await queue(store, ["CSTO and Rosatom"], T0, watchlists=("nuclear", "csto"))
    await queue(store, ["Rosatom by rule"], T0, rules=(4,))
    assert await sender.drain() == 2  # another watchlist, or a personal rule, matched too
    assert [m.title for m in transport.to(ALICE) if isinstance(m, AlertMessage)] == [
        "CSTO and Rosatom",
        "Rosatom by rule",
    ]
    clock.advance(minutes=10)
    assert await sender.drain() == 0
    assert await store.unmute(ALICE, "nuclear", clock.now) == ["nuclear"]
    sender.wake()  # as /unmute does
    assert await sender.drain() == 1
    [summary] = summaries(transport)
    assert titles_of([summary]) == ["Rosatom"]


async def test_quiet_hours_across_midnight_hold_until_morning(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.set_time_zone(ALICE, "Asia/Almaty")
    await store.set_quiet(ALICE, "22:00-07:00")
    clock.now = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)  # 23:00 in Almaty
    await queue(store, ["Rosatom late"], clock.now)
    assert await sender.drain() == 0
    clock.now = datetime(2030, 5, 1, 21, 0, tzinfo=UTC)  # 02:00 in Almaty
    await queue(store, ["Rosatom at night"], clock.now)
    assert await sender.drain() == 0
    clock.now = datetime(2030, 5, 2, 1, 59, tzinfo=UTC)
    assert await sender.drain() == 0
    clock.now = datetime(2030, 5, 2, 2, 0, tzinfo=UTC)  # 07:00: quiet hours are over
    assert await sender.drain() == 1
    [summary] = summaries(transport)
    assert titles_of([summary]) == ["Rosatom at night", "Rosatom late"]
    assert "01 May 23:00 – 02 May 07:00 (Asia/Almaty)" in render(summary)
    await queue(store, ["Rosatom by day"], clock.now)
    assert await sender.drain() == 1
    assert isinstance(transport.to(ALICE)[-1], AlertMessage)


async def test_an_hourly_digest_sends_one_message_per_hour(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.set_digest(ALICE, "hourly")
    clock.advance(minutes=10)
    await queue(store, ["Rosatom a"], clock.now)
    await queue(store, ["CSTO b"], clock.now, watchlists=("csto",))
    await queue(store, ["Rosatom c"], clock.now)
    assert await sender.drain() == 0
    clock.now = T0 + timedelta(minutes=59)
    assert await sender.drain() == 0
    clock.now = T0 + timedelta(hours=1)
    await queue(store, ["Rosatom next hour"], clock.now)
    assert await sender.drain() == 1
    [digest] = summaries(transport)
    assert digest.why == "digest" and digest.counts == (("Nuclear", 2), ("Csto", 1))
    assert titles_of([digest]) == ["Rosatom c", "Rosatom a", "CSTO b"]  # grouped
    html = render(digest)
    assert html.index("<b>Nuclear</b>") < html.index("<b>Csto</b>")
    clock.now = T0 + timedelta(hours=2)
    assert await sender.drain() == 1
    assert titles_of(summaries(transport)[1:]) == ["Rosatom next hour"]


async def test_a_daily_digest_goes_at_its_local_time_and_off_flushes(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.set_time_zone(ALICE, "Asia/Almaty")
    await store.set_digest(ALICE, "daily 09:00")
    await queue(store, ["Rosatom noon"], T0)  # 17:00 in Almaty
    assert await sender.drain() == 0
    clock.now = datetime(2030, 5, 2, 3, 59, tzinfo=UTC)
    assert await sender.drain() == 0
    clock.now = datetime(2030, 5, 2, 4, 0, tzinfo=UTC)  # 09:00 in Almaty
    assert await sender.drain() == 1
    assert titles_of(summaries(transport)) == ["Rosatom noon"]
    clock.advance(hours=1)
    await queue(store, ["Rosatom after"], clock.now)
    assert await sender.drain() == 0
    await store.set_digest(ALICE, None)  # /digest off
    assert await sender.drain() == 1
    assert titles_of(summaries(transport)) == ["Rosatom noon", "Rosatom after"]


async def test_a_restart_in_a_held_period_sends_the_summary_once(
    db: str, store: Store, clock: Clock
) -> None:
    first = FakeTransport()
    await store.set_digest(ALICE, "hourly")
    await queue(store, ["Rosatom one", "Rosatom two"], T0)
    assert await Sender(store, first, clock=clock).drain() == 0
    await store.close()
    reopened = await Store.open(db)
    try:
        clock.advance(minutes=30)
        await queue(reopened, ["Rosatom three"], clock.now)
        second = FakeTransport()
        assert await Sender(reopened, second, clock=clock).drain() == 0
        clock.advance(minutes=30)
        # the summary is queued, then the process dies before sending it
        second.script(ALICE, [RuntimeError("killed")])
        assert await Sender(reopened, second, clock=clock).drain() == 0
        third = FakeTransport()
        assert await Sender(reopened, third, clock=clock).drain() == 1
        assert await Sender(reopened, third, clock=clock).drain() == 0
        [digest] = summaries(third)
        assert sorted(titles_of([digest])) == ["Rosatom one", "Rosatom three", "Rosatom two"]
        assert (await statuses(reopened)).count("summarised") == 3
    finally:
        await reopened.close()


async def test_a_long_summary_is_split_and_ends_with_and_more(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.mute(ALICE, "*", T0 + timedelta(hours=1), T0)
    titles = [f"Rosatom & <item> {n:02}" for n in range(25)]
    await queue(store, titles, T0, link_size=900)
    assert await sender.drain() == 0
    clock.advance(hours=1)
    assert await sender.drain() > 1
    parts = summaries(transport)
    assert len(parts) > 1 and all(len(render(p)) <= MAX_MESSAGE for p in parts)
    assert titles_of(parts) == titles[::-1][:20]  # newest first, twenty listed
    assert [p.more for p in parts] == [0] * (len(parts) - 1) + [5]
    assert "and 5 more, see /recent" in render(parts[-1])
    assert "Rosatom &amp; &lt;item&gt; 24" in render(parts[0])
    assert parts[0].counts and not parts[1].counts
    shown = terminal_text(parts[-1], color=False)
    assert "and 5 more, see /recent" in shown and "\x1b" not in shown
    assert await sender.drain() == 0


async def test_notices_are_never_held(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    await store.mute(ALICE, "*", T0 + timedelta(hours=1), T0)
    notice = FeedNotice(FEED, "https://news.example/rss", "gone")
    assert await store.queue_notice(notice, [ALICE], T0, T0) == 1
    assert await Sender(store, transport, clock=clock).drain() == 1
    assert transport.to(ALICE) == [notice]


async def test_holding_reads_every_chat_at_once_and_skips_inactive_chats(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.set_time_zone(ALICE, "Asia/Almaty")
    await store.set_digest(ALICE, "hourly")
    await store.mute(BOB, "nuclear", T0 + timedelta(hours=2), T0)
    await queue(store, ["Rosatom one"], T0)
    await queue(store, ["Rosatom for Bob"], T0, chat=BOB)
    assert await sender.drain() == 0
    holding = await store.holding(clock.now)
    assert [(chat, s.digest, s.time_zone, since) for chat, s, since in holding] == [
        (ALICE, "hourly", "Asia/Almaty", T0),
        (BOB, None, None, T0),
    ]
    assert holding[1][1].mutes == {"nuclear": T0 + timedelta(hours=2)}

    await store.deactivate_chat(BOB, "bot blocked by the user")
    assert [chat for chat, _, _ in await store.holding(clock.now)] == [ALICE]
    clock.advance(hours=3)  # Alice's digest hour and Bob's mute are over
    assert await sender.drain() == 1
    assert summaries(transport) and transport.to(BOB) == []  # nothing wasted on Bob
    await store.upsert_chat(BOB, "private", None)  # Bob is back: what was held comes
    assert await sender.drain() == 1
    assert titles_of(summaries(transport, BOB)) == ["Rosatom for Bob"]


def test_may_free_is_false_only_when_no_held_alert_can_be_free() -> None:
    now = datetime(2030, 1, 1, 12, 30, tzinfo=UTC)
    hourly = Policy(digest=Digest())
    assert not hourly.may_free(now - timedelta(minutes=20), now)  # the hour runs on
    assert hourly.may_free(now - timedelta(minutes=40), now)
    assert not Policy(mutes={"*": now + timedelta(hours=1)}).may_free(now, now)
    assert Policy(mutes={"nuclear": now + timedelta(hours=1)}).may_free(now, now)
    quiet = Policy(quiet=Window(time(12), time(13)))
    assert not quiet.may_free(now - timedelta(days=1), now)


async def test_summaries_go_to_the_forum_topics_their_alerts_were_for(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.subscribe(ALICE, ["nuclear"], thread_id=5)
    await store.subscribe(ALICE, ["csto"])
    await store.mute(ALICE, "*", T0 + timedelta(hours=1), T0)
    await queue(store, ["Rosatom one", "Rosatom two"], T0)
    await queue(store, ["CSTO meets"], T0, watchlists=("csto",))
    assert await sender.drain() == 0
    clock.advance(hours=2)
    assert await sender.drain() == 2
    by_topic = {
        thread: titles_of([message])
        for (_, message), thread in zip(transport.sent, transport.threads, strict=True)
        if isinstance(message, Summary)
    }
    assert by_topic == {5: ["Rosatom two", "Rosatom one"], None: ["CSTO meets"]}


async def test_a_chat_whose_alerts_stay_held_is_not_read_again_until_a_hold_can_end(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    reads: list[int] = []
    held = store.held

    async def counted(chat_id: int) -> list[HeldRow]:
        reads.append(chat_id)
        return await held(chat_id)

    store.held = counted  # type: ignore[method-assign]
    await store.mute(ALICE, "nuclear", T0 + timedelta(minutes=30), T0)
    await queue(store, ["Rosatom one"], T0)
    for _ in range(5):  # rounds every few seconds: the held alert is read once
        assert await sender.drain() == 0
        clock.advance(seconds=5)
    assert reads == [ALICE]
    clock.advance(minutes=1)  # the longest a holding chat goes unchecked
    assert await sender.drain() == 0
    assert reads == [ALICE, ALICE]
    clock.now = T0 + timedelta(minutes=30)  # the mute ends: read again, and released
    assert await sender.drain() == 1
    assert titles_of(summaries(transport)) == ["Rosatom one"]


async def test_a_summary_waits_behind_a_flood_wait_and_unreadable_held_rows_fail(
    store: Store, clock: Clock
) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, clock=clock)
    await store.mute(ALICE, "*", T0 + timedelta(hours=1), T0)
    await queue(store, ["Rosatom one", "Rosatom broken"], T0)
    assert await sender.drain() == 0
    async with store.engine.begin() as conn:
        await conn.execute(update(t.outbox).where(t.outbox.c.id == 2).values(payload="{not json"))
    clock.advance(hours=2)
    await queue(store, ["Rosatom later"], clock.now)
    await store.postpone_chat(ALICE, clock.now + timedelta(seconds=30))  # retry_after
    assert await sender.drain() == 0  # neither the summary nor the alert goes yet
    assert await statuses(store) == ["summarised", "failed", "pending", "pending"]
    clock.advance(seconds=30)
    assert await sender.drain() == 2
    assert titles_of(summaries(transport)) == ["Rosatom one"]


async def test_alerts_too_old_are_folded_per_forum_topic(store: Store, clock: Clock) -> None:
    transport = FakeTransport()
    sender = Sender(store, transport, max_age=3600, clock=clock)
    await store.subscribe(ALICE, ["nuclear"], thread_id=5)
    await store.subscribe(ALICE, ["csto"])
    await queue(store, ["Rosatom one", "Rosatom two"], T0)
    await queue(store, ["CSTO meets"], T0, watchlists=("csto",))
    clock.advance(hours=2)  # the service was down: every alert is older than max_age
    assert await sender.drain() == 2
    folded = {
        thread: [title for title, _ in message.stories]
        for (_, message), thread in zip(transport.sent, transport.threads, strict=True)
        if isinstance(message, HeldAlerts)
    }
    assert folded == {5: ["Rosatom one", "Rosatom two"], None: ["CSTO meets"]}
