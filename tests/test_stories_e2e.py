"""One story through several outlets: one alert per chat, edited as outlets join.

The service runs in-process with real python-telegram-bot against the fake Bot API, the
feeds are served over HTTP and parsed by feedparser, the database is a SQLite file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.service import telegram_service

from bot.delivery import sender as sender_module
from bot.store.base import utcnow
from bot.store.outbox import EDIT_DELAY
from bot.wiring import Parts

ALICE, BOB = 100, 200
AHEAD = [timedelta(0)]  # how far the sender's clock is ahead
FEEDS = ("tass", "interfax", "ria", "kazinform", "trend")
LEAD = (
    "Rosatom and the Kazakh government signed an agreement in Astana on Tuesday to build "
    "the country's first nuclear power plant near the village of Ulken on Lake Balkhash, "
    "with two VVER-1200 reactors due to start in 2035, the state corporation said."
)
HEADLINES = (
    "Rosatom to build Kazakhstan's first nuclear power plant",
    "Kazakhstan picks Rosatom for its first nuclear plant",
    "Rosatom signs deal for Balkhash nuclear plant",
    "Kazakhstan, Rosatom agree on first nuclear power plant",
    "Russia's Rosatom wins Kazakh nuclear plant contract",
)


@pytest.fixture
async def service(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Parts]:
    """The service, its sender's clock ahead of the polls' by what each test waits."""
    monkeypatch.setattr(sender_module, "utcnow", lambda: utcnow() + AHEAD[0])
    AHEAD[0] = timedelta(0)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(BOB, "Bob")
    async with telegram_service(tmp_path, bot_api, feed_server, FEEDS) as parts:
        for user in (ALICE, BOB):
            await bot_api.ask(user, user, "/sub kz-nuclear")
        yield parts


async def publish(parts: Parts, server: FeedServer, feed: str, title: str, text: str) -> None:
    """One new entry in ``feed``, polled and delivered (edits too: their delay passes)."""
    server.publish(f"/{feed}.xml", title, f"https://{feed}.example/rosatom", text)
    await parts.pipeline.poll_all()
    await parts.sender.drain()
    AHEAD[0] += EDIT_DELAY + timedelta(seconds=1)
    await parts.sender.drain()


def alerts(api: FakeBotAPI, chat: int) -> list[dict[str, object]]:
    return [m for m in api.sent(chat) if str(m["plain_text"]).startswith("🔔")]


async def test_one_story_through_five_feeds_is_one_message_edited_four_times(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    byline = ("", " — Interfax", " (RIA Novosti)", " Kazinform.", " Trend News Agency")
    for n, feed in enumerate(FEEDS):
        await publish(service, feed_server, feed, HEADLINES[n], LEAD + byline[n])
    for chat in (ALICE, BOB):
        sent = alerts(bot_api, chat)
        assert len(sent) == 1, [m["plain_text"] for m in sent]
        edits = bot_api.edits(chat)
        assert len(edits) == 4
        assert {e["message_id"] for e in edits} == {sent[0]["message_id"]}
        last = str(edits[-1]["plain_text"])
        assert "Also: Interfax News, Ria News, Kazinform News, Trend News" in last, last
        message = bot_api.message(chat, int(sent[0]["message_id"]))
        assert message is not None and message["reply_markup"], "the buttons stay"
        # each edit adds the next outlet, as a link
        for n, edit in enumerate(edits, start=1):
            links = [e["url"] for e in edit["entities"] if e["type"] == "text_link"]
            assert f"https://{FEEDS[n]}.example/rosatom" in links


async def test_two_stories_sharing_most_words_are_two_messages(
    service: Parts, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    await publish(service, feed_server, "tass", HEADLINES[0], LEAD)
    other = LEAD.replace("Kazakh", "Uzbek").replace("Ulken on Lake Balkhash", "Tudakul")
    await publish(
        service, feed_server, "ria", "Rosatom to build Uzbekistan's first nuclear plant", other
    )
    for chat in (ALICE, BOB):
        assert len(alerts(bot_api, chat)) == 2
        assert bot_api.edits(chat) == []
