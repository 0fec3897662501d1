"""Console mode: messages written as terminal text instead of sent to Telegram.

Rendered from the message's data, as Telegram's HTML is: matched terms in bold, the
feed and time dimmed, links shown in full on a line of their own; ANSI styles only on a
terminal. No feed text reaches the terminal with control characters or bidirectional
overrides (see :func:`~bot.delivery.render.printable`): a feed cannot move the cursor.
"""

from __future__ import annotations

import itertools
import sys
from html.parser import HTMLParser
from typing import TextIO

from bot.delivery.render import (
    ALSO_SHOWN,
    Markup,
    also_line,
    cut,
    held_span,
    local_time,
    marked,
    notice_headline,
    printable,
    snippet_of,
    summary_head,
)
from bot.delivery.sender import SendResult, Sent
from bot.messages import (
    AlertMessage,
    FeedNotice,
    HeldAlerts,
    Message,
    Outlet,
    StoredHtml,
    Summary,
)
from bot.telegram.texts import DEFAULT, text

CONSOLE_CHAT = 0  # the pseudo-chat that subscribes to every watchlist in console mode
RULE = "─" * 72
BOLD, DIM, UNDERLINE, NORMAL, NO_UNDERLINE = "\x1b[1m", "\x1b[2m", "\x1b[4m", "\x1b[22m", "\x1b[24m"
TITLE, SNIPPET, REASON, HELD = 300, 320, 160, 120  # characters shown, at most


def terminal_text(message: Message, color: bool) -> str:
    """``message`` as lines for a terminal, with ANSI styles if ``color``."""
    style = _Style(color)
    match message:
        case AlertMessage():
            return _alert(message, style)
        case FeedNotice():
            return _notice(message, style)
        case HeldAlerts():
            return _held(message, style)
        case Summary():
            return _summary(message, style)
        case StoredHtml(html=html):
            return printable(_TextOf.html(html))


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color
        # every text from a feed goes through printable(), piece by piece: the styles
        # are the only escape sequences written
        self.markup = Markup(printable, BOLD, NORMAL) if color else Markup(printable, "", "")

    def __call__(self, start: str, text: str, end: str = NORMAL) -> str:
        return f"{start}{text}{end}" if self.color else text


def _alert(alert: AlertMessage, style: _Style) -> str:
    reasons = printable(" · ".join(cut(r, REASON) for r in alert.reasons))
    link = printable(alert.link)
    title = marked(alert.title, alert.title_marks, 0, TITLE, markup=style.markup) or link
    lines = [style(BOLD, f"🔔 {reasons}"), style(UNDERLINE, title, NO_UNDERLINE)]
    if link:
        lines.append(f"   {link}")
    meta = f"{cut(alert.feed, 80)} · {alert.published:%d %b %Y, %H:%M} UTC"
    lines.append(style(DIM, printable(meta)))
    lines += _also(alert)
    snippet = snippet_of(alert.excerpt, SNIPPET, style.markup)
    if snippet:
        lines += ["", snippet]
    return "\n".join(lines)


def _also(alert: AlertMessage) -> list[str]:
    """The story's other outlets: a line naming them, then their links."""
    if not alert.also:
        return []
    line = also_line(alert.also, alert.also_more, DEFAULT, links=False)
    lines = [printable(_TextOf.html(line))]
    lines += [printable(f"   {cut(o.link, 300)}") for o in alert.also[:ALSO_SHOWN] if o.link]
    return lines


def edit_text(alert: AlertMessage, color: bool) -> str:
    """What a terminal shows when an alert printed earlier gains outlets: its title and
    its new "Also:" lines."""
    style = _Style(color)
    title = printable(cut(alert.title or alert.link, TITLE))
    return "\n".join([style(BOLD, f"✎ {title}"), *_also(alert)])


def _notice(notice: FeedNotice, style: _Style) -> str:
    lines = [style(BOLD, f"⚠️ Feed {notice.feed_id}") + f" {notice_headline(notice)}"]
    lines.append(printable(cut(notice.url, 300)))
    if notice.error:
        lines.append(style(DIM, printable(cut(notice.error, 500))))
    lines.append("Check it with `newsbot feeds`; fix or remove it in config.yaml.")
    return "\n".join(lines)


def _held(held: HeldAlerts, style: _Style) -> str:
    head = style(BOLD, f"🗂 {len(held.stories)} alerts held for over {held_span(held.held_for)}")
    lines = [head, ""]
    for title, link in held.stories:
        lines.append(printable(f"• {cut(title or link, HELD)}"))
        if link and title:
            lines.append(printable(f"  {link}"))
    return "\n".join(lines)


def _summary(summary: Summary, style: _Style) -> str:
    head, *rest = (printable(_TextOf.html(line)) for line in summary_head(summary))
    lines = [style(BOLD, head), *rest]
    for item in summary.items:
        when = local_time(item.published, summary.zone)
        lines.append(
            printable(f"• {cut(item.title or item.link, HELD)} · {cut(item.feed, 60)}, {when}")
        )
        if item.link and item.title:
            lines.append(printable(f"  {item.link}"))
        if item.also:
            outlets = [Outlet(name, "") for name in item.also]
            also = also_line(outlets, item.also_more, summary.lang, links=False)
            lines.append(printable(f"  {_TextOf.html(also)}"))
    if summary.more:
        lines += [
            "",
            printable(_TextOf.html(text("summary_more", summary.lang).format(summary.more))),
        ]
    return "\n".join(lines)


class _TextOf(HTMLParser):
    """The text of a message stored as Telegram HTML (by an older version)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @classmethod
    def html(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return "".join(parser.parts)


class TerminalTransport:
    """Writes each message to ``out`` (standard output by default), then a rule."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._color = self._out.isatty()
        self._printed = itertools.count(1)  # "message ids", so that alerts can gain outlets

    async def send(
        self, chat_id: int, message: Message, thread_id: int | None = None
    ) -> SendResult:
        text = terminal_text(message, self._color)
        print(text, RULE, sep="\n", file=self._out, flush=True)
        return Sent(next(self._printed))

    async def edit(self, chat_id: int, message_id: int, message: Message) -> SendResult:
        """An alert printed earlier gained outlets: print them (a terminal cannot edit)."""
        if isinstance(message, AlertMessage):
            print(edit_text(message, self._color), RULE, sep="\n", file=self._out, flush=True)
        return Sent(message_id)
