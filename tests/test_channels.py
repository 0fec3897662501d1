"""A channel managed from a private chat: ``/sub NAME @channel``, ``/unsub``, ``/my``.

The whole service in-process: python-telegram-bot takes the commands from the fake Bot
API, the pipeline polls a local feed, and the sender delivers through the real
Telegram transport.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.service import telegram_service

from bot.telegram.texts import LANGUAGES, LOCALES
from bot.wiring import Parts

ALICE, CAROL, IVAN, GROUP_ADMIN = 100, 300, 200, 400
CHANNEL, GROUP, OTHER_CHANNEL = -1001009, -1004001, -1001010


@pytest.fixture
async def service(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> AsyncIterator[Parts]:
    """Alice created the channel @kz_wire (where the bot posts); Carol only reads it."""
    for user, name, lang in ((ALICE, "Alice", "en"), (CAROL, "Carol", "en"), (IVAN, "Иван", "ru")):
        bot_api.add_user(user, name, language_code=lang)
        bot_api.add_chat(user)
    bot_api.add_user(GROUP_ADMIN, "Gus")
    bot_api.add_chat(CHANNEL, "channel", "Wire <KZ>", username="kz_wire")
    bot_api.set_member(CHANNEL, ALICE, "creator")
    bot_api.set_member(CHANNEL, CAROL, "member")
    bot_api.set_member(CHANNEL, IVAN, "member")
    bot_api.add_chat(GROUP, "supergroup", "Desk", username="kz_desk")
    bot_api.set_member(GROUP, ALICE, "creator")
    bot_api.set_member(GROUP, GROUP_ADMIN, "administrator")
    async with telegram_service(tmp_path, bot_api, feed_server) as parts:
        yield parts


async def publish(parts: Parts, server: FeedServer, title: str, n: int) -> None:
    """A new entry in the feed, polled and delivered."""
    server.publish("/kz.xml", title, f"https://news.example/{n}")
    await parts.pipeline.poll_all()
    await parts.sender.drain()


def alerts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["plain_text"] for m in api.sent(chat_id) if m["plain_text"].startswith("🔔")]


async def test_an_administrator_manages_a_channel_from_a_private_chat(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    store = service.store
    reply = await bot_api.ask(ALICE, ALICE, "/sub kz-nuclear @kz_wire")
    assert reply == "Channel Wire <KZ>:\nSubscribed: Kazakhstan nuclear power"
    assert await store.subscriptions(CHANNEL) == ["kz-nuclear"]
    assert await store.subscriptions(ALICE) == []
    channel = await store.chat(CHANNEL)
    assert channel is not None and (channel.type, channel.title) == ("channel", "Wire <KZ>")

    await publish(service, feed_server, "Rosatom signs a deal in Astana", 1)
    [alert] = alerts(bot_api, CHANNEL)
    assert "Rosatom signs a deal in Astana" in alert
    assert alerts(bot_api, ALICE) == []

    reply = await bot_api.ask(ALICE, ALICE, f"/sub csto-cis {CHANNEL}")  # by its id
    assert reply.endswith("Subscribed: CSTO & CIS")
    await store.set_language(CHANNEL, "kk")  # as /lang kk posted in the channel does
    my = await bot_api.ask(ALICE, ALICE, "/my @KZ_WIRE")
    assert my.startswith("Channel Wire <KZ>:\nSubscriptions: CSTO & CIS, Kazakhstan nuclear")
    assert "Language: Қазақша (chosen with /lang)" in my  # the channel's, in Alice's words
    assert "Unsubscribed" in await bot_api.ask(ALICE, ALICE, "/unsub all @kz_wire")
    assert await store.subscriptions(CHANNEL) == []
    await publish(service, feed_server, "Rosatom again", 2)
    assert len(alerts(bot_api, CHANNEL)) == 1


async def test_a_reader_of_the_channel_is_refused(service: Parts, bot_api: FakeBotAPI) -> None:
    reply = await bot_api.ask(CAROL, CAROL, "/sub kz-nuclear @kz_wire")
    assert reply.startswith("You are not an administrator of @kz_wire")
    assert "not an administrator" in await bot_api.ask(CAROL, CAROL, "/my @kz_wire")
    assert "не администратор" in await bot_api.ask(IVAN, IVAN, "/unsub all @kz_wire")
    assert await service.store.subscriptions(CHANNEL) == []
    assert await service.store.chat(CHANNEL) is None  # nothing recorded for a refusal


async def test_a_channel_where_the_bot_cannot_post_is_refused(
    service: Parts, bot_api: FakeBotAPI
) -> None:
    bot_api.set_member(CHANNEL, bot_api.bot_id, "administrator", can_post_messages=False)
    reply = await bot_api.ask(ALICE, ALICE, "/sub kz-nuclear @kz_wire")
    assert reply.startswith("The bot cannot post in @kz_wire")
    assert "“Post messages”" in reply
    bot_api.set_member(CHANNEL, bot_api.bot_id, "left")
    assert "cannot post" in await bot_api.ask(ALICE, ALICE, "/sub kz-nuclear @kz_wire")
    assert await service.store.subscriptions(CHANNEL) == []
    bot_api.set_member(CHANNEL, bot_api.bot_id, "administrator")  # given the right: it works
    assert "Subscribed" in await bot_api.ask(ALICE, ALICE, "/sub kz-nuclear @kz_wire")


async def test_unknown_channels_and_other_chats(service: Parts, bot_api: FakeBotAPI) -> None:
    reply = await bot_api.ask(ALICE, ALICE, "/sub kz-nuclear @nobody_here")
    assert reply.startswith("Channel @nobody_here not found")
    asked = len(bot_api.calls("getChat"))
    for bad in ("@x", "@<b>bold</b>", "-5" + "0" * 40):
        assert "not found" in await bot_api.ask(ALICE, ALICE, f"/sub kz-nuclear {bad}")
    assert len(bot_api.calls("getChat")) == asked  # not worth asking Telegram about
    for reference in ("@kz_desk", str(GROUP)):
        reply = await bot_api.ask(ALICE, ALICE, f"/sub kz-nuclear {reference}")
        assert reply.startswith(f"{reference} is not a channel")
    assert await service.store.subscriptions(GROUP) == []


async def test_a_channel_is_managed_only_from_a_private_chat(
    service: Parts, bot_api: FakeBotAPI
) -> None:
    bot_api.set_member(CHANNEL, GROUP_ADMIN, "administrator")
    reply = await bot_api.ask(GROUP, GROUP_ADMIN, "/sub kz-nuclear @kz_wire")
    assert reply.startswith("A channel is managed from a private chat with the bot")
    assert "private chat" in await bot_api.ask(CHANNEL, None, "/sub kz-nuclear @kz_wire")
    assert await service.store.subscriptions(CHANNEL) == []
    assert await service.store.subscriptions(GROUP) == []
    # without the channel, a command in the channel itself changes the channel
    assert "Subscribed" in await bot_api.ask(CHANNEL, None, "/sub csto-cis")
    assert await service.store.subscriptions(CHANNEL) == ["csto-cis"]


async def test_a_name_without_a_watchlist_is_the_usage(service: Parts, bot_api: FakeBotAPI) -> None:
    assert "Usage" in await bot_api.ask(ALICE, ALICE, "/sub @kz_wire")
    assert bot_api.calls("getChat") == []
    reply = await bot_api.ask(ALICE, ALICE, "/sub nonsense @kz_wire")
    assert reply.startswith("Channel Wire <KZ>:\nUnknown watchlist: nonsense")


def test_every_language_has_every_text_with_the_same_fields() -> None:
    keys: dict[str, dict[str, list[str]]] = {}
    for lang in LANGUAGES:
        with (LOCALES / lang / "LC_MESSAGES" / "channels.po").open("rb") as source:
            for message in read_po(source):
                if message.id:
                    fields = sorted(re.findall(r"\{[^}]*\}", str(message.string)))
                    keys.setdefault(str(message.id), {})[lang] = fields
    assert keys and all(len(by_lang) == len(LANGUAGES) for by_lang in keys.values())
    assert all(len({tuple(f) for f in by_lang.values()}) == 1 for by_lang in keys.values())
