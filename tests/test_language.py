"""Reply languages through the service's own wiring, real python-telegram-bot and the
fake Bot API: English, Russian and Kazakh by the writer's Telegram language, /lang."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.fakebotapi import Call, FakeBotAPI
from support.service import telegram_service

from bot.store.store import Store

ALICE, IVAN, ASEL, OLES, CAROL, DAVE = 100, 200, 300, 400, 500, 600
GROUP, CHANNEL = -700, -1009
KAZAKH_SET = "Бұдан былай бот бұл чатта қазақша жауап береді."
RUSSIAN_SET = "Теперь в этом чате бот отвечает по-русски."


@pytest.fixture
async def store(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[Store]:
    """The service's Telegram side, started as ``newsbot run`` starts it."""
    bot_api.add_user(ALICE, "Alice", language_code="en")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_user(ASEL, "Әсел", language_code="kk")
    bot_api.add_user(OLES, "Олесь", language_code="uk")
    bot_api.add_user(CAROL, "Carol", language_code="en-GB")
    bot_api.add_user(DAVE, "Dave", language_code=None)  # Telegram does not always tell
    bot_api.add_chat(GROUP, "supergroup", "Desk")
    for admin in (ALICE, IVAN, ASEL):
        bot_api.set_member(GROUP, admin, "administrator")
    bot_api.set_member(GROUP, CAROL, "member")
    bot_api.add_chat(CHANNEL, "channel", "Wire")
    async with telegram_service(tmp_path, bot_api) as parts:
        yield parts.store


@pytest.mark.parametrize(
    ("user", "welcome", "help_"),
    [
        (ALICE, "newsbot watches news feeds", "Commands\n/lists: every watchlist"),
        (IVAN, "newsbot следит за новостными лентами", "Команды\n/lists: все списки"),
        (ASEL, "newsbot жаңалық таспаларын бақылап", "Командалар\n/lists: барлық тізім"),
        (OLES, "newsbot следит за новостными лентами", "Команды\n/lists: все списки"),
        (CAROL, "newsbot watches news feeds", "Commands\n/lists: every watchlist"),
        (DAVE, "newsbot watches news feeds", "Commands\n/lists: every watchlist"),
    ],
)
async def test_each_user_is_answered_in_their_telegram_language(
    store: Store, bot_api: FakeBotAPI, user: int, welcome: str, help_: str
) -> None:
    assert (await bot_api.ask(user, user, "/start")).startswith(welcome)
    assert (await bot_api.ask(user, user, "/help")).startswith(help_)


async def test_kazakh_help_keeps_the_query_syntax(store: Store, bot_api: FakeBotAPI) -> None:
    help_ = await bot_api.ask(ASEL, ASEL, "/help")
    assert "/lang en|ru|kk: жауап тілі" in help_
    assert "Путин NEAR/5 Астана арасы 5 сөзден аспайды" in help_
    assert "A AND B, A OR B, NOT A" in help_


async def test_a_chosen_language_stays_whoever_writes(store: Store, bot_api: FakeBotAPI) -> None:
    assert await bot_api.ask(GROUP, IVAN, "/lang kk") == KAZAKH_SET
    assert (await bot_api.ask(GROUP, ALICE, "/help")).startswith("Командалар")
    assert (await bot_api.ask(GROUP, IVAN, "/sub kz-nuclear")).startswith("Жазылым қосылды")
    chat = await store.chat(GROUP)
    assert chat is not None and chat.language == "kk" and chat.language_set
    assert (
        await bot_api.ask(GROUP, ALICE, "/lang EN")
        == "From now on this chat is answered in English."
    )
    assert (await bot_api.ask(GROUP, ASEL, "/my")).startswith("Subscriptions")


