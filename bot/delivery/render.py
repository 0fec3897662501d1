"""Render an alert as one Telegram HTML message: pure, no I/O.

Every text that came from a feed is escaped; the only tags are ``<b>``, ``<i>`` and
``<a href>``, always balanced. The message never exceeds Telegram's 4096 characters:
parts are shortened (snippet first, then the title) until it fits. No message carries
control characters or bidirectional overrides (see :func:`printable`), whatever the feed
sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.models import Alert, Span

MAX_MESSAGE = 4096
# C0 controls but the newline, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates, which can hide text or show it in another order than it is.
_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_REMOVE: dict[int, str | None] = {c: None for c in _UNSAFE if c != 0x0A} | {0x09: " "}
_LINE_BREAKS = dict.fromkeys(map(ord, "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"), "⏎")
_BUDGETS = ((300, 320, 160), (200, 200, 80), (120, 0, 40), (60, 0, 20))  # title, snippet, reason


@dataclass(frozen=True)
class _Budget:
    title: int
    snippet: int
    reason: int


def printable(text: str, replacement: str | None = None) -> str:
    """``text`` without control characters (C0 but the newline, DEL, C1) and bidirectional
    embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069); a tab becomes a
    space. With ``replacement``, each removed character is replaced by it instead, which
    keeps positions in the text where they were.

    Applied to whole messages: the markup newsbot writes has none of these characters.
    """
    if replacement is None:
        return text.translate(_REMOVE)
    return text.translate(dict.fromkeys(_REMOVE, replacement) | {0x09: " "})


def one_line(text: str) -> str:
    """``text`` with every line break (CR LF too) shown as ⏎, for lists of one item a line.

    Without CR LF pairs, one character stands for one: positions in the text are kept.
    """
    return text.replace("\r\n", "\n").translate(_LINE_BREAKS)


def render_alert(alert: Alert, feed_title: str, when: datetime) -> str:
    """The alert's message: watchlists, linked title, feed and time, snippet with bold terms."""
    for sizes in _BUDGETS:
        text = printable(_render(alert, feed_title, when, _Budget(*sizes)))
        if len(text) <= MAX_MESSAGE:
            break
    return text  # the last budget always fits: every part of it is bounded


def _render(alert: Alert, feed_title: str, when: datetime, budget: _Budget) -> str:
    entry = alert.entry
    reasons = " · ".join(escape(_cut(r, budget.reason)) for r in alert.reasons[:8])
    title_spans = [s for s in alert.spans if s.field == "title"]
    title = _marked(entry.title, title_spans, 0, budget.title) or escape(entry.link[:80])
    if _linkable(entry.link):
        title = f'<a href="{escape(entry.link, quote=True)}">{title}</a>'
    meta = escape(f"{_cut(feed_title, 80)} · {when:%d %b %Y, %H:%M} UTC")
    lines = [f"🔔 <b>{reasons}</b>", title, f"<i>{meta}</i>"]
    snippet = _snippet(alert, budget.snippet)
    if snippet:
        lines += ["", snippet]
    return "\n".join(lines)


def _linkable(link: str) -> bool:
    try:
        scheme = urlsplit(link).scheme
    except ValueError:  # e.g. "http://[oops": not a link Telegram could open
        return False
    return scheme in ("http", "https") and len(escape(link, quote=True)) <= 2000


def _snippet(alert: Alert, size: int) -> str:
    """A window of the summary (or content) around its first match.

    The summary is preferred; the content is shown when only it holds a match, or when
    there is no summary.
    """
    if size <= 0:
        return ""
    texts = [f for f in ("summary", "content") if alert.entry.field(f)]
    marked = [f for f in texts if any(s.field == f for s in alert.spans)]
    for field in marked or texts:
        text = alert.entry.field(field)
        spans = [s for s in alert.spans if s.field == field]
        start = max(0, spans[0].start - size // 3) if spans else 0
        return _marked(text, spans, start, size)
    return ""


def _marked(text: str, spans: Sequence[Span], start: int, size: int) -> str:
    """``text[start:start+size]``, cut at words, escaped, with ``spans`` in bold."""
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    out, pos = [], start
    for span in spans:
        s, e = max(span.start, pos), min(span.end, end)
        if s >= e:
            continue
        out += [escape(text[pos:s]), "<b>", escape(text[s:e]), "</b>"]
        pos = e
    out.append(escape(text[pos:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + "".join(out).strip() + suffix


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(1, size - 1)].rstrip() + "…"


def render_summary(stories: Sequence[tuple[str, str]], held_for: str) -> str:
    """One message for alerts held too long: a count and the linked titles that fit."""
    head = f"🗂 <b>{len(stories)} alerts held for over {escape(held_for)}</b>"
    lines = [head, ""]
    size = len(head) + 60  # room for the closing line
    for shown, (title, link) in enumerate(stories):
        text = escape(_cut(title or link, 120))
        line = (
            f'• <a href="{escape(link, quote=True)}">{text}</a>' if _linkable(link) else f"• {text}"
        )
        if size + len(line) + 1 > MAX_MESSAGE:
            lines.append(f"… and {len(stories) - shown} more")
            break
        lines.append(line)
        size += len(line) + 1
    return printable("\n".join(lines))


def render_feed_notice(feed_id: str, url: str, kind: str, error: str | None) -> str:
    """The one message admins get when a feed is gone or has been failing for a day."""
    what = "is gone (HTTP 410): polling stopped" if kind == "gone" else "has failed for 24 h"
    lines = [f"⚠️ <b>Feed {escape(feed_id)}</b> {what}", escape(_cut(url, 300))]
    if error:
        lines.append(f"<i>{escape(_cut(error, 500))}</i>")
    lines.append("Check it with <code>newsbot feeds</code>; fix or remove it in config.yaml.")
    return printable("\n".join(lines))
