"""python-telegram-bot's Application: built for ``telegram.api_url``, started, stopped.

Only ``newsbot run`` with a token loads this module (and the library's application
layer), so the other commands start faster.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Updater

from bot.config import Config, TelegramConfig
from bot.delivery.terminal import CONSOLE_CHAT
from bot.errors import NewsbotError
from bot.store.store import Store
from bot.telegram.commands import Commands
from bot.telegram.updates import ChatOrderedUpdates

log = logging.getLogger(__name__)

TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


def build_application(config: Config) -> TelegramApp:
    """A python-telegram-bot Application talking to ``telegram.api_url``.

    Updates run concurrently across chats and in order within each chat, so that no
    chat's replies wait on another chat's rate limit. The rate limiter keeps Telegram's
    limits (30 messages a second, 20 a minute per group) and never retries by itself:
    its retry would hold every chat's requests for the ``retry_after`` of one; the
    sender and the replies decide for their own chat instead.
    """
    api = config.telegram.api_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(config.telegram.token.strip())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=0))
        .concurrent_updates(ChatOrderedUpdates())
        .build()
    )


@contextlib.asynccontextmanager
async def initialized(app: TelegramApp) -> AsyncIterator[TelegramApp]:
    """The application initialized (its bot knows itself); shut down on the way out.

    A NewsbotError if Telegram refuses (a revoked token, say) or cannot be reached.
    """
    try:
        await app.initialize()
    except TelegramError as exc:
        raise NewsbotError(f"Telegram: {exc}") from exc
    try:
        yield app
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()


@dataclass
class TelegramBot:
    """The Telegram side of ``newsbot run``: updates in, command replies out.

    Updates come by long polling ``getUpdates`` or, with ``telegram.webhook_url`` set,
    to python-telegram-bot's webhook server at ``telegram.webhook_listen`` (every
    instance may take them, behind a load balancer).
    """

    app: TelegramApp
    commands: Commands
    store: Store
    config: TelegramConfig

    @property
    def by_webhook(self) -> bool:
        return self.config.webhook_url is not None

    async def start(self) -> None:
        """Publish the command menus and take updates; a NewsbotError if Telegram refuses."""
        await self.store.deactivate_chat(CONSOLE_CHAT, "console mode ended")
        if isinstance(self.app.update_processor, ChatOrderedUpdates):
            self.app.update_processor.reopen()  # after a stop, when Telegram comes back
        try:
            await self.commands.publish(self.app.bot)
            await self.app.start()
            if self.app.updater is not None:
                await self._take_updates(self.app.updater)
        except TelegramError as exc:
            raise NewsbotError(f"Telegram: {exc}") from exc

    async def _take_updates(self, updater: Updater) -> None:
        if self.config.webhook_url is None:
            await updater.start_polling(timeout=10, drop_pending_updates=False)
            return
        host, port = self.config.webhook_address
        path = urlsplit(self.config.webhook_url).path.strip("/")
        try:
            with _unreported_bootstrap_failure():
                await updater.start_webhook(
                    listen=host,
                    port=port,
                    # a pattern to the library's web server: "+" or "." in the path is literal
                    url_path=re.escape(path),
                    webhook_url=self.config.webhook_url,
                    secret_token=self.config.webhook_token,
                    drop_pending_updates=False,
                )
            log.info("taking Telegram updates by webhook at %s:%d/%s", host, port, path)
        except OSError as exc:  # the port is taken, say
            raise NewsbotError(
                f"telegram.webhook_listen {self.config.webhook_listen}: {exc.strerror or exc}"
            ) from exc

    async def stop(self) -> None:
        """Take no more updates; let the running handlers finish, drop those still waiting.

        Done while the store is open, as the handlers need it.
        """
        app = self.app
        if app.updater is not None:
            await app.updater.stop()
        if isinstance(app.update_processor, ChatOrderedUpdates):
            app.update_processor.close()
        if app.running:
            await app.stop()


class _BootstrapFailure(logging.Filter):
    """Drops the library's report, with its traceback, of a setWebhook that failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and "(Bootstrap " in record.getMessage())


@contextlib.contextmanager
def _unreported_bootstrap_failure() -> Iterator[None]:
    """While the webhook is set up, Telegram refusing it (a port it does not serve, a
    host it cannot resolve) is not logged: the NewsbotError raised from the same
    failure says it in one line."""
    library = logging.getLogger("telegram.ext")
    quiet = _BootstrapFailure()
    library.addFilter(quiet)
    try:
        yield
    finally:
        library.removeFilter(quiet)
