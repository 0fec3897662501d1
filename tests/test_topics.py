"""Forum topics: ``/sub`` inside a topic sends that watchlist's alerts there.

Commands and delivery run the whole service in-process against the fake Bot API and a
local feed; the store's bookkeeping of topics is checked on its own at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.service import telegram_service
from telegram import Bot

from bot.delivery.sender import RetryLater, SendFailed, Sent
from bot.messages import StoredHtml, alert_message
from bot.models import Alert, Entry
from bot.store.records import FeedUpdate
from bot.store.store import Store
from bot.telegram.transport import TelegramTransport
from bot.wiring import Parts

DAVE, CAROL = 400, 300
FORUM, GROUP = -1004001, -700
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def service(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> AsyncIterator[Parts]:
    """A forum where Dave is an administrator and Carol a member."""
    bot_api.add_user(DAVE, "Dave")
    bot_api.add_user(CAROL, "Carol")
    bot_api.add_chat(FORUM, "supergroup", "Newsroom", is_forum=True)
    bot_api.set_member(FORUM, DAVE, "administrator")
    bot_api.set_member(FORUM, CAROL, "member")
    async with telegram_service(tmp_path, bot_api, feed_server) as parts:
        yield parts


async def say(api: FakeBotAPI, user: int, text: str, thread_id: int | None = None) -> str:
    """Send ``text`` in the forum (inside topic ``thread_id``); the bot's answer."""
    return await api.ask(FORUM, user, text, thread_id)


async def publish(parts: Parts, server: FeedServer, title: str, n: int) -> None:
    """A new entry in the feed, polled and delivered."""
    server.publish("/kz.xml", title, f"https://news.example/{n}")
    await parts.pipeline.poll_all()
    await parts.sender.drain()


def alerts(api: FakeBotAPI) -> list[tuple[int | None, str]]:
    """(topic, text) of every alert the forum got."""
    return [
        (m["message_thread_id"], m["plain_text"])
        for m in api.sent(FORUM)
        if m["plain_text"].startswith("🔔")
    ]


