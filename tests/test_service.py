"""`newsbot run` as an operator runs it: one service per database, console mode beside
Telegram subscribers, a database it cannot use, and stops clean or by ``kill -9``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Reply
from support.processes import Service, newsbot

from bot.commands.run import run_service
from bot.config import load_config
from bot.store.store import Store

ALICE, BOB = 100, 200
ADMIN = 999  # in telegram.admins of every test config


def subscribe(config: Path, *chat_ids: int) -> None:
    """Subscribers in the store, as if they had sent /sub kz-nuclear."""
    asyncio.run(subscribe_async(config, *chat_ids))


async def subscribe_async(config: Path, *chat_ids: int) -> None:
    store = await Store.open(f"sqlite:///{config.parent / 'newsbot.db'}")
    try:
        for chat_id in chat_ids:
            await store.upsert_chat(chat_id, "private", f"chat {chat_id}")
            await store.subscribe(chat_id, ["kz-nuclear"])
    finally:
        await store.close()


DEAD_FEED = "http://127.0.0.1:9/kz.xml"  # nothing listens there: `poll` still opens the database


def no_tracebacks(output: str) -> bool:
    return "Traceback" not in output and "CancelledError" not in output


# ----------------------------------------------------------- one service per database


def test_a_second_run_on_the_same_database_refuses_to_start(
    tmp_path: Path, bot_api: FakeBotAPI, feed_server: FeedServer, services: list[Service]
) -> None:
    feed_server.publish("/kz.xml", "Rosatom annual report", "https://news.example/old")
    config = write_config(
        tmp_path,
        {"kz": feed_server.url("/kz.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    first = Service(config)
    services.append(first)
    bot_api.wait_calls("getUpdates", timeout=30)

    second = Service(config)
    services.append(second)
    assert second.finish() == 1, second.output
    database = tmp_path / "newsbot.db"
    assert f"another newsbot run is using {database} (pid {first.process.pid})" in second.output
    assert no_tracebacks(second.output), second.output

    polled = newsbot(config, "poll")  # one cycle beside the service stays allowed
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert first.process.poll() is None
    assert first.stop() == 0, first.output
    assert no_tracebacks(first.output), first.output


def test_a_run_after_kill_9_starts(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    config = write_config(
        tmp_path, {}, {"kz-nuclear": NUCLEAR}, token=bot_api.token, api_url=bot_api.api_url
    )
    first = Service(config)
    services.append(first)
    bot_api.wait_calls("getUpdates", timeout=30)
    first.stop(signal.SIGKILL)

    again = Service(config)
    services.append(again)
    again.wait_output("newsbot running")
    assert again.stop() == 0, again.output
    assert "another newsbot run" not in again.output


# ---------------------------------------------------- console mode consumes nothing


def test_console_mode_leaves_telegram_alerts_queued(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    feed_server.publish("/kz.xml", "Old news: Rosatom annual report", "https://news.example/old")
    feeds = {"kz": feed_server.url("/kz.xml")}
    config = write_config(tmp_path, feeds, {"kz-nuclear": NUCLEAR}, token="")
    subscribe(config, ALICE)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_chat(ALICE)

    console = Service(config)
    services.append(console)
    console.wait_output("newsbot running")
    _wait(lambda: len(feed_server.hits("/kz.xml")) >= 1, "the first poll")
    feed_server.publish("/kz.xml", "Rosatom signs a deal in Astana", "https://news.example/1")
    console.wait_output("Rosatom signs a deal in Astana")  # the console chat's alert
    assert console.stop(signal.SIGINT) == 0, console.output
    assert no_tracebacks(console.output), console.output
    assert bot_api.calls("sendMessage") == []

    write_config(
        tmp_path, feeds, {"kz-nuclear": NUCLEAR}, token=bot_api.token, api_url=bot_api.api_url
    )
    telegram = Service(config)
    services.append(telegram)
    [alert] = bot_api.wait_sent(ALICE, timeout=30)
    assert "Rosatom signs a deal in Astana" in alert["plain_text"]
    assert telegram.stop() == 0, telegram.output
    assert no_tracebacks(telegram.output), telegram.output
    assert len(bot_api.sent(ALICE)) == 1


async def test_console_mode_with_a_token_leaves_telegram_alone(
    tmp_path: Path,
    feed_server: FeedServer,
    bot_api: FakeBotAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    feed_server.publish("/kz.xml", "Old news: Rosatom annual report", "https://news.example/old")
    path = write_config(
        tmp_path,
        {"kz": feed_server.url("/kz.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    await subscribe_async(path, ALICE)
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(load_config(path, env={}).in_console_mode(), stop))
    printed = ""
    try:
        while not feed_server.hits("/kz.xml"):
            await asyncio.sleep(0.1)
        feed_server.publish("/kz.xml", "Rosatom opens an office", "https://news.example/2")
        for _ in range(200):
            printed += capsys.readouterr().out
            if "Rosatom opens an office" in printed:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await service
    assert "Rosatom opens an office" in printed
    assert bot_api.calls() == []  # not even getMe
    with sqlite3.connect(tmp_path / "newsbot.db") as db:
        queued = db.execute("SELECT chat_id, status FROM outbox WHERE chat_id = ?", (ALICE,))
        assert queued.fetchall() == [(ALICE, "pending")]


def _wait(condition: object, what: str, timeout: float = 20) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_stop_during_a_stalled_fetch_logs_no_traceback(
    tmp_path: Path, feed_server: FeedServer, services: list[Service]
) -> None:
    feed_server.reply("/stall.xml", lambda request: time.sleep(30))
    config = write_config(tmp_path, {"stall": feed_server.url("/stall.xml")}, {"n": NUCLEAR})
    config.write_text(config.read_text().replace("timeout: 3s", "timeout: 60s"))
    service = Service(config)
    services.append(service)
    _wait(lambda: feed_server.hits("/stall.xml"), "the fetch")
    assert service.stop(signal.SIGINT) == 0, service.output
    assert "stopping" in service.output
    assert no_tracebacks(service.output), service.output


def test_sigusr1_prints_every_threads_stack_and_the_service_goes_on(
    tmp_path: Path, feed_server: FeedServer, services: list[Service]
) -> None:
    feed_server.publish("/a.xml", "Rosatom report", "https://news.example/a")
    config = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"n": NUCLEAR})
    service = Service(config)
    services.append(service)
    service.wait_output("newsbot running")
    service.process.send_signal(signal.SIGUSR1)
    service.wait_output("Current thread")  # faulthandler's dump of the main thread
    assert service.process.poll() is None  # still running
    assert service.stop() == 0, service.output


@pytest.mark.parametrize("after", [0.3, 1.0, 1.5, 2.0, 2.5])
def test_a_stop_at_any_moment_of_the_start_is_clean(
    tmp_path: Path, feed_server: FeedServer, after: float
) -> None:
    """A sweep over the start: imports, opening the store, the first polls being handed
    out (where a cancelled job used to be logged as failed), the polls themselves."""
    feeds = {}
    for n in range(8):
        feed_server.publish(f"/f{n}.xml", f"Rosatom report {n}", f"https://news.example/{n}")
        feeds[f"f{n}"] = feed_server.url(f"/f{n}.xml")
    config = write_config(tmp_path, feeds, {"n": NUCLEAR}, parse_workers=2)
    service = Service(config)
    try:
        time.sleep(after)
        code = service.stop()
    finally:
        service.kill()
    assert code == 0, service.output
    assert no_tracebacks(service.output), service.output


def _poll_it(config: Path, feed_server: FeedServer, services: list[Service]) -> None:
    polled = newsbot(config, "poll", "--json")
    assert polled.returncode == 1, polled.stdout + polled.stderr
    lines = [json.loads(line) for line in polled.stdout.splitlines()]  # nothing but JSON
    assert [(line["feed"], line["status"]) for line in lines] == [("gone", "error")]


def _run_it_in_console_mode(config: Path, feed_server: FeedServer, services: list[Service]) -> None:
    console = Service(config, "--console")
    services.append(console)
    _wait(lambda: feed_server.hits("/gone.xml"), "the poll")
    console.wait_output("gone")
    assert console.stop() == 0, console.output


@pytest.mark.parametrize("first", [_poll_it, _run_it_in_console_mode], ids=["poll", "console"])
def test_the_notice_of_a_gone_feed_is_left_to_the_telegram_service(
    tmp_path: Path,
    feed_server: FeedServer,
    bot_api: FakeBotAPI,
    services: list[Service],
    first: Callable[[Path, FeedServer, list[Service]], None],
) -> None:
    feed_server.reply("/gone.xml", Reply(410))
    config = write_config(
        tmp_path,
        {"gone": feed_server.url("/gone.xml")},
        {"n": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    first(config, feed_server, services)
    assert bot_api.calls() == []
    assert _queued_for(tmp_path / "newsbot.db", ADMIN) == 1  # marked given once queued

    bot_api.add_chat(ADMIN)  # the admin has started a private chat with the bot
    service = Service(config)
    services.append(service)
    [notice] = bot_api.wait_sent(ADMIN, timeout=30)
    assert "gone" in notice["plain_text"], notice
    assert service.stop() == 0, service.output


def _queued_for(database: Path, chat_id: int) -> int:
    with contextlib.closing(sqlite3.connect(database)) as db:
        query = "SELECT count(*) FROM outbox WHERE chat_id = ? AND status = 'pending'"
        return int(db.execute(query, (chat_id,)).fetchone()[0])


# ------------------------------------------------------------ a database it cannot use


def _unusable(tmp_path: Path, case: str) -> str:
    """A storage.url newsbot cannot open, of the given kind."""
    if case == "folder":
        (tmp_path / "db").mkdir()
        return f"sqlite:///{tmp_path / 'db'}"
    if case == "under-a-file":
        (tmp_path / "afile").write_text("x")
        return f"sqlite:///{tmp_path / 'afile' / 'newsbot.db'}"
    if case == "read-only-folder":
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        return f"sqlite:///{folder / 'newsbot.db'}"
    (tmp_path / "notes.db").write_text("not a database, only text\n" * 100)
    return f"sqlite:///{tmp_path / 'notes.db'}"


@pytest.mark.parametrize("command", ["run", "poll", "feeds"])
@pytest.mark.parametrize("case", ["folder", "under-a-file", "read-only-folder", "not-sqlite"])
def test_an_unusable_database_path_is_a_message(tmp_path: Path, command: str, case: str) -> None:
    if case == "read-only-folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    config = write_config(tmp_path, {"kz": DEAD_FEED}, {"kz-nuclear": NUCLEAR})
    url = _unusable(tmp_path, case)
    config.write_text(config.read_text().replace("sqlite:///newsbot.db", url))
    done = newsbot(config, command)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "newsbot: cannot open database " in output, output
    assert "Traceback" not in output, output


# ------------------------------------------------------------------- delivery, kill -9


CHATS = (ALICE, BOB, 300, 400, 500)


def queue_alerts(database: Path, per_chat: int, chats: tuple[int, ...] = CHATS) -> None:
    """``per_chat`` distinct alerts waiting in the outbox for each of ``chats``."""
    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(database) as db:
        for chat_id in chats:
            db.execute(
                "INSERT INTO chats (id, type, title, active, created_at) VALUES (?, ?, ?, 1, ?)",
                (chat_id, "private", f"chat {chat_id}", now),
            )
        for n in range(per_chat):
            entry = db.execute(
                "INSERT INTO entries (feed_id, key, story, title, link, seen_at) "
                "VALUES ('kz', ?, ?, ?, ?, ?)",
                (f"k{n}", f"s{n}", f"Story {n}", f"https://news.example/{n}", now),
            ).lastrowid
            for chat_id in chats:
                db.execute(
                    "INSERT INTO outbox (chat_id, entry_id, story, kind, payload, status, "
                    "attempts, not_before, created_at) "
                    "VALUES (?, ?, ?, 'html', ?, 'pending', 0, ?, ?)",
                    (chat_id, entry, f"s{n}", f"🔔 alert {n} for {chat_id}", now, now),
                )


def delivered(api: FakeBotAPI) -> dict[int, list[str]]:
    by_chat: dict[int, list[str]] = {c: [] for c in CHATS}
    for message in api.sent():
        if message["chat_id"] in by_chat:
            by_chat[message["chat_id"]].append(message["plain_text"])
    return by_chat


def test_kill_9_while_sending_loses_nothing_and_repeats_at_most_one_per_chat(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    per_chat = 30
    config = write_config(
        tmp_path, {}, {"kz-nuclear": NUCLEAR}, token=bot_api.token, api_url=bot_api.api_url
    )
    assert newsbot(config, "feeds").returncode == 0  # creates the database
    queue_alerts(tmp_path / "newsbot.db", per_chat)
    for chat_id in CHATS:
        bot_api.add_chat(chat_id)

    first = Service(config)
    services.append(first)
    bot_api.wait_calls("sendMessage", count=len(CHATS) * per_chat // 3, timeout=60)
    first.stop(signal.SIGKILL)
    assert len(bot_api.calls("sendMessage")) < len(CHATS) * per_chat, "killed too late"

    again = Service(config)
    services.append(again)
    bot_api.wait_for(
        lambda: all(len(set(m)) == per_chat for m in delivered(bot_api).values()),
        timeout=60,
        what="every alert delivered",
    )
    assert again.stop() == 0, again.output
    for chat_id, texts in delivered(bot_api).items():
        assert set(texts) == {f"🔔 alert {n} for {chat_id}" for n in range(per_chat)}
        assert len(texts) - len(set(texts)) <= 1, (chat_id, texts)
