"""Handle Telegram updates concurrently across chats, in order within each chat.

python-telegram-bot handles one update at a time by default: a reply waiting on one
group's rate limit (20 messages a minute) held up every other chat's replies. Here:

* each chat's updates run one after another, in the order Telegram sent them;
* different chats run at once, at most ``RUNNING`` handlers overall;
* at most ``BACKLOG`` updates wait for one chat; a command, message or button press
  beyond that is dropped (one log line per episode): that chat asks faster than it can
  be answered. Membership changes and group migrations are never dropped;
* updates without a chat (none that newsbot handles) run at once;
* at most ``WAITING`` updates are inside this processor at all; more wait their turn in
  python-telegram-bot, still in order;
* once :meth:`ChatOrderedUpdates.close` is called (the service is stopping), updates
  still waiting for their turn are dropped instead of answered: a stop must not wait
  minutes on a group's 20-a-minute limit. Those that run finish.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)
RUNNING = 64
BACKLOG = 100  # a full getUpdates batch for one chat is never dropped
WAITING = 2000


@dataclass
class _Queue:
    """One chat's turn: held by the update that runs, waited for in arrival order."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    dropped: int = 0


class ChatOrderedUpdates(BaseUpdateProcessor):
    """An update processor that serializes per chat and runs chats concurrently."""

    def __init__(
        self, running: int = RUNNING, backlog: int = BACKLOG, waiting: int = WAITING
    ) -> None:
        super().__init__(max_concurrent_updates=waiting)
        self._running = asyncio.Semaphore(running)
        self._backlog = backlog
        self._chats: dict[int, _Queue] = {}
        self._closed = False
        self._dropped_at_stop = 0

    @property
    def chats_waiting(self) -> int:
        """How many chats have an update running or waiting."""
        return len(self._chats)

    async def initialize(self) -> None:
        """Nothing to set up."""

    def close(self) -> None:
        """From now on, drop the updates still waiting for their chat's turn."""
        self._closed = True

    def reopen(self) -> None:
        """Run every update again (the instance takes Telegram back after losing it)."""
        self._closed = False

    async def shutdown(self) -> None:
        """Nothing to release: every update has finished when the application stops."""
        if self._dropped_at_stop:
            log.warning(
                "%d commands that arrived before the stop were not answered",
                self._dropped_at_stop,
            )

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` (the handlers of ``update``) when its chat's turn comes."""
        chat_id = _chat_id(update)
        if chat_id is None:
            async with self._running:
                await coroutine
            return
        queue = self._chats.setdefault(chat_id, _Queue())
        if queue.waiting >= self._backlog and _droppable(update):
            queue.dropped += 1
            _discard(coroutine)
            return
        queue.waiting += 1
        try:
            async with queue.turn, self._running:
                if self._closed and _droppable(update):
                    self._dropped_at_stop += 1
                    _discard(coroutine)
                    return
                await coroutine
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._chats[chat_id]
                _report(chat_id, queue.dropped, self._backlog)


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


def _droppable(update: object) -> bool:
    """Anything but the bot's membership changes and group migrations."""
    if not isinstance(update, Update) or update.my_chat_member or update.chat_member:
        return False
    message = update.message
    return not (message and (message.migrate_to_chat_id or message.migrate_from_chat_id))


def _discard(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()  # never started: closing it keeps Python from warning


def _report(chat_id: int, dropped: int, backlog: int) -> None:
    if dropped:
        log.warning(
            "chat %s: %d commands dropped: more than %d were waiting to be answered",
            chat_id,
            dropped,
            backlog,
        )
