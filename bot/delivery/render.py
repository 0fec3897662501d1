"""Render a message (:mod:`bot.messages`) as Telegram HTML: pure, no I/O.

Every text that came from a feed is escaped; the only tags are ``<b>``, ``<i>`` and
``<a href>``, always balanced. The message never exceeds Telegram's 4096 characters:
parts are shortened (snippet first, then the title) until it fits. No message carries
control characters or bidirectional overrides (see :func:`printable`), whatever the feed
sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.delivery.hold import UTC_ZONE, find_zone
from bot.messages import (
    AlertMessage,
    Excerpt,
    FeedNotice,
    HeldAlerts,
    Message,
    Outlet,
    Range,
    StoredHtml,
    Summary,
    SummaryItem,
)
from bot.telegram.texts import DEFAULT, text

MAX_MESSAGE = 4096
# C0 controls but the newline, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates, which can hide text or show it in another order than it is.
_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_REMOVE: dict[int, str | None] = {c: None for c in _UNSAFE if c != 0x0A} | {0x09: " "}
_LINE_BREAKS = dict.fromkeys(map(ord, "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"), "⏎")
# title, snippet, reason; whether the other outlets of the story are links
_BUDGETS = (
    (300, 320, 160, True),
    (200, 200, 80, True),
    (120, 0, 40, True),
    (60, 0, 20, False),
)
ALSO_SHOWN = 5  # other outlets named in an alert's "Also:" line; the rest as "+N"
_OUTLET = 40  # characters of an outlet's name shown
_OUTLET_LINK = 300  # a longer link of another outlet is not made a link


@dataclass(frozen=True)
class Markup:
    """How marked text is written: escaped, and its marks between ``bold`` and ``plain``."""

    escape: Callable[[str], str]
    bold: str
    plain: str


HTML = Markup(escape, "<b>", "</b>")


@dataclass(frozen=True)
class _Budget:
    title: int
    snippet: int
    reason: int
    also_links: bool


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


def render(message: Message, lang: str = DEFAULT) -> str:
    """``message`` as one Telegram HTML message of at most :data:`MAX_MESSAGE` characters;
    an alert's few words (its "Also:" line) in the chat's ``lang``."""
    match message:
        case AlertMessage():
            return render_alert(message, lang)
        case FeedNotice():
            return render_feed_notice(message)
        case HeldAlerts():
            return render_summary(message)
        case Summary():
            return render_held(message)
        case StoredHtml(html=html):
            return html


def render_alert(alert: AlertMessage, lang: str = DEFAULT) -> str:
    """The alert's message: reasons, linked title, feed and time, the story's other
    outlets, snippet with bold terms."""
    for sizes in _BUDGETS:
        html = printable(_render(alert, _Budget(*sizes), lang))
        if telegram_length(html) <= MAX_MESSAGE:
            break
    return html  # the last budget always fits: every part of it is bounded


def _render(alert: AlertMessage, budget: _Budget, lang: str) -> str:
    reasons = " · ".join(escape(cut(r, budget.reason)) for r in alert.reasons)
    title = marked(alert.title, alert.title_marks, 0, budget.title) or escape(alert.link[:80])
    if _linkable(alert.link):
        title = f'<a href="{escape(alert.link, quote=True)}">{title}</a>'
    meta = escape(f"{cut(alert.feed, 80)} · {alert.published:%d %b %Y, %H:%M} UTC")
    lines = [f"🔔 <b>{reasons}</b>", title, f"<i>{meta}</i>"]
    if alert.also:
        lines.append(also_line(alert.also, alert.also_more, lang, budget.also_links))
    snippet = snippet_of(alert.excerpt, budget.snippet)
    if snippet:
        lines += ["", snippet]
    return "\n".join(lines)


def also_line(
    outlets: Sequence[Outlet], more: int, lang: str, links: bool = True, shown: int = ALSO_SHOWN
) -> str:
    """ "Also: A, B, C +2": the first ``shown`` other outlets of a story (as links, if
    ``links``), the rest counted."""
    names = []
    for outlet in outlets[:shown]:
        name = escape(cut(outlet.name, _OUTLET))
        link = outlet.link
        if links and len(link) <= _OUTLET_LINK and _linkable(link):
            name = f'<a href="{escape(link, quote=True)}">{name}</a>'
        names.append(name)
    rest = len(outlets) - len(names) + more
    counted = f" +{rest}" if rest > 0 else ""
    return f"{text('alert_also', lang)} {', '.join(names)}{counted}"


def _linkable(link: str) -> bool:
    try:
        scheme = urlsplit(link).scheme
    except ValueError:  # e.g. "http://[oops": not a link Telegram could open
        return False
    return scheme in ("http", "https") and len(escape(link, quote=True)) <= 2000


def snippet_of(excerpt: Excerpt | None, size: int, markup: Markup = HTML) -> str:
    """At most ``size`` characters of the excerpt, from a little before its first mark."""
    if excerpt is None or size <= 0:
        return ""
    start = max(0, excerpt.marks[0][0] - size // 3) if excerpt.marks else 0
    cuts = (excerpt.cut_before, excerpt.cut_after)
    return marked(excerpt.text, excerpt.marks, start, size, *cuts, markup=markup)


def marked(
    text: str,
    marks: Sequence[Range],
    start: int,
    size: int,
    cut_before: bool = False,
    cut_after: bool = False,
    markup: Markup = HTML,
) -> str:
    """``text[start:start+size]``, cut at words, escaped, with ``marks`` in bold
    (as ``markup`` writes them: HTML by default).

    ``cut_before``, ``cut_after``: ``text`` is itself cut from a longer one there.
    """
    if start > 0 or cut_before:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + size)
    if end < len(text) or cut_after:
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    out, pos = [], start
    for mark_start, mark_end in marks:
        s, e = max(mark_start, pos), min(mark_end, end)
        if s >= e:
            continue
        out += [markup.escape(text[pos:s]), markup.bold, markup.escape(text[s:e]), markup.plain]
        pos = e
    out.append(markup.escape(text[pos:end]))
    prefix = "…" if start > 0 or cut_before else ""
    suffix = "…" if end < len(text) or cut_after else ""
    return prefix + "".join(out).strip() + suffix


def telegram_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts against :data:`MAX_MESSAGE`."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(1, size - 1)].rstrip() + "…"


def render_summary(held: HeldAlerts) -> str:
    """One message for alerts held too long: a count and the linked titles that fit."""
    stories = held.stories
    head = f"🗂 <b>{len(stories)} alerts held for over {escape(held_span(held.held_for))}</b>"
    lines = [head, ""]
    size = len(head) + 60  # room for the closing line
    for shown, (title, link) in enumerate(stories):
        text = escape(cut(title or link, 120))
        line = (
            f'• <a href="{escape(link, quote=True)}">{text}</a>' if _linkable(link) else f"• {text}"
        )
        if size + len(line) + 1 > MAX_MESSAGE:
            lines.append(f"… and {len(stories) - shown} more")
            break
        lines.append(line)
        size += len(line) + 1
    return printable("\n".join(lines))


def held_span(seconds: float) -> str:
    """How long alerts were held, as a summary says it: "24 h", "30 min"."""
    hours = seconds / 3600
    return f"{hours:g} h" if hours >= 1 else f"{seconds / 60:g} min"


def notice_headline(notice: FeedNotice) -> str:
    """What happened to the feed, after its name."""
    if notice.kind == "gone":
        return "is gone (HTTP 410): polling stopped"
    return "has failed for 24 h"


def render_feed_notice(notice: FeedNotice) -> str:
    """The one message admins get when a feed is gone or has been failing for a day."""
    headline = f"⚠️ <b>Feed {escape(notice.feed_id)}</b> {notice_headline(notice)}"
    lines = [headline, escape(cut(notice.url, 300))]
    if notice.error:
        lines.append(f"<i>{escape(cut(notice.error, 500))}</i>")
    lines.append("Check it with <code>newsbot feeds</code>; fix or remove it in config.yaml.")
    return printable("\n".join(lines))


SUMMARY_REASONS = 8  # at most this many counts are listed
SUMMARY_OUTLETS = 3  # other outlets of a story named by a summary's item
_ITEM_LINK = 1000  # a longer link is not made a link in a summary: every item stays short


def render_held(summary: Summary) -> str:
    """A summary of held alerts or a digest: the head, counts per reason, linked titles
    newest first (a digest's under their groups), and how many are left unlisted.

    Every part is bounded (a head of a few reasons, twenty short items at most): the
    sender splits summaries into parts that fit a message by rendering them.
    """
    lines = summary_head(summary)
    group = None
    for item in summary.items:
        if summary.why == "digest" and item.group != group:
            group = item.group
            lines.append(f"\n<b>{escape(cut(group, 160))}</b>")
        lines.append(_item(item, summary.zone, summary.lang))
    if summary.more:
        lines += ["", text("summary_more", summary.lang).format(summary.more)]
    return printable("\n".join(lines))


def summary_head(summary: Summary) -> list[str]:
    """The HTML lines above a summary's list: what it is, its period, its counts."""
    since, until = (local_time(t, summary.zone) for t in (summary.since, summary.until))
    key = "summary_digest" if summary.why == "digest" else "summary_held"
    head = text(key, summary.lang).format(summary.total)
    lines = [head, f"<i>{escape(f'{since} – {until} ({summary.zone})')}</i>"]
    counts = [f"{escape(cut(r, 40))}: {n}" for r, n in summary.counts[:SUMMARY_REASONS]]
    if counts:
        extra = " · …" if len(summary.counts) > SUMMARY_REASONS else ""
        lines.append(" · ".join(counts) + extra)
    return [*lines, ""]


def _item(item: SummaryItem, zone: str, lang: str) -> str:
    title = escape(cut(item.title or item.link, 120))
    if len(item.link) <= _ITEM_LINK and _linkable(item.link):
        title = f'<a href="{escape(item.link, quote=True)}">{title}</a>'
    when = local_time(item.published, zone)
    line = f"• {title} · <i>{escape(cut(item.feed, 60))}, {when}</i>"
    if item.also:
        outlets = [Outlet(name, "") for name in item.also]
        also = also_line(outlets, item.also_more, lang, links=False, shown=SUMMARY_OUTLETS)
        line += f" · <i>{also}</i>"
    return line


def local_time(moment: datetime, zone: str) -> str:
    """``moment`` on the clock of the time zone ``zone`` (UTC if there is none such)."""
    return f"{moment.astimezone(find_zone(zone) or UTC_ZONE):%d %b %H:%M}"
