"""How loud a chat is: /mute, /unmute, /quiet, /tz, /digest and the buttons under alerts.

The commands only store settings and wake the sender: holding alerts and releasing them
as summaries is the sender's (see :mod:`bot.delivery.hold`), from what is stored, so a
restart loses nothing. In groups only administrators (and configured admins) may change
these settings or press the buttons; everyone may read them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.delivery.hold import (
    DEFAULT_MUTE,
    MAX_MUTE,
    WHOLE_CHAT,
    Policy,
    find_zone,
    parse_digest,
    parse_duration,
    parse_window,
)
from bot.delivery.render import cut, local_time, one_line, printable
from bot.store.base import utcnow
from bot.store.store import Store
from bot.telegram.buttons import PATTERN, Press, name_hash, parse
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.texts import text

Context = ContextTypes.DEFAULT_TYPE
BUTTON_MUTE = timedelta(days=1)
ZONE_EXAMPLES = "Asia/Almaty, Asia/Aqtobe, Europe/Moscow, Asia/Tashkent, Europe/London, UTC"


class Volume:
    """The volume commands and alert buttons; register them with :meth:`install`.

    ``titles``: the watchlists in force, name -> title; ``wake``: tells the sender that
    held alerts may be free; ``clock``: what time it is.
    """

    def __init__(
        self,
        store: Store,
        gate: Gate,
        titles: Callable[[], Mapping[str, str]],
        wake: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._gate = gate
        self._titles = titles
        self._wake = wake
        self._clock = clock

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        for name, handler in (
            ("mute", self.mute),
            ("unmute", self.unmute),
            ("quiet", self.quiet),
            ("tz", self.tz),
            ("digest", self.digest),
        ):
            app.add_handler(CommandHandler(name, handler, filters=updates))
        app.add_handler(CallbackQueryHandler(self.press, pattern=PATTERN))

    async def mute(self, update: Update, context: Context) -> None:
        """``/mute [DURATION] [NAME]``: the chat, or one watchlist, for a while (8 h)."""
        lang = await self._gate.enter(update)
        args = [a.lower() for a in context.args or []]
        known = await self._known(chat_of(update).id)
        first = args[0] if args else ""
        duration = parse_duration(first)
        if duration is not None:
            args = args[1:]
        elif first[:1].isdigit() and first not in known:
            duration = MAX_MUTE * 2  # a number that is no duration is refused as one
        if duration is not None and duration > MAX_MUTE:
            await reply(update, text("mute_bad_duration", lang).format(escape(first[:20])))
        elif len(args) > 1:
            await reply(update, text("mute_usage", lang))
        elif args and args[0] not in known:
            names = ", ".join(f"<code>{escape(n)}</code>" for n in sorted(known))
            await reply(update, text("unknown", lang).format(escape(args[0][:100]), names))
        elif await self._may(update, lang):
            await self._mute(
                update, duration or DEFAULT_MUTE, args[0] if args else WHOLE_CHAT, lang
            )

    async def unmute(self, update: Update, context: Context) -> None:
        """``/unmute [NAME]``: end one watchlist's mute, or every mute of the chat."""
        lang = await self._gate.enter(update)
        args = context.args or []
        if len(args) > 1:
            await reply(update, text("unmute_usage", lang))
        elif await self._may(update, lang):
            name = args[0].lower() if args else None
            ended = await self._store.unmute(chat_of(update).id, name, self._clock())
            self._wake()
            shown = ", ".join(self._shown(n, lang) for n in ended)
            await reply(
                update, text("unmuted", lang).format(shown) if ended else text("unmuted_none", lang)
            )

    async def quiet(self, update: Update, context: Context) -> None:
        """``/quiet HH:MM-HH:MM|off``: daily quiet hours in the chat's time zone."""
        lang = await self._gate.enter(update)
        asked = " ".join(context.args or []).lower()
        window = parse_window(asked)
        policy = await self._policy(update)
        if asked != "off" and window is None:
            now = str(policy.quiet) if policy.quiet else text("off", lang)
            await reply(update, text("quiet_usage", lang).format(escape(now)))
        elif await self._may(update, lang):
            await self._store.set_quiet(chat_of(update).id, str(window) if window else None)
            self._wake()
            if window is None:
                await reply(update, text("quiet_off", lang))
            else:
                await reply(update, text("quiet_set", lang).format(window, policy.zone.key))

    async def tz(self, update: Update, context: Context) -> None:
        """``/tz ZONE``: the chat's IANA time zone, for quiet hours, digests and times."""
        lang = await self._gate.enter(update)
        args = context.args or []
        policy = await self._policy(update)
        if len(args) != 1:
            await reply(update, text("tz_usage", lang).format(policy.zone.key, ZONE_EXAMPLES))
        elif (zone := find_zone(args[0])) is None:
            shown = escape(cut(printable(one_line(args[0])), 64))
            await reply(update, text("tz_unknown", lang).format(shown, ZONE_EXAMPLES))
        elif await self._may(update, lang):
            await self._store.set_time_zone(chat_of(update).id, zone.key)
            self._wake()
            now = local_time(self._clock(), zone.key)
            await reply(update, text("tz_set", lang).format(zone.key, now))

    async def digest(self, update: Update, context: Context) -> None:
        """``/digest hourly|daily HH:MM|off``; ``off`` sends what was collected at once."""
        lang = await self._gate.enter(update)
        asked = " ".join(context.args or []).lower()
        digest = parse_digest(asked)
        if asked != "off" and digest is None:
            await reply(update, text("digest_usage", lang))
        elif await self._may(update, lang):
            await self._store.set_digest(chat_of(update).id, str(digest) if digest else None)
            self._wake()
            if digest is None:
                await reply(update, text("digest_off", lang))
            elif digest.at is None:
                await reply(update, text("digest_hourly", lang))
            else:
                zone = (await self._policy(update)).zone.key
                await reply(update, text("digest_daily", lang).format(f"{digest.at:%H:%M}", zone))

    async def press(self, update: Update, context: Context) -> None:
        """A button under an alert: mute or unsubscribe a watchlist, mute the chat, or
        remove a personal rule."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        press = parse(query.data)
        if press is None or not await self._gate.may_change(update):
            refusal = text("admins_only", await self._gate.language(update))
            await query.answer(refusal, show_alert=True)
            return
        lang = await self._gate.enter(update)
        await query.answer(_plain(await self._pressed(chat_of(update).id, press, lang)))

    async def _pressed(self, chat_id: int, press: Press, lang: str) -> str:
        now = self._clock()
        if press.action == "mute_chat":
            await self._store.mute(chat_id, WHOLE_CHAT, now + BUTTON_MUTE, now)
            return text("pressed_chat_muted", lang)
        if press.action == "drop_rule":
            removed = await self._store.delete_rules(chat_id, [press.rule or 0])
            return text("pressed_rule_removed" if removed else "pressed_done", lang)
        name = await self._named(chat_id, press)
        if name is None:
            return text("pressed_done", lang)
        if press.action == "mute":
            await self._store.mute(chat_id, name, now + BUTTON_MUTE, now)
            return text("pressed_muted", lang).format(self._title(name))
        if await self._store.unsubscribe(chat_id, [name]):
            return text("pressed_unsubscribed", lang).format(self._title(name))
        return text("pressed_done", lang)

    async def _named(self, chat_id: int, press: Press) -> str | None:
        """The watchlist a button names, found by its hash when the name was too long."""
        known = await self._known(chat_id)
        if press.name is not None:
            return press.name if press.name in known else None
        return next((n for n in sorted(known) if name_hash(n) == press.hashed), None)

    async def _mute(self, update: Update, duration: timedelta, name: str, lang: str) -> None:
        now = self._clock()
        await self._store.mute(chat_of(update).id, name, now + duration, now)
        zone = (await self._policy(update)).zone.key
        until = escape(f"{local_time(now + duration, zone)} ({zone})")
        await reply(update, text("muted", lang).format(self._shown(name, lang), until))

    async def _known(self, chat_id: int) -> set[str]:
        """The watchlists in force and those the chat is subscribed to."""
        return {*self._titles(), *await self._store.subscriptions(chat_id)}

    async def _may(self, update: Update, lang: str) -> bool:
        """Whether the sender may change the chat's settings; refused with a reply if not."""
        if await self._gate.may_change(update):
            return True
        await reply(update, text("admins_only", lang))
        return False

    async def _policy(self, update: Update) -> Policy:
        s = await self._store.chat_settings(chat_of(update).id, self._clock())
        return Policy.stored(s.time_zone, s.quiet, s.digest, s.mutes)

    def _title(self, name: str) -> str:
        return self._titles().get(name, name)

    def _shown(self, name: str, lang: str) -> str:
        """A mute's target for a reply, escaped: a watchlist's title, or the chat."""
        if name == WHOLE_CHAT:
            return text("whole_chat", lang)
        return escape(one_line(self._title(name)))


def _plain(answer: str) -> str:
    """A button's answer: plain text within Telegram's 200 characters."""
    shown = printable(one_line(answer))
    return shown if len(shown) <= 200 else shown[:199] + "…"
