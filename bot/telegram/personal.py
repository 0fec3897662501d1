"""Personal rules (/watch, /unwatch) and feed health for admins (/status).

A personal rule is a query in the query language that alerts only this chat. Limits
keep one chat from costing everyone: at most ``MAX_RULES_PER_CHAT`` rules, each at
most ``MAX_RULE_CHARS`` characters and ``MAX_RULE_TERMS`` terms.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import __version__
from bot.delivery.render import one_line, printable
from bot.errors import QueryError
from bot.matching import MAX_RULE_CHARS, MAX_RULE_TERMS, parse_query
from bot.store.records import FeedState
from bot.store.store import Store
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.texts import text

Context = ContextTypes.DEFAULT_TYPE
MAX_RULES_PER_CHAT = 50


class PersonalCommands:
    """/watch, /unwatch and /status; register them with :meth:`install`."""

    def __init__(self, store: Store, gate: Gate) -> None:
        self._store = store
        self._gate = gate
        self._started = time.monotonic()  # built as the service starts: its uptime

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler("watch", self.watch, filters=updates))
        app.add_handler(CommandHandler("unwatch", self.unwatch, filters=updates))
        app.add_handler(CommandHandler("status", self.status, filters=updates))

    async def watch(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        query = _argument(update)
        if not query:
            await reply(update, text("watch_usage", lang))
        elif not await self._gate.may_change(update):
            await reply(update, text("admins_only", lang))
        elif problem := await self._problem(chat_of(update).id, query, lang):
            await reply(update, problem)
        else:
            await self._store.add_rule(chat_of(update).id, query)
            count = len(await self._store.rules(chat_of(update).id))
            await reply(update, text("watching", lang).format(count, escape(one_line(query))))

    async def unwatch(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        chat_id = chat_of(update).id
        rules = await self._store.rules(chat_id)
        chosen = _chosen(context.args or [], len(rules))
        if chosen is None:
            await reply(update, text("unwatch_usage", lang).format(len(rules)))
        elif not await self._gate.may_change(update):
            await reply(update, text("admins_only", lang))
        else:
            removed = await self._store.delete_rules(chat_id, [rules[i].id for i in chosen])
            await reply(update, text("unwatched", lang).format(removed))

    async def status(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        if not self._gate.is_admin(update):
            await reply(update, text("status_admins", lang))
            return
        states = await self._store.feed_states()
        lines = [render_status(states, datetime.now(UTC), lang), "", await self._service(lang)]
        await reply(update, "\n".join(lines))

    async def _service(self, lang: str) -> str:
        """The outbox backlog, the chats and subscriptions, uptime and version."""
        outbox = await self._store.outbox_counts()
        chats, subscriptions = await self._store.chat_counts()
        up = uptime(time.monotonic() - self._started)
        waiting, failed = outbox.get("pending", 0), outbox.get("failed", 0)
        return text("status_service", lang).format(
            waiting, failed, chats, subscriptions, up, __version__
        )

    async def _problem(self, chat_id: int, query: str, lang: str) -> str | None:
        """Why this rule cannot be added, or None."""
        if len(query) > MAX_RULE_CHARS:
            return text("rule_too_long", lang).format(MAX_RULE_CHARS, len(query))
        if len(await self._store.rules(chat_id)) >= MAX_RULES_PER_CHAT:
            return text("too_many_rules", lang).format(MAX_RULES_PER_CHAT)
        try:
            parsed = parse_query(query)
        except QueryError as exc:
            shown = one_line(printable(query, "�"))  # one for one: the caret stays in place
            pointer = escape(shown) + "\n" + " " * exc.position + "^"
            return text("bad_query", lang).format(escape(str(exc)), pointer)
        if parsed.term_count > MAX_RULE_TERMS:
            return text("too_many_terms", lang).format(MAX_RULE_TERMS, parsed.term_count)
        return None


def _argument(update: Update) -> str:
    """Everything after the command word, as typed (spaces and quotes kept)."""
    message = update.effective_message
    raw = message.text if message and message.text else ""
    return raw.partition(" ")[2].strip()


def _chosen(args: Sequence[str], count: int) -> list[int] | None:
    """``all`` or rule numbers (1-based, as /my shows them) -> indexes; None if invalid."""
    if [a.lower() for a in args] == ["all"]:
        return list(range(count))
    try:
        numbers = sorted({int(a) for a in args})
    except ValueError:
        return None
    if not numbers or numbers[0] < 1 or numbers[-1] > count:
        return None
    return [n - 1 for n in numbers]


def uptime(seconds: float) -> str:
    """A duration as a status line shows it: "2d 3h", "3h 12m", "5m"."""
    minutes = int(seconds // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def render_status(states: Sequence[FeedState], now: datetime, lang: str) -> str:
    """The unhealthy feeds for admins, or one line saying all are well."""
    bad = [s for s in states if s.status == "gone" or s.failures]
    if not bad:
        return text("status_ok", lang).format(len(states))
    lines = [text("status_head", lang).format(len(bad), len(states))]
    for state in bad:
        since = state.failing_since or state.last_attempt_at or now
        hours = (now - since).total_seconds() / 3600
        what = "gone (410)" if state.status == "gone" else f"{state.failures}× · {hours:.0f} h"
        error = escape(one_line(state.last_error or "")[:200])
        lines.append(f"• <b>{escape(state.id)}</b> {what}\n  <i>{error}</i>")
    return "\n".join(lines)
