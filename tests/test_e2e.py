"""`newsbot run` as a real process against a local feed server and a fake Bot API.

The whole path: users subscribe in Telegram, news is published to the feed, alerts
arrive as Telegram messages; nothing here touches the internet.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.configs import CSTO, NUCLEAR, ROOT, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Item

ALICE, BOB, CAROL, DAVE, EVE = 100, 200, 300, 400, 500
GROUP, SUPERGROUP = -3001, -1004001


def start(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, float, str]:
    began = time.monotonic()
    process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"newsbot did not stop:\n{output}") from None
    return process.returncode, time.monotonic() - began, output


@pytest.fixture
def running(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    feed_server.publish("/kz.xml", "Old news: Rosatom annual report", "https://news.example/old")
    config = write_config(
        tmp_path,
        {"kz": feed_server.url("/kz.xml")},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
        token=bot_api.token,
        api_url=bot_api.api_url,
        parse_workers=2,  # as a real deployment parses: in worker processes
    )
    process = start(config)
    try:
        bot_api.wait_calls("getUpdates", timeout=20)
        yield process, tmp_path
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["plain_text"] for m in api.sent(chat_id)]


def alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, object]]:
    return [m for m in api.sent(chat_id) if m["plain_text"].startswith("🔔")]


def setup_people(api: FakeBotAPI) -> None:
    for user_id, name in (
        (ALICE, "Alice"),
        (BOB, "Bob"),
        (CAROL, "Carol"),
        (DAVE, "Dave"),
        (EVE, "Eve"),
    ):
        api.add_user(user_id, name)
        api.add_chat(user_id)
    api.add_chat(GROUP, "group", "Analysts")
    api.set_member(GROUP, CAROL, "member")
    api.add_chat(SUPERGROUP, "supergroup", "Newsroom")
    api.set_member(SUPERGROUP, DAVE, "administrator")


def test_subscribers_get_one_alert_and_nobody_else_does(
    running: tuple[subprocess.Popen[str], Path], feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    process, folder = running
    setup_people(bot_api)
    bot_api.push_message(ALICE, ALICE, "/start")
    [welcome] = bot_api.wait_sent(ALICE)
    assert "Kazakhstan nuclear power" in str(welcome["reply_markup"])
    bot_api.push_message(ALICE, ALICE, "/sub kz-nuclear")
    bot_api.push_message(BOB, BOB, "/start")
    bot_api.push_message(GROUP, CAROL, "/sub@newsbot_test_bot kz-nuclear")
    bot_api.push_message(SUPERGROUP, DAVE, "/sub kz-nuclear")
    bot_api.push_message(EVE, EVE, "/sub kz-nuclear csto-cis")
    assert "Subscribed" in bot_api.wait_sent(ALICE, 2)[1]["plain_text"]
    assert "administrators" in bot_api.wait_sent(GROUP)[0]["plain_text"]
    assert "Subscribed" in bot_api.wait_sent(SUPERGROUP)[0]["plain_text"]
    bot_api.wait_sent(EVE)
    bot_api.wait_sent(BOB)
    assert len(feed_server.hits("/kz.xml")) >= 1  # the first poll recorded the old entry
    bot_api.block(EVE)

    feed_server.publish(
        "/kz.xml",
        "Rosatom <signs> deal for Kazakhstan's first plant & more",
        "https://news.example/rosatom-deal?utm_source=rss",
        description="<p>The <b>Rosatom</b> deal was signed in Astana.</p>",
    )
    feed_server.publish("/kz.xml", "Football: Astana wins", "https://news.example/football")
    [alert] = alerts(bot_api, ALICE) or [m for m in bot_api.wait_sent(ALICE, 3, timeout=30)[2:]]
    assert alert["plain_text"].startswith("🔔 Kazakhstan nuclear power")
    assert "Rosatom <signs> deal for Kazakhstan's first plant & more" in alert["plain_text"]
    links = [e["url"] for e in alert["entities"] if e["type"] == "text_link"]
    assert links == ["https://news.example/rosatom-deal?utm_source=rss"]
    bot_api.wait_sent(SUPERGROUP, 2, timeout=30)
    bot_api.wait_for(lambda: _inactive(folder, EVE), timeout=30, what="Eve deactivated")

    # The same story again, its title edited and its link without tracking (a feed
    # without guids knows an item by its link): nobody hears twice.
    feed_server.set_feed(
        "/kz.xml",
        [
            Item("CSTO ministers meet", "https://news.example/csto"),
            Item("Rosatom deal: update", "https://news.example/rosatom-deal/"),
            Item("Football: Astana wins", "https://news.example/football"),
            Item("Old news: Rosatom annual report", "https://news.example/old"),
        ],
    )
    time.sleep(3)  # several poll cycles at the 1 s interval
    code, took, output = stop(process)

    assert code == 0, output
    assert took < 5, output
    assert len(alerts(bot_api, ALICE)) == 1
    assert len(alerts(bot_api, SUPERGROUP)) == 1
    assert alerts(bot_api, BOB) == [] and alerts(bot_api, GROUP) == []
    eve_sends = [c for c in bot_api.calls("sendMessage") if c.params.get("chat_id") == EVE]
    assert len(eve_sends) == 2  # the /sub reply and the refused alert; none after that
    assert len(feed_server.hits("/kz.xml")) >= 3


def _inactive(folder: Path, chat_id: int) -> bool:
    with sqlite3.connect(folder / "newsbot.db") as db:
        row = db.execute("SELECT active FROM chats WHERE id = ?", (chat_id,)).fetchone()
    return row is not None and not row[0]


def test_stops_within_seconds_while_a_fetch_is_stalled(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    def stall(request: object) -> None:
        time.sleep(30)

    feed_server.reply("/stall.xml", stall)
    config = write_config(
        tmp_path, {"stall": feed_server.url("/stall.xml")}, {"kz-nuclear": NUCLEAR}, extra=""
    )
    config.write_text(config.read_text().replace("timeout: 3s", "timeout: 60s"))
    process = start(config)
    try:
        deadline = time.monotonic() + 20
        while not feed_server.hits("/stall.xml") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert feed_server.hits("/stall.xml"), "the feed was never fetched"
        code, took, output = stop(process, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, output
    assert took < 5, output


def test_stops_within_seconds_while_a_group_floods_it(
    running: tuple[subprocess.Popen[str], Path], bot_api: FakeBotAPI
) -> None:
    # Six members send ten /help each: sixty replies within every user's own limit, but
    # a group gets 20 messages a minute, so answering them all would take two minutes.
    process, _ = running
    bot_api.add_chat(GROUP, "group", "Desk")
    members = range(700, 706)
    for user in members:
        bot_api.add_user(user, f"Member {user}")
        bot_api.set_member(GROUP, user, "member")
    for _ in range(10):
        for user in members:
            bot_api.push_message(GROUP, user, "/help")
    bot_api.wait_sent(GROUP, 20, timeout=30)  # the group's first minute is used up
    code, _, output = stop(process)  # fails unless it stops within 15 s
    assert code == 0, output
    assert "Traceback" not in output, output
    assert len(bot_api.sent(GROUP)) < 60
    assert "commands that arrived before the stop were not answered" in output, output
