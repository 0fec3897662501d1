"""Send one message with python-telegram-bot and sort the outcome into a SendResult case."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.delivery.render import render
from bot.delivery.sender import ChatGone, Migrated, RetryLater, SendFailed, SendResult, Sent
from bot.messages import AlertMessage, Message
from bot.telegram.buttons import alert_keyboard
from bot.telegram.texts import DEFAULT

_CHAT_GONE = (
    "chat not found",
    "bot was kicked",
    "user is deactivated",
    "group chat was deleted",
    "bot is not a member",
    "need administrator rights",
    "not enough rights to send text",
)
# A forum topic that was closed, deleted or never existed. Its message goes to the chat's
# General topic instead. The subscription keeps the topic: a closed topic may be
# reopened, and a deleted one costs one refused request per alert until /sub moves the
# watchlist elsewhere (the transport knows no subscriptions).
_TOPIC_GONE = ("message thread not found", "topic_closed", "topic_deleted")
_NOT_MODIFIED = "message is not modified"


class TelegramTransport:
    """Sends messages as HTML through ``bot`` (its rate limiter keeps Telegram's limits).

    Alerts carry their buttons (see :mod:`bot.telegram.buttons`), labelled in the chat's
    language, as ``language`` tells it (English without it).
    """

    def __init__(self, bot: Bot, language: Callable[[int], Awaitable[str]] | None = None) -> None:
        self._bot = bot
        self._language = language
        self._no_preview = LinkPreviewOptions(is_disabled=True)

    async def _lang(self, chat_id: int) -> str:
        return await self._language(chat_id) if self._language is not None else DEFAULT

    async def send(
        self, chat_id: int, message: Message, thread_id: int | None = None
    ) -> SendResult:
        """Send to the topic ``thread_id``; if it is closed or gone, to the chat."""
        lang = await self._lang(chat_id)
        result = await self._send(chat_id, message, thread_id, lang)
        match result:
            case SendFailed(error=error) if thread_id is not None and topic_gone(error):
                return await self._send(chat_id, message, None, lang)
        return result

    async def edit(self, chat_id: int, message_id: int, message: Message) -> SendResult:
        """Edit an alert sent earlier to show ``message``, with its buttons (an edit
        without them would drop them)."""
        lang = await self._lang(chat_id)
        markup = alert_keyboard(message, lang) if isinstance(message, AlertMessage) else None
        request = self._bot.edit_message_text(
            render(message, lang),
            chat_id,
            message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=self._no_preview,
            reply_markup=markup,
        )
        return await _outcome(request, edited=message_id)

    async def _send(
        self, chat_id: int, message: Message, thread_id: int | None, lang: str
    ) -> SendResult:
        markup = alert_keyboard(message, lang) if isinstance(message, AlertMessage) else None
        request = self._bot.send_message(
            chat_id,
            render(message, lang),
            parse_mode=ParseMode.HTML,
            link_preview_options=self._no_preview,
            message_thread_id=thread_id,
            reply_markup=markup,
        )
        return await _outcome(request)


async def _outcome(request: Awaitable[object], edited: int | None = None) -> SendResult:
    """The case a send (or the edit of the message ``edited``) falls in."""
    try:
        sent = await request
    except Forbidden as exc:
        return ChatGone(exc.message)
    except ChatMigrated as exc:
        return Migrated(exc.new_chat_id)
    except RetryAfter as exc:
        return RetryLater(retry_seconds(exc))
    except BadRequest as exc:
        error = exc.message.lower()
        if any(marker in error for marker in _CHAT_GONE):
            return ChatGone(exc.message)
        if edited is not None and _NOT_MODIFIED in error:  # it shows this already
            return Sent(edited)
        return SendFailed(exc.message, permanent=True)
    except TelegramError as exc:  # network errors and time-outs: try again later
        return SendFailed(f"{type(exc).__name__}: {exc.message}", permanent=False)
    return Sent(sent.message_id if isinstance(sent, TelegramMessage) else edited)


def topic_gone(error: str) -> bool:
    """Whether Telegram refused a message because its forum topic is closed or gone."""
    return any(marker in error.lower() for marker in _TOPIC_GONE)


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this version of the library returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
