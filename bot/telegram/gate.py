"""What every command handler does first: record the chat, pick the language, check rights.

In groups, supergroups and channels only the chat's administrators (and the configured
admins) may change the chat's subscriptions, rules and settings, by command or by button.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.delivery.render import MAX_MESSAGE, printable, telegram_length
from bot.store.store import Store
from bot.telegram.channels import topic_of
from bot.telegram.texts import DEFAULT, language
from bot.telegram.transport import retry_seconds, topic_gone

log = logging.getLogger(__name__)
_ADMIN = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_MANAGED = {Chat.GROUP, Chat.SUPERGROUP, Chat.CHANNEL}
_MORE = "\n…"
REPLY_RETRY_WAIT = 10.0
_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|[^<&]", re.DOTALL)  # a tag, an entity or a character


class Gate:
    """Chat bookkeeping and permission checks shared by all command handlers."""

    def __init__(self, store: Store, admins: frozenset[int]) -> None:
        self._store = store
        self.admins = admins

    async def enter(self, update: Update) -> str:
        """Record the chat; return the reply language.

        The chat's language follows the Telegram language of the user who last
        configured it, until /lang chooses one: in a private chat, its user; elsewhere
        whoever :meth:`may_change` lets change it (from the next reply on: asking
        Telegram whether every writer is an administrator would double a busy group's
        requests), so a reader's /help does not switch a group's language. An update
        from nobody (a channel post) or from a user whose language Telegram does not
        tell keeps it.
        """
        chat = chat_of(update)
        lang = _senders(update)
        private = chat.type == Chat.PRIVATE
        await self._store.upsert_chat(
            chat.id, chat.type, chat.title or chat.full_name, lang if private else None
        )
        stored = await self._store.chat(chat.id)
        return (stored.language if stored else None) or lang or DEFAULT

    async def language(self, update: Update) -> str:
        """The reply language, without recording anything: the chat's when chosen with
        /lang, else the sender's own (a refusal shown only to them), else the chat's."""
        stored = await self._store.chat(chat_of(update).id)
        own = _senders(update)
        if own is not None and not (stored and stored.language_set):
            return own
        return (stored.language if stored else None) or DEFAULT

    def is_admin(self, update: Update) -> bool:
        """A user listed in ``telegram.admins``."""
        user = update.effective_user
        return user is not None and user.id in self.admins

    async def may_change(self, update: Update) -> bool:
        """Whether the sender may change this chat's subscriptions, rules and settings.

        In a private chat, its user. A channel post or a group message written as the chat
        itself comes from one of its administrators (only they can post so). Anyone else,
        and every button press (a callback comes from the user who pressed, whoever posted
        the message), must be a configured admin or the chat's administrator or creator.
        """
        chat = chat_of(update)
        if chat.type == Chat.PRIVATE:
            return True
        own = update.channel_post or update.message  # never the message a button is under
        if own is not None and (chat.type == Chat.CHANNEL or _as_chat_itself(own, chat)):
            return True
        user = update.effective_user
        if user is None or chat.type not in _MANAGED:
            return False
        if user.id not in self.admins:
            try:
                member = await chat.get_member(user.id)
            except TelegramError as exc:
                log.warning("cannot check admin rights in chat %s: %s", chat.id, exc)
                return False
            if member.status not in _ADMIN:
                return False
        if (lang := _senders(update)) is not None:  # who configures the chat sets its language
            await self._store.follow_language(chat.id, lang)
        return True


def _senders(update: Update) -> str | None:
    """The sender's language, if Telegram tells it."""
    user = update.effective_user
    return language(user.language_code) if user and user.language_code else None


def _as_chat_itself(message: Message, chat: Chat) -> bool:
    """An anonymous administrator's message: sent on behalf of the group itself."""
    return message.sender_chat is not None and message.sender_chat.id == chat.id


async def reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the update's chat, HTML, without link previews, cut to Telegram's limit.

    A command sent inside a forum topic is answered in that topic (in the chat's General
    topic if the topic has been closed or deleted meanwhile). Control characters and
    bidirectional overrides in user or feed text are dropped. When Telegram asks to wait
    (``retry_after``), the reply is sent again once after at most ``REPLY_RETRY_WAIT``
    seconds, holding up only this chat's updates; a longer wait drops the reply with a
    log line: the chat is flooded and the user may ask again.
    """
    chat = chat_of(update)
    html = fit(printable(html))
    thread = topic_of(update)
    for attempt in (1, 2):
        try:
            await chat.send_message(
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                message_thread_id=thread,
            )
            return
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == 2 or wait > REPLY_RETRY_WAIT:
                log.warning("reply to chat %s dropped: Telegram asks to wait %.0f s", chat.id, wait)
                return
            await asyncio.sleep(wait)
        except BadRequest as exc:
            if thread is None or not topic_gone(exc.message):
                raise
            thread = None  # the topic closed since the command was sent: answer in General


def fit(html: str, limit: int = MAX_MESSAGE) -> str:
    """``html`` cut to ``limit`` UTF-16 units with a closing note, and still valid.

    ``html`` must be valid Telegram HTML with every text escaped. A list that outgrows one
    message (many failing feeds, fifty long rules) is cut after its last whole line that
    fits, when that keeps at least half of the message; otherwise (one huge line) inside
    the text, never inside a tag or an entity, and the tags left open are closed.
    """
    if telegram_length(html) <= limit:
        return html
    budget = limit - telegram_length(_MORE)
    line_cut, cut, closing, cut_closing = 0, 0, "", ""
    used, open_tags = 0, list[str]()
    for token in _TOKEN.finditer(html):
        if used + telegram_length(closing) > budget:
            break
        cut, cut_closing = token.start(), closing
        if token.group() == "\n" and not open_tags:
            line_cut = cut
        used += telegram_length(token.group())
        if token.group().startswith("<"):
            _follow(token.group(), open_tags)
            closing = "".join(f"</{name}>" for name in reversed(open_tags))
    if line_cut * 2 >= budget:
        return html[:line_cut] + _MORE
    return html[:cut] + cut_closing + _MORE


def _follow(tag: str, open_tags: list[str]) -> None:
    """Track the open elements as ``tag`` opens or closes one."""
    if tag.startswith("</"):
        if open_tags:
            open_tags.pop()
    else:
        open_tags.append(tag[1:-1].split()[0])


def chat_of(update: Update) -> Chat:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    return chat
