"""Where a subscription command acts: a channel named in it, or a forum topic it came from.

A channel's administrators can post commands in the channel itself, but those posts are
seen by every reader; so a channel may also be managed from a private chat with the bot,
naming it last: ``/sub NAME... @channel`` (or its numeric id, ``-100...``). Each time,
Telegram is asked (``getChatMember``) whether the user administers the channel and
whether the bot may post there; what they were yesterday does not count.

In a forum supergroup, ``/sub`` sent inside a topic sends that watchlist's alerts to the
topic; sent in the General topic, to the chat itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, ChatFullInfo, ChatMember, ChatMemberAdministrator, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

log = logging.getLogger(__name__)
_ADMIN = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
# A public channel's @username (5 to 32 characters) or a channel's id: -100 and digits.
_REFERENCE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{1,16}")
_LOOKS_LIKE = re.compile(r"@.*|-\d+", re.DOTALL)


@dataclass(frozen=True)
class Channel:
    """A channel the user administers and the bot may post in."""

    id: int
    title: str


@dataclass(frozen=True)
class Refused:
    """Why the channel cannot be managed: the key of the text that says so."""

    key: str


def split_target(args: Sequence[str]) -> tuple[list[str], str | None]:
    """The command's watchlist names, and the channel named by its last argument (if any).

    Any last argument written as ``@something`` or a negative number names a chat,
    valid or not; it is never taken for a watchlist name.
    """
    if args and _LOOKS_LIKE.fullmatch(args[-1].strip()):
        return list(args[:-1]), args[-1].strip()
    return list(args), None


async def managed_channel(bot: Bot, reference: str, user_id: int) -> Channel | Refused:
    """The channel ``reference`` names, if ``user_id`` may manage it through the bot.

    Refused, in this order: nothing Telegram knows by that name (a private channel is
    unknown to a bot that is not in it), a chat that is not a channel, a channel where
    the bot may not post (asked first: only a channel's administrator bot may look up
    its members), a user who is not its administrator or creator, and Telegram not
    answering at all.
    """
    if not _REFERENCE.fullmatch(reference):
        return Refused("channel_not_found")
    chat_id: int | str = reference if reference.startswith("@") else int(reference)
    try:
        chat = await _chat(bot, chat_id)
        if chat.type != ChatType.CHANNEL:
            return Refused("channel_not_channel")
        if not _may_post(await _member(bot, chat.id, bot.id)):
            return Refused("channel_bot_cannot_post")
        user = await _member(bot, chat.id, user_id)
    except _Unknown:
        return Refused("channel_not_found")
    except TelegramError as exc:  # a network error or a time-out: ask again later
        log.warning("cannot check channel %s: %s", reference, exc)
        return Refused("channel_unreachable")
    if user is None or user.status not in _ADMIN:
        return Refused("channel_not_admin")
    return Channel(chat.id, chat.title or reference)


def topic_of(update: Update) -> int | None:
    """The forum topic a command was sent in; None outside a forum or in its General
    topic (whose messages carry no thread)."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not chat.is_forum or not message.is_topic_message:
        return None
    return message.message_thread_id


def topic_link(chat_id: int, thread_id: int) -> str:
    """The address of a supergroup's topic, which opens it for the group's members."""
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{thread_id}"


class _Unknown(Exception):
    """Telegram knows no such chat (to this bot)."""


async def _chat(bot: Bot, chat_id: int | str) -> ChatFullInfo:
    try:
        return await bot.get_chat(chat_id)
    except (BadRequest, Forbidden) as exc:
        raise _Unknown from exc


async def _member(bot: Bot, chat_id: int, user_id: int) -> ChatMember | None:
    """The user's member record in the chat; None when Telegram refuses to say
    (a user it does not know, members the bot may not see).

    Raises :class:`_Unknown` for a chat the bot cannot reach at all.
    """
    try:
        return await bot.get_chat_member(chat_id, user_id)
    except Forbidden as exc:
        raise _Unknown from exc
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            raise _Unknown from exc
        return None


def _may_post(member: ChatMember | None) -> bool:
    """A creator may post; an administrator only with the "Post messages" right."""
    if member is None:
        return False
    if member.status == ChatMemberStatus.OWNER:
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