async def test_each_watchlist_gets_the_topic_it_was_subscribed_in(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    nuclear = bot_api.add_topic(FORUM, "Nuclear")
    reply = await say(bot_api, DAVE, "/sub kz-nuclear", nuclear)
    assert reply == f"Subscribed: Kazakhstan nuclear power\nAlerts go to topic #{nuclear}."
    assert "Subscribed: CSTO & CIS" in await say(bot_api, DAVE, "/sub csto-cis")  # General
    assert await service.store.topics(FORUM) == {"csto-cis": None, "kz-nuclear": nuclear}

    await publish(service, feed_server, "Rosatom signs a deal", 1)
    await publish(service, feed_server, "CSTO ministers meet", 2)
    [(topic, text), (general, other)] = alerts(bot_api)
    assert (topic, general) == (nuclear, None)
    assert "Rosatom signs a deal" in text and "CSTO ministers meet" in other

    my = await say(bot_api, DAVE, "/my")
    assert f"CSTO & CIS (General topic), Kazakhstan nuclear power (topic #{nuclear})" in my
    [link] = [e["url"] for e in bot_api.sent(FORUM)[-1]["entities"] if e["type"] == "text_link"]
    assert link == f"https://t.me/c/4001/{nuclear}"


async def test_a_sub_from_another_topic_moves_the_watchlist(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    nuclear, desk = bot_api.add_topic(FORUM, "Nuclear"), bot_api.add_topic(FORUM, "Desk")
    await say(bot_api, DAVE, "/sub kz-nuclear", nuclear)
    reply = await say(bot_api, DAVE, "/sub kz-nuclear csto-cis", desk)
    assert reply == (
        f"Subscribed: CSTO & CIS\nAlerts go to topic #{desk}.\n"
        f"Moved to topic #{desk}: Kazakhstan nuclear power"
    )
    assert "Already subscribed: CSTO & CIS" in await say(bot_api, DAVE, "/sub csto-cis", desk)
    await publish(service, feed_server, "Rosatom signs a deal", 1)
    assert [topic for topic, _ in alerts(bot_api)] == [desk]

    reply = await say(bot_api, DAVE, "/sub kz-nuclear")
    assert reply == "Moved to the General topic: Kazakhstan nuclear power"
    assert "Already subscribed" in await say(bot_api, DAVE, "/sub kz-nuclear")
    await publish(service, feed_server, "Rosatom again", 2)
    assert [topic for topic, _ in alerts(bot_api)] == [desk, None]


@pytest.mark.parametrize("gone", ["closed", "deleted"])
async def test_a_closed_or_deleted_topic_falls_back_to_the_general_topic(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer, gone: str
) -> None:
    nuclear = bot_api.add_topic(FORUM, "Nuclear")
    await say(bot_api, DAVE, "/sub kz-nuclear", nuclear)
    if gone == "closed":
        bot_api.close_topic(FORUM, nuclear)
    else:
        bot_api.delete_topic(FORUM, nuclear)
    await publish(service, feed_server, "Rosatom signs a deal", 1)
    [(topic, text)] = alerts(bot_api)
    assert topic is None and "Rosatom signs a deal" in text
    assert await service.store.outbox_counts() == {"sent": 1}
    refused = [c.description for c in bot_api.calls("sendMessage") if not c.ok]
    assert refused == [
        "Bad Request: TOPIC_CLOSED" if gone == "closed" else "Bad Request: message thread not found"
    ]
    if gone == "closed":  # the topic is kept, and used again once it is reopened
        bot_api.reopen_topic(FORUM, nuclear)
        await publish(service, feed_server, "Rosatom again", 2)
        assert [topic for topic, _ in alerts(bot_api)] == [None, nuclear]


async def test_only_administrators_choose_a_topic(service: Parts, bot_api: FakeBotAPI) -> None:
    nuclear = bot_api.add_topic(FORUM, "Nuclear")
    assert "administrators" in await say(bot_api, CAROL, "/sub kz-nuclear", nuclear)
    assert await service.store.topics(FORUM) == {}
    await say(bot_api, DAVE, "/sub kz-nuclear")
    assert "administrators" in await say(bot_api, CAROL, "/sub kz-nuclear", nuclear)
    assert await service.store.topics(FORUM) == {"kz-nuclear": None}


async def test_the_transport_falls_back_only_for_a_lost_topic(bot_api: FakeBotAPI) -> None:
    bot_api.add_chat(FORUM, "supergroup", "Newsroom", is_forum=True)
    nuclear = bot_api.add_topic(FORUM, "Nuclear")
    message = StoredHtml("<b>news</b>")
    async with Bot(bot_api.token, base_url=f"{bot_api.api_url}/bot") as bot:
        transport = TelegramTransport(bot)
        assert isinstance(await transport.send(FORUM, message, nuclear), Sent)
        bot_api.flood(FORUM)
        assert isinstance(await transport.send(FORUM, message, nuclear), RetryLater)
        bot_api.fail_sends(FORUM, description="Bad Request: message thread not found")
        assert isinstance(await transport.send(FORUM, message), SendFailed)  # no topic asked
        bot_api.delete_topic(FORUM, nuclear)
        assert isinstance(await transport.send(FORUM, message, nuclear), Sent)
    assert [m["message_thread_id"] for m in bot_api.sent(FORUM)] == [nuclear, None]


# ---------------------------------------------------------------- the store's bookkeeping


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.sync_feeds([("a", "https://news.example/rss", "Astana Daily")])
    for chat_id, kind in ((FORUM, "supergroup"), (GROUP, "group")):
        await store.upsert_chat(chat_id, kind, None)
    try:
        yield store
    finally:
        await store.close()


async def test_subscriptions_keep_their_topic_until_moved(store: Store) -> None:
    assert await store.subscribe(FORUM, ["a", "b"], 7) == ["a", "b"]
    assert await store.subscribe(FORUM, ["b", "c"]) == ["c"]  # b stays in topic 7
    assert await store.topics(FORUM) == {"a": 7, "b": 7, "c": None}
    assert await store.move_to_topic(FORUM, iter(["a", "c", "unknown"]), 9) == ["a", "c"]
    assert await store.move_to_topic(FORUM, ["a", "b"], 9) == ["b"]
    assert await store.move_to_topic(FORUM, ["b"], None) == ["b"]
    assert await store.topics(FORUM) == {"a": 9, "b": None, "c": 9}
    assert await store.topics(GROUP) == {}


async def test_an_alert_goes_to_the_topic_of_its_first_watchlist_that_has_one(
    store: Store,
) -> None:
    await store.subscribe(FORUM, ["general"])
    await store.subscribe(FORUM, ["nuclear"], 7)
    await store.subscribe(FORUM, ["trade"], 9)
    await store.subscribe(GROUP, ["general", "nuclear", "trade"])
    cases = {
        ("general", "trade", "nuclear"): 9,
        ("nuclear", "trade"): 7,
        ("general",): None,
    }
    alerts = []
    for n, names in enumerate(cases):
        entry = Entry("a", f"k{n}", f"Title {n}", f"https://news.example/{n}", story=f"s{n}")
        for chat in (FORUM, GROUP):
            alert = Alert(chat, entry, names, watchlists=names)
            alerts.append((alert, alert_message(alert, "Astana Daily", T0)))
    entries = list({a.entry.key: a.entry for a, _ in alerts}.values())
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    assert await store.commit_poll("a", change, entries, alerts) == 6
    rows = await store.due(T0)
    assert [r.thread_id for r in rows if r.chat_id == FORUM] == list(cases.values())
    assert [r.thread_id for r in rows if r.chat_id == GROUP] == [None, None, None]


async def test_a_migrated_chat_keeps_its_topics(store: Store) -> None:
    await store.subscribe(GROUP, ["nuclear"], 7)
    await store.subscribe(GROUP, ["trade"])
    entry = Entry("a", "k", "Title", "https://news.example/k", story="s")
    alert = Alert(GROUP, entry, ("nuclear",), watchlists=("nuclear",))
    change = FeedUpdate(attempted_at=T0, next_poll_at=None, ok=True)
    await store.commit_poll("a", change, [entry], [(alert, alert_message(alert, "A", T0))])
    await store.migrate_chat(GROUP, FORUM - 1)
    assert await store.topics(FORUM - 1) == {"nuclear": 7, "trade": None}
    [row] = await store.due(T0)
    assert (row.chat_id, row.thread_id) == (FORUM - 1, 7)


async def test_replies_and_buttons_stay_in_the_topic_they_were_used_in(
    service: Parts, bot_api: FakeBotAPI
) -> None:
    nuclear = bot_api.add_topic(FORUM, "Nuclear")
    assert "Watchlists" in await say(bot_api, DAVE, "/lists", nuclear)
    lists = bot_api.sent(FORUM)[-1]
    assert lists["message_thread_id"] == nuclear
    bot_api.push_callback(FORUM, DAVE, "t:kz-nuclear", lists["message_id"])
    await bot_api.wait_for_async(lambda: bot_api.edits(FORUM), what="keyboard edited")
    assert await service.store.topics(FORUM) == {"kz-nuclear": nuclear}

    bot_api.close_topic(FORUM, nuclear)  # closed after the command was sent
    assert "Commands" in await say(bot_api, DAVE, "/help", nuclear)
    assert bot_api.sent(FORUM)[-1].get("message_thread_id") is None  # General
