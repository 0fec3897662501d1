"""Console mode: alerts printed to a terminal instead of sent to Telegram."""

from __future__ import annotations

import re
import sys
from html import unescape
from typing import TextIO

from bot.delivery.sender import SendResult, Sent

CONSOLE_CHAT = 0  # the pseudo-chat that subscribes to every watchlist in console mode
_TAG = re.compile(r'<a href="([^"]*)">|</a>|<b>|</b>|<i>|</i>')
_STYLES = {
    "<b>": "\x1b[1m",
    "</b>": "\x1b[22m",
    "<i>": "\x1b[2m",
    "</i>": "\x1b[22m",
    "</a>": "\x1b[24m",
}


def html_to_terminal(text: str, color: bool) -> str:
    """Alert HTML (our own small subset) as terminal text, with ANSI styles if ``color``."""
    links: list[str] = []

    def replace(found: re.Match[str]) -> str:
        if found[1] is not None:
            links.append(unescape(found[1]))
            return "\x1b[4m" if color else ""
        return _STYLES.get(found[0], "") if color else ""

    plain = unescape(_TAG.sub(replace, text))
    lines = plain.split("\n")
    if links:
        lines.insert(2, f"   {links[0]}")
    return "\n".join(lines)


class ConsoleTransport:
    """A transport that prints each alert, separated by a rule."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._color = self._out.isatty()

    async def send(self, chat_id: int, text: str) -> SendResult:
        rule = "─" * 72
        print(html_to_terminal(text, self._color), rule, sep="\n", file=self._out, flush=True)
        return Sent()
