"""One chat's flood of commands delays no other chat; a flooding user is told once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI

from bot.config import load_config
from bot.store.store import Store
from bot.telegram.application import build_application
from bot.telegram.commands import Commands
from bot.telegram.gate import Gate
from bot.telegram.throttle import CommandBudget

ALICE, IVAN, GROUP = 100, 200, -700
FLOODER, BOB, CAROL = 301, 302, 303
NOTICE = "Too many commands; try again in"


@pytest.fixture
async def bot(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[Store]:
    """The commands on a real Application, with a budget whose clock stands still."""
    path = write_config(
        tmp_path, {}, {"kz-nuclear": NUCLEAR}, token=bot_api.token, api_url=bot_api.api_url
    )
    config = load_config(path, env={})
    store = await Store.open(config.storage.url)
    app = build_application(config)
    budget = CommandBudget(clock=lambda: 0.0)
    Commands(store, config.watchlists, Gate(store, config.telegram.admins), budget).install(app)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_chat(GROUP, "group", "Desk")
    for user in (FLOODER, BOB, CAROL):
        bot_api.add_user(user, f"User {user}")
        bot_api.set_member(GROUP, user, "member")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield store
        finally:
            await app.updater.stop()
            await app.stop()
            await store.close()


async def test_a_group_flood_does_not_delay_a_private_reply(
    bot: Store, bot_api: FakeBotAPI
) -> None:
    # 10 answers and a notice for the flooder, 6 answers each for two more users: 23
    # messages, 3 more than the group's 20 a minute, so the group is throttled for 9 s.
    for user, count in ((FLOODER, 15), (BOB, 6), (CAROL, 6)):
        for _ in range(count):
            bot_api.push_message(GROUP, user, "/help")
    bot_api.push_message(ALICE, ALICE, "/help")
    [private] = await bot_api.wait_sent_async(ALICE)
    assert private["plain_text"].startswith("Commands")
    assert len(bot_api.sent(GROUP)) < 23  # answered while the group still waits its turn
    group = [m["plain_text"] for m in await bot_api.wait_sent_async(GROUP, 23, timeout=60)]
    assert sum(NOTICE in text for text in group) == 1
    assert sum(text.startswith("Commands") for text in group) == 22
    assert len(bot_api.sent(GROUP)) == 23


async def test_the_notice_is_in_the_chats_language(bot: Store, bot_api: FakeBotAPI) -> None:
    bot_api.push_message(IVAN, IVAN, "/lists")
    await bot_api.wait_sent_async(IVAN)
    for _ in range(11):
        bot_api.push_message(IVAN, IVAN, "/help")
    bot_api.push_callback(IVAN, IVAN, "t:kz-nuclear")  # after every /help: a marker
    [answer] = await bot_api.wait_for_async(
        lambda: bot_api.calls("answerCallbackQuery"), what="the press answered"
    )
    assert not answer.params.get("text")  # ignored, silently: only the spinner stops
    replies = [m["plain_text"] for m in bot_api.sent(IVAN)]
    assert len(replies) == 11 and replies[10] == "Слишком много команд; попробуйте через 3 с."


async def test_button_presses_count_and_are_answered(bot: Store, bot_api: FakeBotAPI) -> None:
    bot_api.push_message(ALICE, ALICE, "/lists")
    await bot_api.wait_sent_async(ALICE)
    for _ in range(12):
        bot_api.push_callback(ALICE, ALICE, "t:kz-nuclear")
    calls = await bot_api.wait_for_async(
        lambda: (found := bot_api.calls("answerCallbackQuery"))[11:] and found,
        what="12 answers",
    )
    texts = [str(c.params.get("text") or "") for c in calls]
    assert texts[8] == "Subscribed to Kazakhstan nuclear power"  # /lists took one of 10
    assert texts[9].startswith(NOTICE)
    assert texts[10:] == ["", ""]  # every press is answered, the spinner stops


async def test_a_reply_told_to_wait_briefly_is_retried(
    bot: Store, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    bot_api.flood(ALICE, retry_after=1)
    bot_api.push_message(ALICE, ALICE, "/help")
    [reply] = await bot_api.wait_sent_async(ALICE)
    assert reply["plain_text"].startswith("Commands")
    bot_api.flood(ALICE, retry_after=3600)
    with caplog.at_level(logging.WARNING, "bot"):
        bot_api.push_message(ALICE, ALICE, "/help")
        bot_api.push_message(ALICE, ALICE, "/my")
        replies = await bot_api.wait_sent_async(ALICE, 2)
    assert replies[1]["plain_text"].startswith("Subscriptions")
    assert "reply to chat 100 dropped: Telegram asks to wait 3600 s" in caplog.text
