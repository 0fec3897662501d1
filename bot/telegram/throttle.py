"""A budget of commands and button presses per sender, applied before any handler.

Each sender (a user; for anonymous administrators and channels, the chat they write as)
has a bucket of ``BURST`` commands that refills by one every ``EVERY`` seconds. A
command or press beyond it is refused: the first refusal is answered once, politely
("Too many commands; try again in N s", in the chat's language), later ones are ignored
silently until the bucket has filled up again (the sender was quiet long enough); a
refused button press is still answered, without text, so the button stops spinning.

Memory is bounded: the ``MAX_SENDERS`` most recent senders are remembered; one
forgotten earlier gets a fresh bucket, as after a quiet spell.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.telegram.gate import Gate, reply
from bot.telegram.texts import text

log = logging.getLogger(__name__)
BURST = 10
EVERY = 3.0
MAX_SENDERS = 10_000


@dataclass(frozen=True)
class Allow:
    pass


@dataclass(frozen=True)
class Notify:
    wait: int  # whole seconds until the next command is allowed


@dataclass(frozen=True)
class Ignore:
    pass


Verdict = Allow | Notify | Ignore


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: bool = False


class CommandBudget:
    """The pure decision: may this sender's command run now? No I/O."""

    def __init__(
        self,
        burst: int = BURST,
        every: float = EVERY,
        max_senders: int = MAX_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._every = every
        self._max = max_senders
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}  # least recently seen first

    @property
    def senders(self) -> int:
        """How many senders are remembered."""
        return len(self._buckets)

    def check(self, sender: int) -> Verdict:
        """Spend one of ``sender``'s commands: Allow, Notify (the first refusal) or Ignore."""
        bucket = self._refilled(sender)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Allow()
        if bucket.told:
            return Ignore()
        bucket.told = True
        return Notify(max(1, math.ceil((1 - bucket.tokens) * self._every)))

    def _refilled(self, sender: int) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.pop(sender, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) / self._every)
        bucket.at = now
        if bucket.tokens >= self._burst:
            bucket.told = False  # quiet long enough: the next excess is told again
        self._buckets[sender] = bucket  # now the most recent
        if len(self._buckets) > self._max:
            del self._buckets[next(iter(self._buckets))]
        return bucket


class Throttle:
    """Applies a :class:`CommandBudget` to every command and button press."""

    def __init__(self, budget: CommandBudget, gate: Gate) -> None:
        self._budget = budget
        self._gate = gate

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(TypeHandler(Update, self.check), group=-1)  # before every command

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let the update through, or answer or ignore it and stop it here."""
        if not is_request(update, context.bot.username):
            return
        verdict = self._budget.check(sender_of(update))
        if isinstance(verdict, Allow):
            return
        try:
            await self._refuse(update, verdict)
        except TelegramError as exc:
            log.warning("could not refuse a command politely: %s", exc)
        raise ApplicationHandlerStop

    async def _refuse(self, update: Update, verdict: Notify | Ignore) -> None:
        query = update.callback_query
        if isinstance(verdict, Ignore):
            if query is not None:
                await query.answer()  # silent: only the button's spinner stops
            return
        notice = text("too_many", await self._gate.language(update)).format(verdict.wait)
        if query is not None:
            await query.answer(notice)
        else:
            await reply(update, notice)


def is_request(update: Update, username: str) -> bool:
    """A button press, or a message that starts with a command for this bot."""
    if update.callback_query is not None:
        return True
    message = update.message or update.channel_post
    if message is None or not message.text or not message.entities:
        return False
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return False
    addressee = message.text[: first.length].partition("@")[2]
    return not addressee or addressee.lower() == username.lower()


def sender_of(update: Update) -> int:
    """Whose budget a request spends: its user's, or the chat it was written as.

    Anonymous group administrators share one user id in every group, and so do people
    writing as a channel: for them the chat they write as stands for the sender.
    """
    message = update.message or update.channel_post
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat else 0
