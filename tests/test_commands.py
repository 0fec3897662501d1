"""Telegram commands through a real python-telegram-bot Application and the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from support.configs import CSTO, NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI, say
from support.telegram_html import parse_html, utf16_len
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, NetworkError, TelegramError

from bot import __version__
from bot.config import load_config
from bot.store.records import FeedState
from bot.store.store import Store
from bot.telegram import menus
from bot.telegram.application import build_application
from bot.telegram.commands import Commands
from bot.telegram.gate import Gate, fit
from bot.telegram.personal import MAX_RULES_PER_CHAT, PersonalCommands, render_status, uptime

ALICE, IVAN, CAROL, GROUP, CHANNEL, ADMIN = 100, 200, 300, -700, -1009, 999


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
    gate = Gate(opened, config.telegram.admins)
    commands = Commands(opened, config.watchlists, gate)
    commands.install(app)
    PersonalCommands(opened, gate).install(app)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_user(CAROL, "Carol")
    bot_api.add_user(ADMIN, "Admin")
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


EVERY = ["start", "help", "lists", "sub", "unsub", "watch", "unwatch", "my", "mute", "unmute"]
EVERY += ["quiet", "tz", "digest", "lang", "recent", "search"]


async def menu(api: FakeBotAPI, scope: BotCommandScope, code: str | None = None) -> dict[str, str]:
    """The menu Telegram would show in ``scope`` to a user whose language is ``code``."""
    async with Bot(api.token, base_url=f"{api.api_url}/bot") as bot:
        return {c.command: c.description for c in await bot.get_my_commands(scope, code)}


async def test_menus_are_published_per_scope_and_language(
    store: Store, bot_api: FakeBotAPI
) -> None:
    calls = bot_api.calls("setMyCommands")
    scopes = [
        {"type": "all_private_chats"},
        {"type": "all_group_chats"},
        {"type": "all_chat_administrators"},
        {"type": "chat", "chat_id": ADMIN},
    ]
    assert sorted(
        json.dumps([c.params["scope"], c.params.get("language_code")], sort_keys=True)
        for c in calls
    ) == sorted(
        json.dumps([scope, code], sort_keys=True)
        for scope in scopes
        for code in (None, "ru", "kk", "be", "uk")
    )
    private = await menu(bot_api, BotCommandScopeAllPrivateChats(), "kk")
    assert list(private) == EVERY
    assert private["lang"] == "Жауап тілі: /lang en, ru не kk"
    admins = await menu(bot_api, BotCommandScopeAllChatAdministrators())
    assert list(admins) == EVERY and admins["lang"] == "Reply language: /lang en, ru or kk"
    members = await menu(bot_api, BotCommandScopeAllGroupChats(), "be")
    assert members == {
        "help": "Команды и синтаксис запросов",
        "lists": "Все списки, с кнопками",
        "my": "Подписки и настройки этого чата",
        "recent": "Последние 10 оповещений чата",
        "search": "Поиск по свежим новостям: /search ЗАПРОС",
    }
    admin = await menu(bot_api, BotCommandScopeChat(ADMIN), "ru")
    assert list(admin) == [*EVERY, "status"]
    assert admin["status"] == "Состояние лент и сервиса (для админов)"


class RefusingBot:
    """Records set_my_commands; refuses the scopes it is told to, as Telegram would."""

    def __init__(self, refuse: Callable[[BotCommandScope], TelegramError | None]) -> None:
        self.refuse = refuse
        self.set: list[tuple[BotCommandScope, str | None]] = []

    async def set_my_commands(
        self, commands: list[BotCommand], scope: BotCommandScope, language_code: str | None
    ) -> bool:
        assert len(commands) <= 100
        assert all(3 <= len(c.description) <= 256 for c in commands)
        if error := self.refuse(scope):
            raise error
        self.set.append((scope, language_code))
        return True


async def test_an_admin_without_a_chat_costs_only_their_own_menu(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(scope: BotCommandScope) -> TelegramError | None:
        missing = isinstance(scope, BotCommandScopeChat) and scope.chat_id == 1
        return BadRequest("Chat not found") if missing else None

    bot = RefusingBot(refuse)
    await menus.publish(cast(Bot, bot), frozenset({1, 2}))
    chats = {s.chat_id for s, _ in bot.set if isinstance(s, BotCommandScopeChat)}
    assert len(bot.set) == 4 * 5 and chats == {2}
    assert "could not publish the chat 1 command menu: Chat not found" in caplog.text


async def test_telegram_refusing_the_menus_stops_without_failing() -> None:
    bot = RefusingBot(lambda scope: NetworkError("connection refused"))
    await menus.publish(cast(Bot, bot), frozenset({1, 2}))
    assert bot.set == []


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


async def test_my_shows_every_setting(store: Store, bot_api: FakeBotAPI) -> None:
    my = await say(bot_api, ALICE, ALICE, "/my", 1)
    assert "Mute: off\nQuiet hours: off\nTime zone: UTC\nDigest: off" in my
    assert "Language: English (follows whoever writes" in my
    now = datetime.now(UTC)
    until = datetime(2099, 1, 2, 7, 30, tzinfo=UTC)
    await store.mute(ALICE, "*", until, now)
    await store.mute(ALICE, "kz-nuclear", until, now)
    await store.mute(ALICE, "csto-cis", now - timedelta(minutes=1), now)  # ended
    await store.set_time_zone(ALICE, "Asia/Almaty")
    await store.set_quiet(ALICE, "22:00-07:00")
    await store.set_digest(ALICE, "daily 08:00")
    await store.set_language(ALICE, "en")
    my = await say(bot_api, ALICE, ALICE, "/my", 2)
    assert (
        "Mute: this chat until 02 Jan 12:30; Kazakhstan nuclear power until 02 Jan 12:30\n"
        "Quiet hours: 22:00-07:00\nTime zone: Asia/Almaty\nDigest: every day at 08:00\n"
        "Language: English (chosen with /lang)"
    ) in my
    await store.set_digest(ALICE, "hourly")
    await store.set_language(ALICE, "kk")
    my = await say(bot_api, ALICE, ALICE, "/my", 3)
    assert "Дайджест: әр сағат сайын" in my and "Тіл: Қазақша (/lang арқылы" in my


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


async def became_inactive(store: Store, chat_id: int) -> bool:
    """Whether the chat is marked inactive within a few seconds."""
    for _ in range(100):
        chat = await store.chat(chat_id)
        if chat is not None and not chat.active:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_removed_bot_deactivates_the_chat(store: Store, bot_api: FakeBotAPI) -> None:
    await say(bot_api, GROUP, ALICE, "/sub kz-nuclear", 1)
    bot_api.push_my_chat_member(GROUP, ALICE, "kicked")
    assert await became_inactive(store, GROUP)


async def test_a_bot_added_back_reactivates_the_chat_and_greets_a_group(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await say(bot_api, GROUP, ALICE, "/sub kz-nuclear", 1)
    bot_api.push_my_chat_member(GROUP, ALICE, "kicked")
    assert await became_inactive(store, GROUP)
    bot_api.push_my_chat_member(GROUP, ALICE, "member", old_status="left")
    [_, greeting] = await bot_api.wait_sent_async(GROUP, 2)
    assert "watches news feeds" in greeting["plain_text"]
    assert "Kazakhstan nuclear power" in str(greeting["reply_markup"])
    chat = await store.chat(GROUP)
    assert chat is not None and chat.active
    assert await store.subscriptions(GROUP) == ["kz-nuclear"]  # kept while it was away


async def test_a_private_chat_unblocking_the_bot_is_active_again_without_a_greeting(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await say(bot_api, ALICE, ALICE, "/sub kz-nuclear", 1)
    bot_api.push_my_chat_member(ALICE, ALICE, "kicked")
    bot_api.push_my_chat_member(ALICE, ALICE, "member", old_status="kicked")
    await say(bot_api, ALICE, ALICE, "/my", 2)  # handled after both changes, in order
    chat = await store.chat(ALICE)
    assert chat is not None and chat.active
    assert len(bot_api.sent(ALICE)) == 2


async def test_watch_adds_personal_rules_within_limits(store: Store, bot_api: FakeBotAPI) -> None:
    added = await say(bot_api, ALICE, ALICE, '/watch "Middle Corridor" AND Aktau', 1)
    assert added.splitlines()[0] == 'Rule 1 added: "Middle Corridor" AND Aktau'  # then a preview
    bad = await say(bot_api, ALICE, ALICE, '/watch "Middle Corridor AND Aktau', 2)
    assert "does not parse" in bad and "unclosed quote" in bad and "at 0" in bad
    long_rule = " OR ".join(f"w{n}" for n in range(130))
    assert "at most 500 characters" in await say(bot_api, ALICE, ALICE, f"/watch {long_rule}", 3)
    many = " OR ".join(f"term{n}" for n in range(21))
    assert "at most 20 terms; this one has 21" in await say(
        bot_api, ALICE, ALICE, f"/watch {many}", 4
    )
    assert [r.query for r in await store.rules(ALICE)] == ['"Middle Corridor" AND Aktau']
    assert "Usage: /watch" in await say(bot_api, ALICE, ALICE, "/watch", 5)


async def test_a_chat_has_at_most_fifty_rules(store: Store, bot_api: FakeBotAPI) -> None:
    for n in range(MAX_RULES_PER_CHAT):
        await store.add_rule(ALICE, f"word{n}")
    refused = await say(bot_api, ALICE, ALICE, "/watch Rosatom", 1)
    assert "at most 50 personal rules" in refused
    assert len(await store.rules(ALICE)) == MAX_RULES_PER_CHAT


async def test_unwatch_by_number_or_all(store: Store, bot_api: FakeBotAPI) -> None:
    for query in ("Rosatom", "CSTO", "Aktau"):
        await store.add_rule(ALICE, query)
    assert "Rules removed: 1" in await say(bot_api, ALICE, ALICE, "/unwatch 2", 1)
    assert [r.query for r in await store.rules(ALICE)] == ["Rosatom", "Aktau"]
    assert "Usage: /unwatch" in await say(bot_api, ALICE, ALICE, "/unwatch 7", 2)
    my = await say(bot_api, ALICE, ALICE, "/my", 3)
    assert "1. Rosatom" in my and "2. Aktau" in my
    assert "Rules removed: 2" in await say(bot_api, ALICE, ALICE, "/unwatch all", 4)
    assert await store.rules(ALICE) == []


async def test_group_members_cannot_add_rules(store: Store, bot_api: FakeBotAPI) -> None:
    assert "administrators" in await say(bot_api, GROUP, CAROL, "/watch Rosatom", 1)
    assert await store.rules(GROUP) == []


async def test_status_is_for_admins(store: Store, bot_api: FakeBotAPI) -> None:
    await store.sync_feeds(
        [("kz", "https://kz.example/rss", None), ("ru", "https://ru.example", None)]
    )
    assert "for the bot's admins" in await say(bot_api, ALICE, ALICE, "/status", 1)
    await say(bot_api, ALICE, ALICE, "/sub kz-nuclear csto-cis", 2)
    status = await say(bot_api, ADMIN, ADMIN, "/status", 1)
    assert "All 2 feeds are healthy" in status
    # Alice with her two subscriptions, and the admin's own chat
    assert "Outbox: 0 waiting, 0 failed · 2 active chats, 2 subscriptions · up 0m" in status
    assert f"newsbot {__version__}" in status


def test_uptime_reads_at_a_glance() -> None:
    assert [uptime(s) for s in (59, 300, 3 * 3600 + 720, 2 * 86400 + 3 * 3600 + 59)] == [
        "0m",
        "5m",
        "3h 12m",
        "2d 3h",
    ]


def test_status_lists_unhealthy_feeds_escaped() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    base = dict(
        url="https://x",
        title=None,
        etag=None,
        last_modified=None,
        initialized=True,
        next_poll_at=None,
        last_attempt_at=now,
        last_success_at=None,
    )
    states = [
        FeedState(id="ok", status="active", last_error=None, failures=0, **base),
        FeedState(
            id="bad",
            status="active",
            last_error="HTTP 500 <oops> & co",
            failures=3,
            failing_since=now - timedelta(hours=30),
            **base,
        ),
        FeedState(id="old", status="gone", last_error="HTTP 410 Gone", failures=1, **base),
    ]
    html = render_status(states, now, "en")
    plain, _ = parse_html(html)
    assert plain.splitlines()[0] == "2 of 3 feeds need attention"
    assert "bad 3× · 30 h" in plain and "HTTP 500 <oops> & co" in plain
    assert "old gone (410)" in plain and "ok" not in plain.split("\n", 1)[1]


def test_long_replies_are_cut_at_a_whole_line() -> None:
    lines = [f"<b>feed-{n}</b> <i>{'x' * 200}</i>" for n in range(100)]
    html = fit("\n".join(lines))
    plain, _ = parse_html(html)  # still valid: every kept line is balanced
    assert len(html) <= 4096 and html.endswith("\n…")
    assert plain.count("feed-") == len(html.split("\n")) - 1


async def test_a_removed_watchlist_can_still_be_unsubscribed(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await store.subscribe(ALICE, ["retired-list"])
    assert "Unsubscribed: retired-list" in await say(bot_api, ALICE, ALICE, "/unsub all", 1)
    assert await store.subscriptions(ALICE) == []


async def answers(api: FakeBotAPI, count: int) -> list[str]:
    """The texts of the first ``count`` answerCallbackQuery calls, once there are that many."""
    calls = await api.wait_for_async(
        lambda: api.calls("answerCallbackQuery")[count - 1 :] and api.calls("answerCallbackQuery"),
        what=f"{count} callback answers",
    )
    return [str(c.params.get("text") or "") for c in calls[:count]]


async def test_channel_viewers_cannot_press_its_buttons(store: Store, bot_api: FakeBotAPI) -> None:
    bot_api.set_member(CHANNEL, CAROL, "member")
    bot_api.set_member(CHANNEL, ALICE, "creator")
    await say(bot_api, CHANNEL, None, "/lists", 1)
    bot_api.push_callback(CHANNEL, CAROL, "t:kz-nuclear")
    assert "administrators" in (await answers(bot_api, 1))[0]
    assert await store.subscriptions(CHANNEL) == []
    bot_api.push_callback(CHANNEL, ALICE, "t:kz-nuclear")
    assert (await answers(bot_api, 2))[1] == "Subscribed to Kazakhstan nuclear power"
    bot_api.push_callback(CHANNEL, ADMIN, "t:kz-nuclear")  # a configured admin
    assert (await answers(bot_api, 3))[2] == "Unsubscribed from Kazakhstan nuclear power"
    assert await store.subscriptions(CHANNEL) == []


async def test_group_buttons_check_the_presser_not_the_message(
    store: Store, bot_api: FakeBotAPI
) -> None:
    bot_api.add_chat(-1001, "supergroup", "Forum")
    bot_api.set_member(-1001, CAROL, "member")
    bot_api.push_update(  # an anonymous administrator asks for the list, as the group itself
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -1001, "type": "supergroup", "title": "Forum"},
                "sender_chat": {"id": -1001, "type": "supergroup", "title": "Forum"},
                "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                "text": "/lists",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    await bot_api.wait_sent_async(-1001)
    bot_api.push_callback(-1001, CAROL, "t:kz-nuclear")
    assert "administrators" in (await answers(bot_api, 1))[0]
    assert await store.subscriptions(-1001) == []


async def test_my_lists_fifty_long_rules_with_newlines(store: Store, bot_api: FakeBotAPI) -> None:
    for n in range(MAX_RULES_PER_CHAT):
        await store.add_rule(ALICE, f"rule{n} AND\n(" + "\nOR ".join(["Rosatom"] * 40) + ")")
    my = await say(bot_api, ALICE, ALICE, "/my", 1)
    assert "1. rule0 AND⏎(Rosatom⏎OR Rosatom" in my and my.endswith("…")
    assert "rule49" not in my  # cut, with a note, instead of refused


async def test_replies_drop_control_and_bidi_characters(store: Store, bot_api: FakeBotAPI) -> None:
    await store.add_rule(ALICE, "Ros\u202eatom\x00 AND\tAktau\x9b\x7f \u2066x\u2069\r\n")
    sent = await say(bot_api, ALICE, ALICE, "/my", 1)
    raw = bot_api.sent(ALICE)[0]["text"]
    bad = [c for c in raw if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0]
    bad += [c for c in raw if 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]
    assert bad == []
    assert "1. Rosatom AND Aktau x⏎\n" in sent


@pytest.mark.parametrize(
    "piece",
    [
        "<b>{}</b>",
        '<a href="https://x.example/?a=1&amp;b=2">{}</a>',
        "<code>{}</code>",
        "<i>{} &amp; {}</i>",
        "<pre>{}\n{}</pre>",
        "<b>{}<i>{}</i>{}</b>",
        "plain {} text",
    ],
)
def test_fit_keeps_any_reply_valid(piece: str) -> None:
    words = ["Росатом", "🇰🇿 флаг", "a&amp;b", "&lt;tag&gt;", "x" * 700, "line\nbreak"]
    html = "\n".join(
        piece.format(*(words[(n + k) % len(words)] for k in range(3))) for n in range(60)
    )
    assert len(html) > 4096
    for limit in (40, 200, 1000, 4096):
        cut = fit(html, limit)
        parse_html(cut)  # raises if the cut left a tag or an entity broken
        assert utf16_len(cut) <= limit and cut.endswith("…")
        assert len(cut) > limit // 2 or limit < 100  # a long line is cut inside, not dropped


def test_fit_cuts_one_huge_title_inside_its_tag() -> None:
    html = "<b>Watchlists</b>\n\n<b>" + "Kazakhstan " * 1000 + "</b> (<code>kz</code>)"
    cut = fit(html)
    plain, entities = parse_html(cut)
    assert plain.startswith("Watchlists\n\nKazakhstan Kazakhstan") and len(cut) <= 4096
    assert entities[-1]["type"] == "bold" and entities[-1]["length"] > 3000


async def test_a_viewers_press_does_not_revive_a_chat_the_bot_left(
    store: Store, bot_api: FakeBotAPI
) -> None:
    bot_api.set_member(CHANNEL, CAROL, "member")
    await say(bot_api, CHANNEL, None, "/lists", 1)
    await store.deactivate_chat(CHANNEL, "bot kicked from the chat")
    bot_api.push_callback(CHANNEL, CAROL, "t:kz-nuclear")
    await answers(bot_api, 1)
    chat = await store.chat(CHANNEL)
    assert chat is not None and not chat.active


async def test_a_deep_link_subscribes_at_once(store: Store, bot_api: FakeBotAPI) -> None:
    """https://t.me/BOT?start=sub-NAME opens the chat with "/start sub-NAME"."""
    reply = await say(bot_api, ALICE, ALICE, "/start sub-kz-nuclear", 1)
    assert "Subscribed: Kazakhstan nuclear power" in reply
    assert await store.subscriptions(ALICE) == ["kz-nuclear"]
    unknown = await say(bot_api, ALICE, ALICE, "/start sub-nonsense", 2)
    assert "Unknown watchlist: nonsense. Known: csto-cis, kz-nuclear" in unknown
    assert "watches news feeds" in await say(bot_api, ALICE, ALICE, "/start other", 3)


async def test_a_deep_link_into_a_group_needs_an_administrator(
    store: Store, bot_api: FakeBotAPI
) -> None:
    refused = await say(bot_api, GROUP, CAROL, "/start@newsbot_test_bot sub-csto-cis", 1)
    assert "administrators" in refused
    assert await store.subscriptions(GROUP) == []
    done = await say(bot_api, GROUP, ALICE, "/start@newsbot_test_bot sub-csto-cis", 2)
    assert "Subscribed: CSTO & CIS" in done