async def test_until_chosen_the_language_follows_the_last_administrator_who_writes(
    store: Store, bot_api: FakeBotAPI
) -> None:
    assert (await bot_api.ask(GROUP, IVAN, "/help")).startswith("Команды")  # his own
    assert (await bot_api.ask(GROUP, IVAN, "/sub kz-nuclear")).startswith("Подписка")
    assert (await bot_api.ask(GROUP, ASEL, "/help")).startswith("Команды")  # the group's
    await bot_api.ask(GROUP, ASEL, "/unsub kz-nuclear")  # an administrator configures it
    chat = await store.chat(GROUP)
    assert chat is not None and chat.language == "kk" and not chat.language_set
    assert (await bot_api.ask(GROUP, DAVE, "/help")).startswith("Командалар")
    # a member who may not configure the group does not switch its language
    assert (await bot_api.ask(GROUP, CAROL, "/recent")).startswith("Соңғы 7 күнде")
    assert "әкімшілері" in await bot_api.ask(GROUP, CAROL, "/sub kz-nuclear")
    chat = await store.chat(GROUP)
    assert chat is not None and chat.language == "kk"
    await bot_api.ask(GROUP, ALICE, "/sub csto-cis")
    assert (await bot_api.ask(GROUP, ALICE, "/my")).startswith("Subscriptions")
    chat = await store.chat(GROUP)
    assert chat is not None and chat.language == "en"


async def test_a_channel_post_keeps_the_channels_language(
    store: Store, bot_api: FakeBotAPI
) -> None:
    assert (await bot_api.ask(CHANNEL, None, "/help")).startswith("Commands")
    assert await bot_api.ask(CHANNEL, None, "/lang ru") == RUSSIAN_SET
    assert (await bot_api.ask(CHANNEL, None, "/help")).startswith("Команды")
    chat = await store.chat(CHANNEL)
    assert chat is not None and chat.language == "ru" and chat.language_set


@pytest.mark.parametrize("command", ["/lang", "/lang de", "/lang kk ru", "/lang kazakh"])
async def test_lang_without_a_known_language_shows_the_choices(
    store: Store, bot_api: FakeBotAPI, command: str
) -> None:
    usage = await bot_api.ask(IVAN, IVAN, command)
    assert usage == (
        "Язык ответов в этом чате: /lang en (English), /lang ru (Русский) или /lang kk (Қазақша)."
    )
    chat = await store.chat(IVAN)
    assert chat is not None and chat.language == "ru" and not chat.language_set


async def test_only_group_administrators_choose_the_language(
    store: Store, bot_api: FakeBotAPI
) -> None:
    refused = await bot_api.ask(GROUP, CAROL, "/lang@newsbot_test_bot kk")
    assert refused == "Only the chat's administrators can change its subscriptions and settings."
    chat = await store.chat(GROUP)
    assert chat is not None and not chat.language_set
    assert await bot_api.ask(GROUP, ASEL, "/lang kk") == KAZAKH_SET
    assert (await bot_api.ask(GROUP, CAROL, "/lang en")).startswith("Чаттың жазылымдары")
    chat = await store.chat(GROUP)
    assert chat is not None and chat.language == "kk"


async def test_a_private_chat_chooses_its_own_language(store: Store, bot_api: FakeBotAPI) -> None:
    assert await bot_api.ask(ALICE, ALICE, "/lang ru") == RUSSIAN_SET
    assert (await bot_api.ask(ALICE, ALICE, "/start")).startswith("newsbot следит")
    other = await store.chat(IVAN)
    assert other is None  # nobody else's chat was touched


async def answer(api: FakeBotAPI, count: int) -> str:
    """The text of the ``count``-th answer to a button press, once it is given."""

    def answers() -> list[Call]:
        calls = api.calls("answerCallbackQuery")
        return calls if len(calls) >= count else []

    found = await api.wait_for_async(answers, what=f"{count} button press(es) answered")
    return str(found[count - 1].params["text"])


async def test_a_refused_button_press_is_explained_in_the_chosen_language_or_the_pressers(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await bot_api.ask(GROUP, IVAN, "/lists")
    bot_api.push_callback(GROUP, CAROL, "t:csto-cis")
    assert (await answer(bot_api, 1)).startswith("Only the chat's administrators")
    assert await bot_api.ask(GROUP, ASEL, "/lang kk") == KAZAKH_SET
    bot_api.push_callback(GROUP, CAROL, "t:csto-cis")
    assert (await answer(bot_api, 2)).startswith("Чаттың жазылымдары")
    assert await store.subscriptions(GROUP) == []
