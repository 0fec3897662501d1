"""Updates run concurrently across chats and in order within one; commands have a budget."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.telegram.throttle import Allow, CommandBudget, Ignore, Notify, is_request
from bot.telegram.updates import ChatOrderedUpdates

USER = User(1, "Ann", False)
WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def command(update_id: int, chat_id: int, text: str = "/help") -> Update:
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.GROUP)
    word = text.split()[0]
    entities = [MessageEntity(MessageEntity.BOT_COMMAND, 0, len(word))] if word[0] == "/" else []
    message = Message(update_id, WHEN, chat, from_user=USER, text=text, entities=entities)
    return Update(update_id, message=message)


class Recorder:
    """Handlers that record when they start and end; some wait until released."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def handle(self, name: str) -> None:
        self.events.append(f"start {name}")
        if name in self.gates:
            await self.gates[name].wait()
        self.events.append(f"end {name}")


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_chats_run_at_once_and_each_chat_in_order() -> None:
    recorder, tasks = Recorder(), []
    recorder.gates["g1"] = asyncio.Event()
    async with ChatOrderedUpdates() as processor:
        for n, (name, chat) in enumerate([("g1", -5), ("g2", -5), ("p1", 7), ("g3", -5)]):
            coroutine = recorder.handle(name)
            tasks.append(asyncio.create_task(processor.process_update(command(n, chat), coroutine)))
        await settle()
        # the private chat was answered while the group's first update still waits
        assert recorder.events == ["start g1", "start p1", "end p1"]
        recorder.gates["g1"].set()
        await asyncio.gather(*tasks)
    assert recorder.events[3:] == ["end g1", "start g2", "end g2", "start g3", "end g3"]


async def test_a_chat_with_too_many_waiting_commands_loses_the_excess(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder, tasks = Recorder(), []
    recorder.gates["0"] = asyncio.Event()
    async with ChatOrderedUpdates(backlog=3) as processor:
        for n in range(6):
            coroutine = recorder.handle(str(n))
            tasks.append(asyncio.create_task(processor.process_update(command(n, -5), coroutine)))
        await settle()
        recorder.gates["0"].set()
        with caplog.at_level(logging.WARNING):
            await asyncio.gather(*tasks)
    assert [e for e in recorder.events if e.startswith("end")] == ["end 0", "end 1", "end 2"]
    assert "chat -5: 3 commands dropped" in caplog.text  # once, with the count


async def test_memory_per_chat_is_released() -> None:
    async with ChatOrderedUpdates() as processor:
        for n in range(100):
            await processor.process_update(command(n, -n), asyncio.sleep(0))
        assert processor.chats_waiting == 0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_command_every_three_seconds() -> None:
    clock = Clock()
    budget = CommandBudget(burst=10, every=3.0, clock=clock)
    assert [budget.check(1) for _ in range(10)] == [Allow()] * 10
    assert budget.check(1) == Notify(wait=3)
    assert budget.check(1) == Ignore()  # told once: then silence
    assert budget.check(2) == Allow()  # another user has a budget of their own
    clock.now += 3
    assert budget.check(1) == Allow()
    assert budget.check(1) == Ignore()  # still within the same episode
    clock.now += 1
    assert budget.check(1) == Ignore()
    clock.now += 30  # quiet until the budget is full again: the next excess is told again
    assert [budget.check(1) for _ in range(10)] == [Allow()] * 10
    assert budget.check(1) == Notify(wait=3)


def test_the_notice_says_how_long_to_wait() -> None:
    clock = Clock()
    budget = CommandBudget(burst=2, every=3.0, clock=clock)
    budget.check(1), budget.check(1)
    clock.now += 1.2
    assert budget.check(1) == Notify(wait=2)


def test_memory_is_bounded_for_many_users() -> None:
    clock = Clock()
    budget = CommandBudget(burst=2, every=3.0, max_senders=100, clock=clock)
    for user in range(10_000):
        budget.check(user)
    assert budget.senders == 100
    assert budget.check(9_999) == Allow()
    assert isinstance(budget.check(9_999), Notify)  # the most recent users are remembered


def test_a_button_press_is_a_request() -> None:
    query = CallbackQuery("q", USER, "ci", data="t:x")
    update: Any = Update(1, callback_query=query)
    assert is_request(update, "newsbot_test_bot")
    assert not is_request(command(2, 7, "hello"), "newsbot_test_bot")
    assert is_request(command(3, -5, "/help@newsbot_test_bot"), "newsbot_test_bot")
    assert not is_request(command(4, -5, "/help@other_bot"), "newsbot_test_bot")
