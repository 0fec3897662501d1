"""Telegram commands and buttons: /start, /help, /lists, /sub, /unsub, /my.

In groups, supergroups and channels only the chat's administrators (and the configured
admins) may change subscriptions. ``/sub``, ``/unsub`` and ``/my`` may name a channel
last, from a private chat, and in a forum ``/sub`` picks the topic for the watchlist's
alerts (see ``bot.telegram.channels``). Every command and button press spends its
sender's budget first (see ``bot.telegram.throttle``). Every reply is HTML with every
user or config text escaped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from html import escape

from telegram import (
    Bot,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Watchlist
from bot.delivery.hold import WHOLE_CHAT, Policy
from bot.delivery.render import local_time, one_line, printable
from bot.store.store import Store, utcnow
from bot.telegram import menus
from bot.telegram.channels import (
    Channel,
    Refused,
    managed_channel,
    split_target,
    topic_link,
    topic_of,
)
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.texts import NAMES, language, text
from bot.telegram.throttle import CommandBudget, Throttle

log = logging.getLogger(__name__)
DEEP_LINK_SUB = "sub-"  # /start sub-NAME: what a link https://t.me/BOT?start=sub-NAME sends
Context = ContextTypes.DEFAULT_TYPE
_TOGGLE = "t:"


class Commands:
    """The bot's command handlers; register them with :meth:`install`."""

    def __init__(
        self,
        store: Store,
        watchlists: Sequence[Watchlist],
        gate: Gate,
        budget: CommandBudget | None = None,
    ) -> None:
        self._store = store
        self._lists = {w.name: w for w in watchlists}
        self._gate = gate
        self._throttle = Throttle(budget or CommandBudget(), gate)

    def set_watchlists(self, watchlists: Sequence[Watchlist]) -> None:
        """Offer edited watchlists from now on (subscriptions are kept by name)."""
        self._lists = {w.name: w for w in watchlists}

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        """Register every handler, the per-sender command budget first."""
        self._throttle.install(app)
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        for name, handler in (
            ("start", self.start),
            ("help", self.help),
            ("lists", self.lists),
            ("sub", self.sub),
            ("unsub", self.unsub),
            ("my", self.my),
        ):
            app.add_handler(CommandHandler(name, handler, filters=updates))
        app.add_handler(CallbackQueryHandler(self.toggle, pattern=f"^{_TOGGLE}"))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.migrated))
        app.add_handler(ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.error)

    async def publish(self, bot: Bot) -> None:
        """Show the command menus in Telegram, per scope and language (see ``menus``)."""
        await menus.publish(bot, self._gate.admins)

    async def start(self, update: Update, context: Context) -> None:
        """The welcome; ``/start sub-NAME`` (a link ``t.me/BOT?start=sub-NAME``)
        subscribes to NAME at once, as ``/sub NAME`` would."""
        args = context.args or []
        if args and args[0].startswith(DEEP_LINK_SUB):
            await self._change(update, [args[0].removeprefix(DEEP_LINK_SUB)], subscribe=True)
            return
        lang = await self._gate.enter(update)
        await reply(update, text("welcome", lang), await self._keyboard(update))

    async def help(self, update: Update, context: Context) -> None:
        await reply(update, text("help", await self._gate.enter(update)))

    async def lists(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        if not self._lists:
            await reply(update, text("no_lists", lang))
            return
        lines = [text("lists", lang), ""]
        for w in self._lists.values():
            about = f" · {_item(w.description)}" if w.description else ""
            lines.append(f"<b>{_item(w.title)}</b> (<code>{escape(w.name)}</code>){about}")
        await reply(update, "\n".join(lines), await self._keyboard(update))

    async def sub(self, update: Update, context: Context) -> None:
        await self._change(update, context.args or [], subscribe=True)

    async def unsub(self, update: Update, context: Context) -> None:
        await self._change(update, context.args or [], subscribe=False)

    async def my(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        _, target = split_target(context.args or [])
        if target is None:
            chat = chat_of(update)
            await reply(update, await self._summary(chat.id, lang, bool(chat.is_forum)))
            return
        channel = await self._channel(update, target, lang)
        if isinstance(channel, str):
            await reply(update, channel)
            return
        header = text("channel_header", lang).format(_item(channel.title))
        await reply(update, header + "\n" + await self._summary(channel.id, lang, False))

    async def _summary(self, chat_id: int, lang: str, forum: bool) -> str:
        """What /my shows for the chat; a ``forum``'s subscriptions with their topics."""
        subs = [
            self._placed(chat_id, name, topic, forum, lang)
            for name, topic in (await self._store.topics(chat_id)).items()
        ]
        rules = [
            f"{i}. <code>{_item(r.query)}</code>"
            for i, r in enumerate(await self._store.rules(chat_id), 1)
        ]
        none = text("none", lang)
        lines = [
            text("my_subs", lang).format(", ".join(subs) or none),
            text("my_rules", lang).format("\n" + "\n".join(rules) if rules else none),
            await self._settings(chat_id, lang),
        ]
        return "\n".join(lines)

    async def _settings(self, chat_id: int, lang: str) -> str:
        """The chat's mutes, quiet hours, time zone, digest and language, for /my."""
        settings = await self._store.chat_settings(chat_id, utcnow())
        policy = Policy.stored(settings.time_zone, settings.quiet, settings.digest, {})
        zone = policy.zone.key
        mutes = [
            text("my_muted", lang).format(
                name=text("whole_chat", lang) if name == WHOLE_CHAT else _item(self._title(name)),
                until=escape(local_time(until, zone)),
            )
            for name, until in sorted(settings.mutes.items())
        ]
        off = text("off", lang)
        digest = policy.digest
        if digest is None:
            digest_shown = off
        elif digest.at is None:
            digest_shown = text("my_digest_hourly", lang)
        else:
            digest_shown = text("my_digest_daily", lang).format(f"{digest.at:%H:%M}")
        chat = await self._store.chat(chat_id)
        chosen = chat is not None and chat.language_set
        own = (chat.language if chat else None) or lang  # a channel's, from a private chat
        shown_lang = NAMES.get(own, own)
        return text("my_settings", lang).format(
            mute="; ".join(mutes) or off,
            quiet=escape(str(policy.quiet)) if policy.quiet else off,
            zone=escape(zone),
            digest=digest_shown,
            language=text("my_lang_set" if chosen else "my_lang_auto", lang).format(shown_lang),
        )

    def _placed(self, chat_id: int, name: str, topic: int | None, forum: bool, lang: str) -> str:
        """A subscription in /my; in a forum, or when it has a topic, with its topic."""
        title = _item(self._title(name))
        if topic is not None:
            return text("my_topic", lang).format(name=title, topic=_topic(chat_id, topic))
        return text("my_general", lang).format(title) if forum else title

    async def toggle(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        name = query.data.removeprefix(_TOGGLE)
        if name not in self._lists or not await self._gate.may_change(update):
            # recorded only for those who may change it: a button outlives the bot's
            # membership, and a viewer's press must not mark a chat that left as active
            refusal = text("admins_only", await self._gate.language(update))
            await query.answer(refusal, show_alert=True)
            return
        lang = await self._gate.enter(update)
        chat_id = chat_of(update).id
        if name in await self._store.subscriptions(chat_id):
            await self._store.unsubscribe(chat_id, [name])
            await query.answer(_notice(text("toggled_off", lang), self._title(name)))
        else:
            await self._store.subscribe(chat_id, [name], topic_of(update))
            await query.answer(_notice(text("toggled_on", lang), self._title(name)))
        await query.edit_message_reply_markup(await self._keyboard(update))

    async def migrated(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message and message.migrate_to_chat_id:
            await self._store.migrate_chat(message.chat.id, message.migrate_to_chat_id)

    async def membership(self, update: Update, context: Context) -> None:
        change: ChatMemberUpdated | None = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMember.LEFT, ChatMember.BANNED):
            await self._store.deactivate_chat(change.chat.id, f"bot {status} from the chat")
            return
        if status not in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
            return
        lang = await self._gate.enter(update)  # back in the chat: it is active again
        joined = change.old_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED)
        if joined and change.chat.type in (Chat.GROUP, Chat.SUPERGROUP):
            await reply(update, text("welcome", lang), await self._keyboard(update))

    async def error(self, update: object, context: Context) -> None:
        log.error("update %r failed", update, exc_info=context.error)

    async def _change(self, update: Update, args: Sequence[str], subscribe: bool) -> None:
        lang = await self._gate.enter(update)
        args, target = split_target(args)
        names = [a.strip().lower() for a in args if a.strip()]
        if not names:
            await reply(update, text("sub_usage" if subscribe else "unsub_usage", lang))
            return
        header, forum, thread_id = "", False, None
        if target is not None:
            channel = await self._channel(update, target, lang)
            if isinstance(channel, str):
                await reply(update, channel)
                return
            chat_id = channel.id
            header = text("channel_header", lang).format(_item(channel.title)) + "\n"
        else:
            if not await self._gate.may_change(update):
                await reply(update, text("admins_only", lang))
                return
            chat = chat_of(update)
            chat_id, forum, thread_id = chat.id, bool(chat.is_forum), topic_of(update)
        if not subscribe and names == ["all"]:
            names = await self._store.subscriptions(chat_id)
        body = await self._apply(chat_id, names, subscribe, lang, forum, thread_id)
        await reply(update, header + body)

    async def _channel(self, update: Update, reference: str, lang: str) -> Channel | str:
        """The channel a command names, recorded as a chat; or the text that refuses it.

        Only from a private chat: in a group or a channel a command changes that chat,
        and one that changed another chat would mislead the members who see it.
        """
        user = update.effective_user
        if chat_of(update).type != Chat.PRIVATE or user is None:
            return text("channel_private_only", lang)
        found = await managed_channel(update.get_bot(), reference, user.id)
        if isinstance(found, Refused):
            return text(found.key, lang).format(escape(one_line(reference)[:40]))
        await self._store.upsert_chat(
            found.id, Chat.CHANNEL, found.title, language(user.language_code)
        )
        return found

    async def _apply(
        self,
        chat_id: int,
        names: list[str],
        subscribe: bool,
        lang: str,
        forum: bool = False,
        thread_id: int | None = None,
    ) -> str:
        """Change the subscriptions; the reply that says what changed.

        In a forum (``forum``), new and existing subscriptions alike go to the topic
        ``thread_id`` the command came from (None: the General topic).
        """
        # a watchlist removed from the config can still be unsubscribed from
        held = set() if subscribe else set(await self._store.subscriptions(chat_id))
        unknown = [n for n in names if n not in self._lists and n not in held]
        known = [n for n in names if n in self._lists or n in held]
        if subscribe:
            lines = await self._subscribe(chat_id, known, lang, forum, thread_id)
        else:
            done = await self._store.unsubscribe(chat_id, known)
            lines = self._line("unsubscribed", done, lang)
            lines += self._line("not_subscribed", [n for n in known if n not in done], lang)
        if unknown:
            names_known = ", ".join(f"<code>{escape(n)}</code>" for n in self._lists)
            asked = ", ".join(unknown)[:200]
            lines.append(text("unknown", lang).format(escape(asked), names_known))
        return "\n".join(lines)

    async def _subscribe(
        self, chat_id: int, names: list[str], lang: str, forum: bool, thread_id: int | None
    ) -> list[str]:
        added = await self._store.subscribe(chat_id, names, thread_id)
        held = [n for n in names if n not in added]
        moved = await self._store.move_to_topic(chat_id, held, thread_id) if forum else []
        topic = _topic(chat_id, thread_id) if thread_id is not None else ""
        lines = self._line("subscribed", added, lang)
        if added and thread_id is not None:
            lines.append(text("topic_here", lang).format(topic))
        if thread_id is None:
            lines += self._line("topic_general", moved, lang)
        else:
            lines += self._line("topic_moved", moved, lang, topic)
        return lines + self._line("already", [n for n in held if n not in moved], lang)

    def _line(self, key: str, names: list[str], lang: str, *more: str) -> list[str]:
        """The line ``key`` about these watchlists, by title; none for no names."""
        if not names:
            return []
        return [text(key, lang).format(_item(", ".join(map(self._title, names))), *more)]

    async def _keyboard(self, update: Update) -> InlineKeyboardMarkup:
        subscribed = set(await self._store.subscriptions(chat_of(update).id))
        rows = [
            [
                InlineKeyboardButton(
                    f"{'✅' if n in subscribed else '➕'} {printable(one_line(w.title))}",
                    callback_data=f"{_TOGGLE}{n}",
                )
            ]
            for n, w in self._lists.items()
        ]
        return InlineKeyboardMarkup(rows)

    def _title(self, name: str) -> str:
        found = self._lists.get(name)
        return found.title if found else name


def _item(text: str) -> str:
    """User or config text for one line of a list, escaped."""
    return escape(one_line(text))


def _topic(chat_id: int, thread_id: int) -> str:
    """A forum topic as a link, by its number: a bot cannot look up a topic's name."""
    return f'<a href="{topic_link(chat_id, thread_id)}">#{thread_id}</a>'


def _notice(template: str, title: str) -> str:
    """A button's answer: plain text within Telegram's 200 characters."""
    shown = printable(one_line(title))
    return template.format(shown if len(shown) <= 150 else shown[:149] + "…")
