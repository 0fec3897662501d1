"""Personal rules (/watch, /unwatch) and feed health for admins (/status).

A personal rule is a query in the query language that alerts only this chat. Limits
keep one chat from costing everyone: at most ``MAX_RULES_PER_CHAT`` rules, each at
most ``MAX_RULE_CHARS`` characters and ``MAX_RULE_TERMS`` terms. A rule added is
previewed: how many entries stored in the search period it would have matched, with
a few of them, so the chat sees at once whether it is too broad or too narrow (a
bounded search: ``bot.telegram.search``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import __version__
from bot.delivery.render import one_line
from bot.matching import MAX_RULE_CHARS
from bot.store.records import FeedState
from bot.store.store import Store
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.history import PREVIEW_TEXTS, argument, render_found, zone_of
from bot.telegram.search import Search, query_problem
from bot.telegram.texts import text

Context = ContextTypes.DEFAULT_TYPE
MAX_RULES_PER_CHAT = 50
PREVIEW = 3  # entries a /watch preview shows


class PersonalCommands:
    """/watch, /unwatch and /status; register them with :meth:`install`."""

    def __init__(self, store: Store, gate: Gate, search: Search | None = None) -> None:
        self._store = store
        self._gate = gate
        self._search = search or Search(store)
        self._started = time.monotonic()  # built as the service starts: its uptime

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler("watch", self.watch, filters=updates))
        app.add_handler(CommandHandler("unwatch", self.unwatch, filters=updates))
        app.add_handler(CommandHandler("status", self.status, filters=updates))

    async def watch(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        query = argument(update)
        if not query:
            await reply(update, text("watch_usage", lang))
        elif not await self._gate.may_change(update):
            await reply(update, text("admins_only", lang))
        elif problem := await self._problem(chat_of(update).id, query, lang):
            await reply(update, problem)
        else:
            chat_id = chat_of(update).id
            await self._store.add_rule(chat_id, query)
            count = len(await self._store.rules(chat_id))
            added = text("watching", lang).format(count, escape(one_line(query)))
            await reply(update, added + "\n\n" + await self._preview(chat_id, query, lang))

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
        full = len(await self._store.rules(chat_id)) >= MAX_RULES_PER_CHAT
        if full and len(query) <= MAX_RULE_CHARS:  # a rule too long is told so first
            return text("too_many_rules", lang).format(MAX_RULES_PER_CHAT)
        return query_problem(query, lang, "rule_too_long", "too_many_terms")

    async def _preview(self, chat_id: int, query: str, lang: str) -> str:
        """What the rule would have matched of the entries stored lately."""
        found = await self._search.run(query, PREVIEW)
        zone = zone_of(await self._store.chat_time_zone(chat_id))
        return render_found(found, self._search.days, zone, lang, PREVIEW_TEXTS)


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
