"""Telegram commands through a real python-telegram-bot Application and the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import CSTO, NUCLEAR, write_config
from fakebotapi import FakeBotAPI

from bot.config import load_config
from bot.runner import build_application
from bot.store.store import Store
from bot.telegram.commands import Commands
from bot.telegram.gate import Gate

ALICE, IVAN, CAROL, GROUP, CHANNEL = 100, 200, 300, -700, -1009


@pytest.fixture
async def store(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[Store]:
    path = write_config(
        tmp_path,
        {},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    config = load_config(path, env={})
    opened = await Store.open(config.storage.url)
    app = build_application(config)
    commands = Commands(opened, config.watchlists, Gate(opened, config.telegram.admins))
    commands.install(app)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_user(CAROL, "Carol")
    bot_api.add_chat(GROUP, "group", "Desk")
    bot_api.set_member(GROUP, CAROL, "member")
    bot_api.set_member(GROUP, ALICE, "creator")
    bot_api.add_chat(CHANNEL, "channel", "Wire")
    async with app:
        await commands.publish(app.bot)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield opened
        finally:
            await app.updater.stop()
            await app.stop()
            await opened.close()


async def say(api: FakeBotAPI, chat: int, user: int | None, text: str, count: int) -> str:
    api.push_message(chat, user, text)
    return str((await api.wait_sent_async(chat, count))[count - 1]["plain_text"])


async def test_menu_is_published_in_both_languages(store: Store, bot_api: FakeBotAPI) -> None:
    calls = bot_api.calls("setMyCommands")
    assert [c.params.get("language_code") for c in calls] == [None, "ru"]
    assert [c["command"] for c in calls[0].params["commands"]][:3] == ["start", "lists", "sub"]


async def test_sub_unsub_and_my(store: Store, bot_api: FakeBotAPI) -> None:
    reply = await say(bot_api, ALICE, ALICE, "/sub kz-nuclear nonsense", 1)
    assert "Subscribed: Kazakhstan nuclear power" in reply
    assert "Unknown watchlist: nonsense. Known: csto-cis, kz-nuclear" in reply
    assert "Already subscribed" in await say(bot_api, ALICE, ALICE, "/sub kz-nuclear", 2)
    my = await say(bot_api, ALICE, ALICE, "/my", 3)
    assert "Subscriptions: Kazakhstan nuclear power" in my
    assert "Unsubscribed" in await say(bot_api, ALICE, ALICE, "/unsub all", 4)
    assert await store.subscriptions(ALICE) == []
    assert "Usage" in await say(bot_api, ALICE, ALICE, "/sub", 5)


async def test_lists_buttons_toggle_subscriptions(store: Store, bot_api: FakeBotAPI) -> None:
    bot_api.push_message(ALICE, ALICE, "/lists")
    [message] = await bot_api.wait_sent_async(ALICE)
    assert "CSTO & CIS (csto-cis)" in message["plain_text"]
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["t:csto-cis", "t:kz-nuclear"]
    bot_api.push_callback(ALICE, ALICE, "t:csto-cis", message["message_id"])
    await bot_api.wait_for_async(lambda: bot_api.edits(ALICE), what="keyboard edited")
    assert await store.subscriptions(ALICE) == ["csto-cis"]
    edited = bot_api.message(ALICE, message["message_id"])
    assert edited is not None and "✅ CSTO & CIS" in str(edited["reply_markup"])


async def test_replies_in_russian(store: Store, bot_api: FakeBotAPI) -> None:
    reply = await say(bot_api, IVAN, IVAN, "/sub csto-cis", 1)
    assert reply.startswith("Подписка оформлена")


async def test_only_group_admins_change_a_group(store: Store, bot_api: FakeBotAPI) -> None:
    refused = await say(bot_api, GROUP, CAROL, "/sub@newsbot_test_bot kz-nuclear", 1)
    assert "administrators" in refused
    bot_api.push_callback(GROUP, CAROL, "t:kz-nuclear")
    [answer] = await bot_api.wait_for_async(
        lambda: bot_api.calls("answerCallbackQuery"), what="callback answered"
    )
    assert answer.params.get("show_alert") is True
    assert await store.subscriptions(GROUP) == []
    assert "Subscribed" in await say(bot_api, GROUP, ALICE, "/sub kz-nuclear", 2)
    assert await store.subscriptions(GROUP) == ["kz-nuclear"]


async def test_channel_posts_subscribe_the_channel(store: Store, bot_api: FakeBotAPI) -> None:
    assert "Subscribed" in await say(bot_api, CHANNEL, None, "/sub csto-cis", 1)
    assert await store.subscriptions(CHANNEL) == ["csto-cis"]


async def test_removed_bot_deactivates_the_chat(store: Store, bot_api: FakeBotAPI) -> None:
    await say(bot_api, GROUP, ALICE, "/sub kz-nuclear", 1)
    bot_api.push_my_chat_member(GROUP, ALICE, "kicked")
    for _ in range(100):
        chat = await store.chat(GROUP)
        if chat is not None and not chat.active:
            break
        await asyncio.sleep(0.05)
    assert chat is not None and not chat.active
