"""What a chat can look back at: /recent (its last alerts) and /search (stored entries),
both over the last ``telegram.search_days`` days.

Both only read, so anyone in a chat may use them; like every command they spend the
sender's budget first (``bot.telegram.throttle``). Times are shown in the chat's time
zone, every feed text is escaped, and a reply is cut to Telegram's limit by ``reply``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime, tzinfo
from html import escape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.delivery.render import cut, one_line
from bot.store.history import PastAlert, StoredEntry
from bot.store.store import Store
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.search import Found, Search, query_problem
from bot.telegram.texts import text

Context = ContextTypes.DEFAULT_TYPE
RECENT = 10  # alerts /recent lists
SHOWN = 10  # matches /search lists
TITLE = 120  # characters of a title shown
LINK = 1000  # a longer link is not linked: ten of them would not fit one message
SEARCH_TEXTS = ("search_head", "search_none")
PREVIEW_TEXTS = ("preview_head", "preview_none")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")  # a watchlist name, as config allows


class HistoryCommands:
    """/recent and /search; register them with :meth:`install`.

    ``watchlists``: the names /recent NAME knows now (they change when the watchlists are
    reloaded); a name not among them that the chat still has alerts from (a watchlist
    renamed or removed since) is accepted too.
    """

    def __init__(
        self, store: Store, gate: Gate, search: Search, watchlists: Callable[[], Collection[str]]
    ) -> None:
        self._store = store
        self._gate = gate
        self._search = search
        self._watchlists = watchlists

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler("recent", self.recent, filters=updates))
        app.add_handler(CommandHandler("search", self.search, filters=updates))

    async def recent(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        args = context.args or []
        if len(args) > 1:
            await reply(update, text("recent_usage", lang))
        else:
            await reply(update, await self._recent(chat_of(update).id, args, lang))

    async def _recent(self, chat_id: int, args: list[str], lang: str) -> str:
        """The chat's last alerts, of the watchlist named in ``args`` if any."""
        name = args[0].lower() if args else None
        known = name is None or _NAME.fullmatch(name) is not None
        since = self._search.since()
        alerts = await self._store.recent_alerts(chat_id, since, name, RECENT) if known else []
        names = sorted(self._watchlists())
        if name is not None and not alerts and name not in names:
            shown = escape(cut(one_line(args[0]), 60))
            return text("unknown", lang).format(shown, ", ".join(names))
        days = self._search.days
        if not alerts:
            if name is None:
                return text("recent_none", lang).format(days)
            return text("recent_none_for", lang).format(name, days)
        zone = await self._zone(chat_id)
        head = text("recent_for", lang).format(name) if name else text("recent", lang)
        return "\n".join([head, *(_alert_line(a, zone, lang) for a in alerts)])

    async def search(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        query = argument(update)
        if not query:
            await reply(update, text("search_usage", lang))
        elif problem := query_problem(query, lang, "search_too_long", "search_too_many_terms"):
            await reply(update, problem)
        else:
            found = await self._search.run(query, SHOWN)
            zone = await self._zone(chat_of(update).id)
            await reply(update, render_found(found, self._search.days, zone, lang))

    async def _zone(self, chat_id: int) -> tzinfo:
        return zone_of(await self._store.chat_time_zone(chat_id))


def render_found(
    found: Found, days: int, zone: tzinfo, lang: str, texts: tuple[str, str] = SEARCH_TEXTS
) -> str:
    """The total, whether the search was cut, and the newest matches. ``texts``: the keys
    of the head line with a total and of the line for none (the /watch preview has its own).
    """
    head, none = texts
    if found.total:
        lines = [text(head, lang).format(found.total, days)]
    else:
        lines = [text(none, lang).format(days)]
    if found.partial:
        lines.append(text("search_partial", lang).format(found.searched))
    lines.extend(entry_line(e, zone, lang) for e in found.newest)
    return "\n".join(lines)


def entry_line(stored: StoredEntry, zone: tzinfo, lang: str) -> str:
    """• linked title · outlet · time (published, else when it was stored)."""
    at = when(stored.entry.published or stored.seen_at, zone, lang)
    title = linked(stored.entry.title, stored.entry.link)
    return f"• {title} · <i>{escape(cut(one_line(stored.outlet), 60))} · {at}</i>"


def _alert_line(alert: PastAlert, zone: tzinfo, lang: str) -> str:
    """• time · linked title · outlet, marked when still held."""
    held = f" · <b>{text('held', lang)}</b>" if alert.held else ""
    outlet = escape(cut(one_line(alert.feed), 60))
    title = linked(alert.title, alert.link)
    return f"• {when(alert.at, zone, lang)} · {title} · <i>{outlet}</i>{held}"


def linked(title: str, link: str) -> str:
    """The title escaped, cut, as a link to ``link`` when Telegram can open it."""
    shown = escape(cut(one_line(title.strip() or link), TITLE))
    try:
        scheme = urlsplit(link).scheme
    except ValueError:  # "http://[oops": not a link Telegram could open
        return shown
    if scheme not in ("http", "https") or len(link) > LINK:
        return shown
    return f'<a href="{escape(link, quote=True)}">{shown}</a>'


def when(moment: datetime, zone: tzinfo, lang: str) -> str:
    """``01 Dec 14:05`` in ``zone``, the month in the reply's language."""
    local = moment.astimezone(zone)
    month = text("months", lang).split()[local.month - 1]
    return f"{local.day:02d} {month} {local:%H:%M}"


def zone_of(name: str | None) -> tzinfo:
    """The chat's time zone; UTC when it has none or the name is not one (any more)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def argument(update: Update) -> str:
    """Everything after the command word, as typed (spaces and quotes kept)."""
    message = update.effective_message
    raw = message.text if message and message.text else ""
    return raw.partition(" ")[2].strip()
