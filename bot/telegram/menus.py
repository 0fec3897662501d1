"""The command menus Telegram shows by the message field, per scope and per language.

Telegram shows each user the most specific menu that was set. In a private chat: the
chat's own (a configured admin's: every command and /status), else the one for all
private chats (every command). In a group: the one for its administrators (every
command), else the one for all its members (the commands that change nothing, as only
administrators may change a group). Every menu is set once per language: without a
language code in English, for everybody whose language has no menu of its own; then
in Russian and Kazakh, and in Russian for the languages answered in Russian.
Descriptions come from the catalogs, keys ``cmd_<name>``: plain text, 3 to 256
characters, as Telegram asks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.telegram.texts import ALIASES, DEFAULT, LANGUAGES, text

log = logging.getLogger(__name__)

EVERY = (
    "start",
    "help",
    "lists",
    "sub",
    "unsub",
    "watch",
    "unwatch",
    "my",
    "mute",
    "unmute",
    "quiet",
    "tz",
    "digest",
    "lang",
    "recent",
    "search",
)
READING = ("help", "lists", "my", "recent", "search")  # what a group's members may use
ADMINS = (*EVERY, "status")  # the configured admins', in their private chats
# (Telegram language code, the menu's language); None: everybody else
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = (
    (None, DEFAULT),
    *((code, code) for code in LANGUAGES if code != DEFAULT),
    *ALIASES.items(),
)


@dataclass(frozen=True)
class Menu:
    """The commands offered in one scope, in every language."""

    scope: BotCommandScope
    names: tuple[str, ...]

    def commands(self, lang: str) -> list[BotCommand]:
        return [BotCommand(name, text(f"cmd_{name}", lang)) for name in self.names]


def menus(admins: Iterable[int]) -> list[Menu]:
    """Every menu to set: the general ones first, then one per configured admin."""
    return [
        Menu(BotCommandScopeAllPrivateChats(), EVERY),
        Menu(BotCommandScopeAllGroupChats(), READING),
        Menu(BotCommandScopeAllChatAdministrators(), EVERY),
        *(Menu(BotCommandScopeChat(admin), ADMINS) for admin in sorted(admins)),
    ]


async def publish(bot: Bot, admins: Iterable[int]) -> None:
    """Set every menu in every language; a cosmetic step, so a refusal is only logged.

    A general menu refused stops the rest (Telegram is unreachable or refuses the bot);
    an admin's refused skips only that admin, who may never have started the bot.
    """
    for menu in menus(admins):
        try:
            for code, lang in MENU_LANGUAGES:
                await bot.set_my_commands(menu.commands(lang), scope=menu.scope, language_code=code)
        except TelegramError as exc:
            log.warning("could not publish the %s command menu: %s", _name(menu.scope), exc)
            if not isinstance(menu.scope, BotCommandScopeChat):
                return


def _name(scope: BotCommandScope) -> str:
    if isinstance(scope, BotCommandScopeChat):
        return f"chat {scope.chat_id}"
    return str(scope.type)
