"""Delivery from the outbox through real python-telegram-bot to the fake Bot API."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from support.configs import NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Reply
from telegram import Bot

from bot.config import load_config
from bot.delivery.sender import Sender
from bot.store.store import utcnow
from bot.telegram.transport import TelegramTransport
from bot.wiring import Mode, Parts, build

ALICE, GROUP, SUPERGROUP = 100, -500, -100500
ADMIN = 999  # the admin in every test config


@pytest.fixture
async def world(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> AsyncIterator[tuple[Parts, Sender]]:
    """Chats subscribed to kz-nuclear, the feed polled once, and a Telegram sender."""
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_chat(ALICE)
    bot_api.add_chat(GROUP, "group", "Desk")
    feed_server.publish("/a.xml", "Old news", "https://news.example/old")
    path = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR})
    async with (
        Bot(bot_api.token, base_url=f"{bot_api.api_url}/bot") as bot,
        build(load_config(path, env={}), Mode.SERVICE, TelegramTransport(bot)) as parts,
    ):
        for chat_id, kind in ((ALICE, "private"), (GROUP, "group")):
            await parts.store.upsert_chat(chat_id, kind, None)
            await parts.store.subscribe(chat_id, ["kz-nuclear"])
        await parts.pipeline.poll_all()
        yield parts, parts.sender


async def publish(parts: Parts, server: FeedServer, title: str, n: int = 1) -> None:
    server.publish("/a.xml", title, f"https://news.example/{n}")
    await parts.pipeline.poll_all()


async def test_each_alert_is_sent_once(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, sender = world
    await publish(parts, feed_server, "Rosatom <signs> & co")
    assert await sender.drain() == 2
    assert await sender.drain() == 0
    [message] = bot_api.sent(ALICE)
    assert message["parse_mode"] == "HTML"
    assert "Rosatom <signs> & co" in message["plain_text"]
    assert await parts.store.outbox_counts() == {"sent": 2}


async def test_a_blocked_chat_is_deactivated(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, sender = world
    bot_api.block(ALICE)
    await publish(parts, feed_server, "Rosatom one", 1)
    assert await sender.drain() == 1  # the group still gets its alert
    chat = await parts.store.chat(ALICE)
    assert chat is not None and not chat.active
    await publish(parts, feed_server, "Rosatom two", 2)
    await sender.drain()
    alice_calls = [c for c in bot_api.calls("sendMessage") if c.params["chat_id"] == ALICE]
    assert len(alice_calls) == 1


async def test_a_migrated_group_keeps_its_subscriptions(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, sender = world
    bot_api.migrate(GROUP, SUPERGROUP)
    await publish(parts, feed_server, "Rosatom after the upgrade")
    await sender.drain()
    assert len(bot_api.sent(SUPERGROUP)) == 1
    assert await parts.store.subscriptions(SUPERGROUP) == ["kz-nuclear"]
    assert await parts.store.subscriptions(GROUP) == []
    await publish(parts, feed_server, "Rosatom again", 2)
    await sender.drain()
    assert len(bot_api.sent(SUPERGROUP)) == 2


async def test_retry_after_holds_the_chat_then_delivers(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, sender = world
    bot_api.flood(ALICE, retry_after=1)
    await publish(parts, feed_server, "Rosatom under flood control")
    assert await sender.drain() == 1  # the group; Alice must wait a second
    assert bot_api.sent(ALICE) == []
    await asyncio.sleep(1.1)
    assert await sender.drain() == 1
    assert len(bot_api.sent(ALICE)) == 1


async def test_alerts_held_too_long_arrive_as_one_summary(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, _ = world
    for n in range(3):
        feed_server.publish("/a.xml", f"Rosatom item {n} <&>", f"https://news.example/{n}")
    await parts.pipeline.poll_all()
    await asyncio.sleep(0.3)
    sender = Sender(
        parts.store,
        TelegramTransport(bot_api_bot := Bot(bot_api.token, base_url=f"{bot_api.api_url}/bot")),
        max_age=0.2,
    )
    async with bot_api_bot:
        assert await sender.drain() == 2  # one summary per chat
    [summary] = bot_api.sent(ALICE)
    assert "3 alerts held" in summary["plain_text"]
    assert "Rosatom item 2 <&>" in summary["plain_text"]
    assert await parts.store.due(utcnow() + timedelta(days=1)) == []


async def test_alerts_survive_a_restart(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.publish("/a.xml", "Old news", "https://news.example/old")
    config = load_config(
        write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR}), env={}
    )
    async with build(config, Mode.CONSOLE, out=io.StringIO()) as parts:
        await parts.pipeline.poll_all()
        feed_server.publish("/a.xml", "Rosatom news before the crash", "https://news.example/1")
        await parts.pipeline.poll_all()
    out = io.StringIO()
    async with build(config, Mode.CONSOLE, out=out) as parts:
        assert await parts.sender.drain() == 1
        assert await parts.sender.drain() == 0
    assert "Rosatom news before the crash" in out.getvalue()


async def test_migration_onto_a_chat_with_the_same_rows_keeps_one_of_each(
    world: tuple[Parts, Sender], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    parts, sender = world
    bot_api.migrate(GROUP, SUPERGROUP)
    await parts.store.upsert_chat(SUPERGROUP, "supergroup", "Desk")
    await parts.store.subscribe(SUPERGROUP, ["kz-nuclear"])  # an admin was quick
    await publish(parts, feed_server, "Rosatom for both ids")  # queued for -500 and -100500
    await sender.drain()
    assert len(bot_api.sent(SUPERGROUP)) == 1
    assert await parts.store.subscriptions(SUPERGROUP) == ["kz-nuclear"]
    assert await parts.store.due(utcnow() + timedelta(days=1)) == []


async def _due_now(parts: Parts) -> None:
    """Bring every postponed outbox row forward, as the hours of back-off would."""
    async with parts.store.writing() as conn:
        await conn.execute(text("UPDATE outbox SET not_before = :now"), {"now": utcnow()})


async def test_a_notice_to_an_admin_is_retried_until_delivered(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    bot_api.add_chat(ADMIN)
    feed_server.reply("/gone.xml", Reply(410))
    path = write_config(tmp_path, {"gone": feed_server.url("/gone.xml")}, {"n": NUCLEAR})
    bot_api.fail_sends(ADMIN, times=2)  # the first two tries meet a gateway in trouble
    async with (
        Bot(bot_api.token, base_url=f"{bot_api.api_url}/bot") as bot,
        build(load_config(path, env={}), Mode.SERVICE, TelegramTransport(bot)) as parts,
    ):
        await parts.pipeline.poll_all()
        for _ in range(4):
            await parts.sender.drain()
            await _due_now(parts)
        state = await parts.store.feed_state("gone")
    [notice] = bot_api.sent(ADMIN)
    assert "Feed gone" in notice["plain_text"] and "is gone (HTTP 410)" in notice["plain_text"]
    assert len(bot_api.calls("sendMessage")) == 3  # two failures, then the notice
    assert state is not None and state.health_notice_at is not None
