"""/lang en|ru|kk: the chat's reply language, chosen once for everybody.

Until a chat chooses, it is answered in the Telegram language of whoever wrote last
(see ``Gate.enter``); once chosen, in that language whoever writes. In groups only the
chat's administrators (and the configured admins) may choose.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.store.store import Store
from bot.telegram.gate import Gate, chat_of, reply
from bot.telegram.texts import LANGUAGES, text

Context = ContextTypes.DEFAULT_TYPE


class LanguageCommand:
    """The /lang command; register it with :meth:`install`."""

    def __init__(self, store: Store, gate: Gate) -> None:
        self._store = store
        self._gate = gate

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler("lang", self.lang, filters=updates))

    async def lang(self, update: Update, context: Context) -> None:
        lang = await self._gate.enter(update)
        chosen = _chosen(context.args or [])
        if chosen is None:
            await reply(update, text("lang_usage", lang))
        elif not await self._gate.may_change(update):
            await reply(update, text("admins_only", lang))
        else:
            await self._store.set_language(chat_of(update).id, chosen)
            await reply(update, text("lang_set", chosen))


def _chosen(args: list[str]) -> str | None:
    """The one language asked for, if it is one of ours."""
    if len(args) != 1:
        return None
    code = args[0].strip().lower()
    return code if code in LANGUAGES else None
