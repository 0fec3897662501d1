"""/mute, /unmute, /quiet, /tz, /digest and the buttons under alerts, through a real
python-telegram-bot Application and the fake Bot API; the clock in the test's hands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.configs import CSTO, NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI

from bot.config import load_config
from bot.delivery.hold import WHOLE_CHAT
from bot.messages import AlertMessage
from bot.store.store import Store
from bot.telegram.application import build_application
from bot.telegram.buttons import MAX_DATA, Press, callback_data, name_hash, parse
from bot.telegram.gate import Gate
from bot.telegram.transport import TelegramTransport
from bot.telegram.volume import Volume

ALICE, IVAN, AIGUL, CAROL, GROUP, ADMIN = 100, 200, 250, 300, -700, 999
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
TITLES = {"kz-nuclear": "Kazakhstan nuclear power", "csto-cis": "CSTO & CIS"}


@dataclass
class World:
    store: Store
    api: FakeBotAPI
    transport: TelegramTransport
    wakes: list[int] = field(default_factory=list)

    async def say(self, chat: int, user: int | None, text: str) -> str:
        count = len(self.api.sent(chat)) + 1
        self.api.push_message(chat, user, text)
        return str((await self.api.wait_sent_async(chat, count))[count - 1]["plain_text"])

    async def press(self, chat: int, user: int, data: str, message_id: int) -> str:
        count = len(self.api.calls("answerCallbackQuery")) + 1
        self.api.push_callback(chat, user, data, message_id)
        await self.api.wait_for_async(
            lambda: len(self.api.calls("answerCallbackQuery")) >= count, what="answered"
        )
        return str(self.api.calls("answerCallbackQuery")[count - 1].params.get("text", ""))

    async def mutes(self, chat: int) -> dict[str, datetime]:
        return (await self.store.chat_settings(chat, T0)).mutes


@pytest.fixture
async def world(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[World]:
    path = write_config(
        tmp_path,
        {},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    config = load_config(path, env={})
    store = await Store.open(config.storage.url)
    app = build_application(config)
    gate = Gate(store, config.telegram.admins)

    async def language(chat_id: int) -> str:
        chat = await store.chat(chat_id)
        return chat.language or "en" if chat else "en"

    world = World(store, bot_api, TelegramTransport(app.bot, language))
    Volume(store, gate, lambda: TITLES, lambda: world.wakes.append(1), lambda: T0).install(app)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_user(AIGUL, "Айгүл", language_code="kk")
    bot_api.add_user(CAROL, "Carol")
    bot_api.add_user(ADMIN, "Admin")
    bot_api.add_chat(GROUP, "group", "Desk")
    bot_api.set_member(GROUP, CAROL, "member")
    bot_api.set_member(GROUP, ALICE, "creator")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield world
        finally:
            await app.updater.stop()
            await app.stop()
            await store.close()


async def test_mute_and_unmute(world: World) -> None:
    reply = await world.say(ALICE, ALICE, "/mute")
    assert "Muted: this chat until 01 May 20:00 (UTC)" in reply
    assert await world.mutes(ALICE) == {WHOLE_CHAT: T0 + timedelta(hours=8)}
    reply = await world.say(ALICE, ALICE, "/mute 30m KZ-nuclear")
    assert "Muted: Kazakhstan nuclear power until 01 May 12:30" in reply
    for bad in ("/mute 99x", "/mute 31d", "/mute 0m"):
        assert "Cannot use the duration" in await world.say(ALICE, ALICE, bad)
    reply = await world.say(ALICE, ALICE, "/mute 2d <nonsense>")
    assert "Unknown watchlist: <nonsense>. Known: csto-cis, kz-nuclear" in reply
    assert "Usage: /mute" in await world.say(ALICE, ALICE, "/mute 2d a b")
    assert len(await world.mutes(ALICE)) == 2
    reply = await world.say(ALICE, ALICE, "/unmute kz-nuclear")
    assert "Sound on: Kazakhstan nuclear power" in reply
    assert "Sound on: this chat" in await world.say(ALICE, ALICE, "/unmute")
    assert "Nothing was muted" in await world.say(ALICE, ALICE, "/unmute")
    assert await world.mutes(ALICE) == {}
    assert len(world.wakes) == 3


async def test_quiet_hours(world: World) -> None:
    reply = await world.say(ALICE, ALICE, "/quiet 22:00-07:00")
    assert "Quiet hours: 22:00-07:00 (UTC)" in reply
    assert (await world.store.chat_settings(ALICE, T0)).quiet == "22:00-07:00"
    for bad in ("/quiet", "/quiet 25:00-07:00", "/quiet 22:00"):
        assert "Now: 22:00-07:00" in await world.say(ALICE, ALICE, bad)
    assert "Quiet hours are off" in await world.say(ALICE, ALICE, "/quiet off")
    assert (await world.store.chat_settings(ALICE, T0)).quiet is None
    assert world.wakes == [1, 1]


async def test_time_zone(world: World) -> None:
    reply = await world.say(ALICE, ALICE, "/tz Mars/<Base>")
    assert "Unknown time zone: Mars/<Base>" in reply and "Asia/Almaty" in reply
    reply = await world.say(ALICE, ALICE, "/tz asia/almaty")
    assert "Time zone: Asia/Almaty. Local time now: 01 May 17:00" in reply
    assert "This chat's time zone: Asia/Almaty" in await world.say(ALICE, ALICE, "/tz")
    assert "Quiet hours: 22:00-07:00 (Asia/Almaty)" in await world.say(
        ALICE, ALICE, "/quiet 22:00-07:00"
    )


async def test_digest(world: World) -> None:
    assert "every day at 09:00 (UTC)" in await world.say(ALICE, ALICE, "/digest daily 9:00")
    assert (await world.store.chat_settings(ALICE, T0)).digest == "daily 09:00"
    for bad in ("/digest", "/digest weekly", "/digest daily 24:00"):
        assert "Usage: /digest" in await world.say(ALICE, ALICE, bad)
    assert "every hour" in await world.say(ALICE, ALICE, "/digest hourly")
    assert "Digest is off" in await world.say(ALICE, ALICE, "/digest off")
    assert (await world.store.chat_settings(ALICE, T0)).digest is None


async def test_replies_in_russian_and_kazakh(world: World) -> None:
    assert "Неизвестный часовой пояс" in await world.say(IVAN, IVAN, "/tz Nowhere")
    assert "Без звука: этот чат" in await world.say(IVAN, IVAN, "/mute")
    assert "Әр сағат сайын дайджест" in await world.say(AIGUL, AIGUL, "/digest hourly")
    assert "Тыныш уақыт" in await world.say(AIGUL, AIGUL, "/quiet 23:00-06:00")


async def test_only_group_admins_change_settings(world: World) -> None:
    for command in ("/mute", "/unmute", "/quiet 22:00-07:00", "/tz UTC", "/digest hourly"):
        assert "administrators" in await world.say(GROUP, CAROL, command)
    settings = await world.store.chat_settings(GROUP, T0)
    assert (settings.mutes, settings.quiet, settings.digest, settings.time_zone) == (
        {},
        None,
        None,
        None,
    )
    assert "Muted: this chat" in await world.say(GROUP, ALICE, "/mute 1h")
    assert "Digest every hour" in await world.say(GROUP, ADMIN, "/digest hourly")


def alert(watchlists: tuple[str, ...] = (), rules: tuple[int, ...] = ()) -> AlertMessage:
    return AlertMessage(
        ("X",), "Rosatom", (), "https://news.example/1", "F", T0, None, watchlists, rules
    )


async def test_alert_buttons_in_a_group(world: World) -> None:
    await world.store.upsert_chat(GROUP, "group", "Desk", "ru")
    await world.store.set_language(GROUP, "ru")  # chosen with /lang: whoever presses
    await world.store.subscribe(GROUP, ["kz-nuclear"])
    await world.transport.send(GROUP, alert(("kz-nuclear",)))
    [sent] = world.api.sent(GROUP)
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["vm:kz-nuclear", "vu:kz-nuclear"]
    assert buttons[0]["text"] == "🔕 kz-nuclear: без звука на сутки"  # the chat's language
    message_id = sent["message_id"]
    refused = await world.press(GROUP, CAROL, "vm:kz-nuclear", message_id)
    assert "администраторы" in refused
    assert await world.mutes(GROUP) == {}
    answer = await world.press(GROUP, ALICE, "vm:kz-nuclear", message_id)
    assert answer == "Без звука на сутки: Kazakhstan nuclear power"
    assert await world.mutes(GROUP) == {"kz-nuclear": T0 + timedelta(days=1)}
    assert "администраторы" in await world.press(GROUP, CAROL, "vu:kz-nuclear", message_id)
    assert await world.store.subscriptions(GROUP) == ["kz-nuclear"]
    answer = await world.press(GROUP, ALICE, "vu:kz-nuclear", message_id)
    assert answer == "Подписка отменена: Kazakhstan nuclear power"
    assert await world.store.subscriptions(GROUP) == []
    assert await world.press(GROUP, ALICE, "vu:kz-nuclear", message_id) == "Уже сделано"


async def test_alert_buttons_of_a_personal_rule(world: World) -> None:
    world.api.add_chat(ALICE)
    await world.store.upsert_chat(ALICE, "private", "Alice")
    rule = await world.store.add_rule(ALICE, "Rosatom")
    await world.transport.send(ALICE, alert(rules=(rule,)))
    [sent] = world.api.sent(ALICE)
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["vc:*", f"vr:{rule}"]
    assert await world.press(ALICE, ALICE, f"vr:{rule}", sent["message_id"]) == "Rule removed"
    assert await world.store.rules(ALICE) == []
    answer = await world.press(ALICE, ALICE, "vc:*", sent["message_id"])
    assert answer == "This chat is muted for a day"
    assert await world.mutes(ALICE) == {WHOLE_CHAT: T0 + timedelta(days=1)}


async def test_a_long_watchlist_name_is_pressed_by_its_hash(world: World) -> None:
    name = "n" * 100
    data = callback_data("mute", name)
    assert len(data.encode()) <= MAX_DATA and parse(data) == Press("mute", hashed=name_hash(name))
    world.api.add_chat(ALICE)
    await world.store.upsert_chat(ALICE, "private", "Alice")
    await world.store.subscribe(ALICE, [name])
    await world.transport.send(ALICE, alert((name,)))
    [sent] = world.api.sent(ALICE)
    answer = await world.press(ALICE, ALICE, data, sent["message_id"])
    assert answer.startswith("Muted for a day: nnn")
    assert await world.mutes(ALICE) == {name: T0 + timedelta(days=1)}
    assert parse("vm:") is None and parse("vr:abc") is None and parse("zz:1") is None
    assert parse("vr:²") is None and parse("vr:١٢") is None  # ASCII digits only
