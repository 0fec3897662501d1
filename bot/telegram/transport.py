"""Send one message with python-telegram-bot and sort the outcome into a SendResult case."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
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


class TelegramTransport:
    """Sends messages as HTML through ``bot`` (its rate limiter keeps Telegram's limits).

    Alerts carry their buttons (see :mod:`bot.telegram.buttons`), labelled in the chat's
    language, as ``language`` tells it (English without it).
    """

    def __init__(self, bot: Bot, language: Callable[[int], Awaitable[str]] | None = None) -> None:
        self._bot = bot
        self._language = language
        self._no_preview = LinkPreviewOptions(is_disabled=True)

    async def _markup(self, chat_id: int, message: Message) -> InlineKeyboardMarkup | None:
        if not isinstance(message, AlertMessage):
            return None
        lang = await self._language(chat_id) if self._language is not None else DEFAULT
        return alert_keyboard(message, lang)

    async def send(
        self, chat_id: int, message: Message, thread_id: int | None = None
    ) -> SendResult:
        """Send to the topic ``thread_id``; if it is closed or gone, to the chat."""
        markup = await self._markup(chat_id, message)
        result = await self._send(chat_id, message, thread_id, markup)
        match result:
            case SendFailed(error=error) if thread_id is not None and topic_gone(error):
                return await self._send(chat_id, message, None, markup)
        return result

    async def _send(
        self,
        chat_id: int,
        message: Message,
        thread_id: int | None,
        markup: InlineKeyboardMarkup | None,
    ) -> SendResult:
        try:
            await self._bot.send_message(
                chat_id,
                render(message),
                parse_mode=ParseMode.HTML,
                link_preview_options=self._no_preview,
                message_thread_id=thread_id,
                reply_markup=markup,
            )
        except Forbidden as exc:
            return ChatGone(exc.message)
        except ChatMigrated as exc:
            return Migrated(exc.new_chat_id)
        except RetryAfter as exc:
            return RetryLater(retry_seconds(exc))
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _CHAT_GONE):
                return ChatGone(exc.message)
            return SendFailed(exc.message, permanent=True)
        except TelegramError as exc:  # network errors and time-outs: try again later
            return SendFailed(f"{type(exc).__name__}: {exc.message}", permanent=False)
        return Sent()


def topic_gone(error: str) -> bool:
    """Whether Telegram refused a message because its forum topic is closed or gone."""
    return any(marker in error.lower() for marker in _TOPIC_GONE)


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this version of the library returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
