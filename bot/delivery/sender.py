"""Drain the outbox: every queued message is sent once, within Telegram's limits.

Alerts, admins' feed notices and summaries of held alerts all go this one way: a row in
the outbox, sent by :class:`Sender` with the same pacing, retries and error handling.

The transport sorts each send into a case: sent, the chat is gone (blocked, kicked,
deleted: the chat is deactivated), the group migrated (its rows move to the new id and
go out there), wait (``retry_after``: that chat's alerts are held), or failed
(transient failures are retried with back-off, permanent ones are recorded).

Before sending, a chat's alerts may be held (a mute, quiet hours, a digest: see
:mod:`bot.delivery.hold`); each round first releases, as one summary per chat, the held
alerts that nothing holds any more. Both are decided from stored settings and times.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.delivery.hold import Policy
from bot.delivery.summary import summarise
from bot.messages import AlertMessage, HeldAlerts, Message, StoredHtml, SummaryWhy
from bot.metrics import Metrics
from bot.metrics.recorder import ErrorKind
from bot.store.held import HeldRow
from bot.store.records import EVERY_CHAT, ChatFilter, EditRow, OutboxRow
from bot.store.settings import ChatSettings
from bot.store.store import Store, utcnow
from bot.telegram.texts import DEFAULT

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
RECHECK = timedelta(minutes=1)  # the longest a holding chat goes unchecked
CONCURRENT_CHATS = 8
# Edits (another outlet of a story in an alert's "Also:" line) share Telegram's limits with
# new alerts and give way to them: a chat is edited only while fewer than EDIT_BELOW of
# its messages and edits went out in the last minute (a group may have 20), and a round
# edits after it has sent everything due.
EDIT_BELOW = 10
EDITS_PER_ROUND = 20  # edits read at a time
MAX_CHATS_COUNTED = 10_000  # chats whose last minute of messages is remembered
EDIT_RETRY = timedelta(minutes=1)  # after a failure that may pass
EDITABLE = timedelta(days=2)  # a failing edit of an older message is given up
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Sent:
    message_id: int | None = None  # the message it became, if it can be edited later


@dataclass(frozen=True)
class ChatGone:
    reason: str


@dataclass(frozen=True)
class Migrated:
    new_chat_id: int


@dataclass(frozen=True)
class RetryLater:
    seconds: float


@dataclass(frozen=True)
class SendFailed:
    error: str
    permanent: bool


SendResult = Sent | ChatGone | Migrated | RetryLater | SendFailed


class Transport(Protocol):
    """Renders a message for where it goes (Telegram, a terminal) and sends it."""

    async def send(
        self, chat_id: int, message: Message, thread_id: int | None = None
    ) -> SendResult:
        """Send ``message`` to the chat (to its forum topic ``thread_id``, if given)."""
        ...

    async def edit(self, chat_id: int, message_id: int, message: Message) -> SendResult:
        """Make the message ``message_id`` of the chat show ``message`` instead; a message
        that is not modified by it counts as edited."""
        ...


class Sender:
    """Sends due outbox rows of ``chats`` (all by default); wake it with :meth:`wake`
    when new alerts were queued or a chat's settings changed. ``clock``: what time it
    is (the store's UTC clock by default). ``metrics``: where sends, failures and each
    alert's delay since its entry was published are recorded."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        max_age: float = 86400,
        idle: float = 2.0,
        chats: ChatFilter = EVERY_CHAT,
        clock: Callable[[], datetime] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._clock = clock
        self._filter = chats
        self._transport = transport
        self._max_age = timedelta(seconds=max_age)
        self._idle = idle
        self._wakeup = asyncio.Event()
        self._stop: asyncio.Event | None = None
        # when each holding chat is worth looking at again (nothing of it can be free
        # before); forgotten when woken, as a command may have changed a chat's settings
        self._recheck: dict[int, datetime] = {}
        self._chats = asyncio.Semaphore(CONCURRENT_CHATS)
        self._recent: dict[int, deque[datetime]] = {}  # each chat's sends of the last minute
        self._woken = 0  # how many times it was woken: edits stop for new alerts

    @property
    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _now(self) -> datetime:
        return self._clock() if self._clock is not None else utcnow()

    def wake(self) -> None:
        self._recheck.clear()
        self._woken += 1
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set; a failing round is logged, never fatal."""
        self._stop = stop
        while not stop.is_set():
            self._wakeup.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("delivery round failed; retrying")
            waiters = {
                asyncio.ensure_future(self._wakeup.wait()),
                asyncio.ensure_future(stop.wait()),
            }
            _, pending = await asyncio.wait(
                waiters, timeout=self._idle, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    async def drain(self) -> int:
        """Release held alerts that are free, then send everything due now; returns how
        many messages went out."""
        await self._release()
        total = 0
        while rows := await self._store.due(self._now(), 200, self._filter):
            by_chat: dict[int, list[OutboxRow]] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row)
            results = await asyncio.gather(
                *(self._send_chat(r) for r in by_chat.values()), return_exceptions=True
            )
            counts = [r if isinstance(r, int) else self._failed_round(r) for r in results]
            total += sum(counts)
            if sum(counts) == 0 and not await self._progressed(rows):
                break
        await self._edit()
        return total

    async def _edit(self) -> None:
        """Edit the sent alerts whose story gained outlets, within each chat's share, a
        few at a time, until none is due or a new alert waits (it goes first)."""
        woken, tried = self._woken, set[int]()
        while not self._stopping and self._woken == woken:
            due = await self._store.edits_due(self._now(), EDITS_PER_ROUND, self._filter)
            if not due or {r.id for r in due} <= tried:  # done, or stuck on these: next round
                return
            tried.update(r.id for r in due)
            by_chat: dict[int, list[EditRow]] = {}
            for row in due:
                by_chat.setdefault(row.chat_id, []).append(row)
            results = await asyncio.gather(
                *(self._edit_chat(rows, woken) for rows in by_chat.values()),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    self._failed_round(result)

    async def _edit_chat(self, rows: Sequence[EditRow], woken: int) -> None:
        async with self._chats:
            for row in rows:
                if self._stopping or self._woken != woken:  # new alerts were queued
                    return
                if row.revision <= row.shown:  # sent showing it already
                    await self._store.edit_done(row.id, row.revision)
                    continue
                now = self._now()
                free_at = self._share_free(row.chat_id, now)
                if free_at is not None:  # new alerts first: try when the chat has room
                    await self._store.edit_later(row.id, free_at)
                    continue
                self._count(row.chat_id, now)
                result = await self._transport.edit(row.chat_id, row.message_id, row.message)
                if not await asyncio.shield(self._edited(row, result)):
                    return

    async def _edited(self, row: EditRow, result: SendResult) -> bool:
        """Record an edit's outcome; False: the chat must wait."""
        self._record(result)
        match result:
            case Sent():
                await self._store.edit_done(row.id, row.revision)
            case ChatGone(reason=reason):
                log.info("chat %s deactivated: %s", row.chat_id, reason)
                await self._store.edit_done(row.id, None)
                await self._store.deactivate_chat(row.chat_id, reason)
                return False
            case RetryLater(seconds=seconds):
                until = self._now() + timedelta(seconds=seconds)
                await self._store.postpone_chat(row.chat_id, until)
                return False
            case SendFailed(error=error, permanent=False) if not self._too_old(row):
                log.info("edit of message %s in chat %s failed: %s", row.id, row.chat_id, error)
                await self._store.edit_later(row.id, self._now() + EDIT_RETRY)
            case SendFailed(error=error):  # deleted, too old, not ours: left as it is
                log.info("message %s in chat %s left as it is: %s", row.id, row.chat_id, error)
                await self._store.edit_done(row.id, None)
            case Migrated():  # the old group's message: left as it is
                await self._store.edit_done(row.id, None)
        return True

    def _too_old(self, row: EditRow) -> bool:
        return row.sent_at is None or row.sent_at < self._now() - EDITABLE

    def _count(self, chat_id: int, now: datetime) -> None:
        """One more message or edit to ``chat_id``, for its share of the limits (only
        the last :data:`EDIT_BELOW` count: the share is full or not)."""
        self._recent.setdefault(chat_id, deque(maxlen=EDIT_BELOW)).append(now)
        if len(self._recent) > 2 * MAX_CHATS_COUNTED:  # forget the chats quiet longest
            quiet = sorted(self._recent, key=lambda c: self._recent[c][-1])
            for chat in quiet[:MAX_CHATS_COUNTED]:
                del self._recent[chat]

    def _share_free(self, chat_id: int, now: datetime) -> datetime | None:
        """None if an edit to the chat may go now; else when it may."""
        recent = self._recent.get(chat_id)
        if recent is None:
            return None
        while recent and recent[0] <= now - _MINUTE:
            recent.popleft()
        if not recent:
            del self._recent[chat_id]
            return None
        return None if len(recent) < EDIT_BELOW else recent[0] + _MINUTE

    def _failed_round(self, error: BaseException) -> int:
        """One chat's round failed (the others finished): log it, try again next round.

        A closed terminal (``newsbot demo | head``) is not a chat's fault: it ends the round.
        """
        if not isinstance(error, Exception) or isinstance(error, BrokenPipeError):
            raise error
        log.error("delivery to one chat failed; retrying", exc_info=error)
        return 0

    async def _progressed(self, rows: Sequence[OutboxRow]) -> bool:
        """Whether the last round changed anything (else it would loop forever)."""
        again = {(r.id, r.chat_id) for r in await self._store.due(self._now(), 200, self._filter)}
        return not {(r.id, r.chat_id) for r in rows} <= again  # a migration moves rows

    async def _send_chat(self, rows: Sequence[OutboxRow]) -> int:
        """Send one chat's rows in order; alerts held past ``max_age`` go as one summary
        (one per forum topic they were for).

        Alerts the chat's settings hold now are set aside first."""
        rows = await self._hold(rows)
        cutoff = self._now() - self._max_age
        stale: dict[int | None, list[OutboxRow]] = {}
        for row in rows:
            if row.created_at < cutoff and _foldable(row.message):
                stale.setdefault(row.thread_id, []).append(row)
        folded = {r.id for topic in stale.values() for r in topic}
        fresh = [r for r in rows if r.id not in folded]
        sent = 0
        async with self._chats:
            for thread_id, topic in stale.items():
                stories = tuple((r.title, r.link) for r in topic)
                summary = HeldAlerts(stories, self._max_age.total_seconds())
                self._count(topic[0].chat_id, self._now())
                result = await self._transport.send(topic[0].chat_id, summary, thread_id)
                if not await asyncio.shield(self._settle(topic, result, editable=False)):
                    return sent
                sent += isinstance(result, Sent)
            for row in fresh:
                if self._stopping:
                    break  # the rest waits in the outbox for the next start
                self._count(row.chat_id, self._now())
                result = await self._transport.send(row.chat_id, row.message, row.thread_id)
                # recorded even if a stop cancels us now: a sent alert is never resent
                if not await asyncio.shield(self._settle([row], result)):
                    break
                sent += isinstance(result, Sent)
        return sent

    async def _settle(
        self, rows: Sequence[OutboxRow], result: SendResult, editable: bool = True
    ) -> bool:
        """Record the outcome for the rows one message carried; False: the chat must wait.

        ``editable``: the message is the row's own (not a summary of several), so that it
        can be edited when its story gains outlets."""
        chat_id = rows[0].chat_id
        self._record(result)
        match result:
            case Sent(message_id=message_id):
                self._metrics.sends.inc()
                shown = message_id if editable else None
                for row in rows:
                    await self._store.mark_sent(row.id, shown, row.revision, self._now())
                    if isinstance(row.message, AlertMessage):
                        self._metrics.alert_sent(row.message.published, self._now())
            case ChatGone(reason=reason):
                log.info("chat %s deactivated: %s", chat_id, reason)
                await self._store.deactivate_chat(chat_id, reason)
                return False
            case Migrated(new_chat_id=new_id):
                log.info("chat %s migrated to %s", chat_id, new_id)
                await self._store.migrate_chat(chat_id, new_id)
                return False
            case RetryLater(seconds=seconds):
                await self._store.postpone_chat(chat_id, self._now() + timedelta(seconds=seconds))
                return False
            case SendFailed(error=error, permanent=permanent):
                go_on = [await self._failed(row, error, permanent) for row in rows]
                return all(go_on)
        return True

    def _record(self, result: SendResult) -> None:
        kind = _error_kind(result)
        if kind is not None:
            self._metrics.failed(kind)

    async def _failed(self, row: OutboxRow, error: str, permanent: bool) -> bool:
        if permanent or row.attempts + 1 >= MAX_ATTEMPTS:
            log.warning("message %s to chat %s dropped: %s", row.id, row.chat_id, error)
            await self._store.mark_failed(row.id, error)
            return True
        # The chat waits as a whole, so that its messages still arrive in order.
        until = self._now() + timedelta(seconds=min(3600, 5 * 2**row.attempts))
        await self._store.postpone(row.id, until, error)
        await self._store.postpone_chat(row.chat_id, until)
        return False

    async def _hold(self, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
        """Hold the alerts among one chat's ``rows`` that its settings hold now; the rest."""
        now = self._now()
        policy = _policy(await self._store.chat_settings(rows[0].chat_id, now))
        held = [r.id for r in rows if _alert_held(policy, r, now)]
        if held:
            await self._store.hold(held, now)
        return [r for r in rows if r.id not in held]

    async def _release(self) -> None:
        """Queue, for each chat, one summary of its held alerts that nothing holds now."""
        now = self._now()
        for chat_id, settings, oldest in await self._store.holding(now, self._filter):
            if now < self._recheck.get(chat_id, now):
                continue  # nothing of it can be free yet, and no setting changed
            policy = _policy(settings)
            self._recheck[chat_id] = min(
                policy.next_change(oldest, now) or now + RECHECK, now + RECHECK
            )
            if not policy.may_free(oldest, now):
                continue  # the common case, decided without reading the chat's alerts
            free = [r for r in await self._store.held(chat_id) if _freed(policy, r, now)]
            threads: dict[int | None, list[HeldRow]] = {}
            for row in free:  # a forum's summaries go to the topics their alerts were for
                threads.setdefault(row.thread_id, []).append(row)
            why: SummaryWhy = "digest" if policy.digest is not None else "held"
            lang = settings.language or DEFAULT
            for thread_id, rows in threads.items():
                alerts = [
                    (r.message, r.held_at) for r in rows if isinstance(r.message, AlertMessage)
                ]
                parts = summarise(alerts, why, lang, policy.zone.key, now)
                await self._store.release(chat_id, [r.id for r in rows], parts, now, thread_id)


def _error_kind(result: SendResult) -> ErrorKind | None:
    match result:
        case ChatGone():
            return "chat_gone"
        case Migrated():
            return "migrated"
        case RetryLater():
            return "retry_after"
        case SendFailed(permanent=permanent):
            return "failed_permanent" if permanent else "failed_transient"
    return None


def _policy(settings: ChatSettings) -> Policy:
    return Policy.stored(settings.time_zone, settings.quiet, settings.digest, settings.mutes)


def _alert_held(policy: Policy, row: OutboxRow, now: datetime) -> bool:
    """Only alerts are held: notices and summaries always go."""
    message = row.message
    if not isinstance(message, AlertMessage):
        return False
    return policy.holds(row.watchlists or message.watchlists, message.rules, now) is not None


def _freed(policy: Policy, row: HeldRow, now: datetime) -> bool:
    message = row.message
    rules = message.rules if isinstance(message, AlertMessage) else ()
    return policy.frees(row.watchlists, rules, row.held_at, now)


def _foldable(message: Message) -> bool:
    """Alerts held too long are folded into one summary; notices always go as they are."""
    return isinstance(message, AlertMessage | StoredHtml)
