"""The buttons under every alert, and what their callback data means.

Under an alert of watchlists: "mute this watchlist for a day" and "unsubscribe from
it", for each of its first :data:`LISTS_WITH_BUTTONS` watchlists. Under an alert of
personal rules only: "mute this chat for a day" and "remove this rule".

Callback data is at most 64 bytes: ``ACTION:NAME``, or ``ACTION#HASH`` when a long
watchlist name does not fit (the handler finds the name whose :func:`name_hash` it is).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.render import cut, one_line, printable
from bot.messages import AlertMessage
from bot.telegram.texts import text

Action = Literal["mute", "unsub", "mute_chat", "drop_rule"]
PATTERN = r"^v[mucr][:#]"
LISTS_WITH_BUTTONS = 2
MAX_DATA = 64  # bytes, Telegram's limit
_CODES: dict[Action, str] = {"mute": "vm", "unsub": "vu", "mute_chat": "vc", "drop_rule": "vr"}
_ACTIONS: dict[str, Action] = {code: action for action, code in _CODES.items()}
_DATA = re.compile(r"(v[mucr])([:#])(.{1,100})", re.DOTALL)


@dataclass(frozen=True)
class Press:
    """What a button asks: ``action`` on the watchlist ``name`` (or the one whose hash is
    ``hashed``), or on the personal rule ``rule``."""

    action: Action
    name: str | None = None
    hashed: str | None = None
    rule: int | None = None


def name_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def callback_data(action: Action, value: str) -> str:
    data = f"{_CODES[action]}:{value}"
    return data if len(data.encode()) <= MAX_DATA else f"{_CODES[action]}#{name_hash(value)}"


def parse(data: str) -> Press | None:
    """The press that ``data`` asks for; None if it is not one of these buttons."""
    found = _DATA.fullmatch(data)
    if found is None:
        return None
    action, value = _ACTIONS[found[1]], found[3]
    if found[2] == "#":
        return Press(action, hashed=value) if action in ("mute", "unsub") else None
    if action == "drop_rule":
        digits = value.isascii() and value.isdigit()  # "²" is a digit that int() refuses
        return Press(action, rule=int(value)) if digits and len(value) < 12 else None
    return Press(action) if action == "mute_chat" else Press(action, name=value)


def alert_keyboard(alert: AlertMessage, lang: str) -> InlineKeyboardMarkup | None:
    """The buttons under ``alert`` in a chat whose language is ``lang``."""
    rows = []
    for name in alert.watchlists[:LISTS_WITH_BUTTONS]:
        shown = cut(printable(one_line(name)), 24)
        rows.append(
            [
                _button(text("btn_mute_list", lang).format(shown), "mute", name),
                _button(text("btn_unsub", lang).format(shown), "unsub", name),
            ]
        )
    if not rows and alert.rules:
        rows.append(
            [
                _button(text("btn_mute_chat", lang), "mute_chat", "*"),
                _button(text("btn_drop_rule", lang), "drop_rule", str(alert.rules[0])),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def _button(label: str, action: Action, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback_data(action, value))
