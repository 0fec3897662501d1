"""Parse fetched feed bytes into plain :class:`~bot.models.Entry` objects.

feedparser only ever sees bytes (it never fetches), and only bytes prepared here:

- decoded by :func:`bot.feeds.charset.decode_feed` (which survives wrong and missing
  declarations) and re-encoded as UTF-8 under a matching XML declaration;
- with no entity declared: every DOCTYPE loses its internal subset and other markup
  declarations are dropped, so an entity bomb is inert before any parser sees it (a
  feed never needs one);
- with at most ``2 * MAX_ENTRIES`` entries: the first and the last :data:`MAX_ENTRIES`,
  cut out of the text before feedparser spends time on the rest.

Of the entries parsed, the :data:`MAX_ENTRIES` newest are kept (an undated entry counts
as published now), in document order. A published time more than :data:`FUTURE_SLACK`
ahead is clamped to now, so a feed's clock cannot skew polling or ordering.

feedparser's own HTML sanitizing and relative-URI rewriting are off: newsbot strips HTML
itself and escapes every feed text when it renders an alert, and with them on feedparser
takes about 1.3 times as long over the bundled demo feeds (parse_feed as a whole, 1.25).
An HTML page raises :class:`~bot.errors.NotAFeed` naming the feeds it advertises. Call
:func:`parse_feed` off the event loop.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.errors import FeedParseError, NotAFeed
from bot.feeds.charset import decode_feed
from bot.feeds.discover import SCAN_BYTES, feed_links, not_a_feed_message
from bot.feeds.links import bounded, entry_key, normalize_link
from bot.feeds.text import clean
from bot.matching import html_to_text
from bot.models import Entry

MAX_ENTRIES = 1000  # per feed and poll: the newest
FUTURE_SLACK = timedelta(days=1)  # time zone slips are kept; further ahead is a broken clock
_PLAIN = "text/plain"
_XML_DECL = re.compile(r"^\s*<\?xml\b.*?\?>", re.DOTALL)
_PROLOG_MISC = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_MARKUP_DECLARATION = re.compile(r"\s*<!(DOCTYPE\b)?(?=[A-Za-z])", re.IGNORECASE)
_DECLARATION_END = re.compile(r"\s*>")
_DOCTYPE = re.compile(r"""\s*<!DOCTYPE(?:"[^"]*"|'[^']*'|[^>"'])*>""", re.IGNORECASE)
_START_TAG = re.compile(r"\s*<([A-Za-z][\w:.-]*)")
_DTD_TOKEN = re.compile(r""""[^"]*"|'[^']*'|<!--.*?-->|[\[\]>]""", re.DOTALL)
_ENTRY_END = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")


@dataclass(frozen=True)
class ParsedFeed:
    """The feed's own title and its entries, in document order."""

    title: str
    entries: tuple[Entry, ...]
    ttl: float | None = None  # RSS <ttl>: minutes the feed may be cached, as seconds


def parse_feed(
    feed_id: str, content: bytes, url: str, content_type: str = "", *, now: datetime | None = None
) -> ParsedFeed:
    """Parse ``content`` fetched from ``url``; raise FeedParseError if it is not a feed."""
    now = now or datetime.now(UTC)
    text = _without_entities(decode_feed(content, content_type))
    if _root(text) == "html":  # feedparser's fallback parser takes seconds per megabyte
        raise _html_page(text, url)
    prepared = _utf8_xml(_trimmed(text))
    doc = _feedparser(prepared)
    if not doc.get("version") and not doc.entries:
        raise _not_a_feed(text, url, doc)
    kept = _newest([(raw, _published(raw, now)) for raw in doc.entries], now)
    entries = tuple(_entry(feed_id, raw, url, published) for raw, published in kept)
    return ParsedFeed(_text(doc.feed, "title"), entries, _ttl(doc.feed))


def _feedparser(prepared: bytes) -> Any:
    # No response headers: the bytes carry their encoding, HTML pages are caught before
    # feedparser, and entry links are resolved against the feed's address once each in
    # _entry. Given a content-location, feedparser resolves every link of every element
    # itself, which made parsing 1.8 times slower.
    try:
        return feedparser.parse(prepared, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser should not raise, but a feed must never crash us
        raise FeedParseError(f"unreadable feed: {exc}") from exc


def _utf8_xml(text: str) -> bytes:
    body = _XML_DECL.sub("", text, count=1).lstrip()
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8", "replace")


def _without_entities(text: str) -> str:
    """``text`` with no entity declared in its prolog.

    Every DOCTYPE there is cut down to its name and external identifier (external DTDs
    are never loaded; feedparser still tells RSS 0.91 by the identifier), and any other
    markup declaration is dropped. Every DOCTYPE, not just the first: feedparser deletes
    some before expat reads the first one left, and turns stray ``<!ENTITY>`` lines into
    a new one. A malformed declaration ends the document.
    """
    kept: list[str] = []
    position = 0
    while True:
        if misc := _PROLOG_MISC.match(text, position):
            kept.append(misc.group())
            position = misc.end()
            continue
        declared = _MARKUP_DECLARATION.match(text, position)
        if declared is None:
            return "".join(kept) + text[position:]
        rest = _declaration(text, declared.end())
        if rest is None:
            return "".join(kept)
        if declared.group(1):  # a DOCTYPE stays, without its subset
            kept.append(declared.group() + rest[0])
        position = rest[1]


def _declaration(text: str, start: int) -> tuple[str, int] | None:
    """A declaration from ``start`` on, without any ``[...]``, and where it ends; or None."""
    opened = None
    for token in _DTD_TOKEN.finditer(text, start):
        mark = token.group()
        if mark == ">" and opened is None:
            return text[start : token.end()], token.end()
        if mark == "[" and opened is None:
            opened = token.start()
        elif mark == "]" and opened is not None:
            close = _DECLARATION_END.match(text, token.end())
            return (text[start:opened] + ">", close.end()) if close else None
    return None


def _trimmed(text: str) -> str:
    """The first and the last MAX_ENTRIES entries, wherever a feed puts its newest."""
    ends = [found.end() for found in _ENTRY_END.finditer(text)]
    if len(ends) <= 2 * MAX_ENTRIES:
        return text
    return text[: ends[MAX_ENTRIES - 1]] + text[ends[-MAX_ENTRIES - 1] :]


def _newest(
    dated: list[tuple[Any, datetime | None]], now: datetime
) -> list[tuple[Any, datetime | None]]:
    """The MAX_ENTRIES newest (undated counts as now), in document order."""
    if len(dated) <= MAX_ENTRIES:
        return dated
    order = sorted(range(len(dated)), key=lambda i: dated[i][1] or now, reverse=True)
    return [dated[i] for i in sorted(order[:MAX_ENTRIES])]


def _root(text: str) -> str:
    """The lower-cased name of the first element, past the prolog ('' if none)."""
    position = 0
    while item := _PROLOG_MISC.match(text, position) or _DOCTYPE.match(text, position):
        position = item.end()
    found = _START_TAG.match(text, position)
    return found[1].lower() if found else ""


def _not_a_feed(text: str, url: str, doc: Any) -> FeedParseError:
    head = text[:2048].lower()
    if "<html" in head or "<!doctype html" in head:
        return _html_page(text, url)
    problem = doc.get("bozo_exception")
    return FeedParseError(f"not a feed: {problem}" if problem else "not a feed")


def _html_page(text: str, url: str) -> NotAFeed:
    alternates = tuple(feed_links(text[:SCAN_BYTES].encode("utf-8", "replace"), url))
    return NotAFeed(not_a_feed_message(alternates), alternates)


def _entry(feed_id: str, raw: Any, base_url: str, published: datetime | None) -> Entry:
    title = _text(raw, "title")
    summary = _text(raw, "summary")
    content = _content(raw)
    link = urljoin(base_url, clean(raw.get("link") or "")) if raw.get("link") else ""
    key = entry_key(raw.get("id"), link, title, content or summary)
    story = bounded(normalize_link(link) if link else f"{feed_id}:{key}")  # guids: per feed
    return Entry(
        feed_id=feed_id,
        key=key,
        title=title,
        link=link,
        story=story,
        summary=summary,
        content=content,
        published=published,
    )


def _text(node: Any, name: str) -> str:
    """A text construct as plain text: markup stripped unless the feed says it is plain."""
    value = node.get(name) or ""
    detail = node.get(f"{name}_detail") or _copied_from(node, value)
    if detail.get("type") == _PLAIN:
        return " ".join(clean(value).split())
    return clean(html_to_text(value))


def _copied_from(node: Any, value: str) -> Any:
    """feedparser fills a missing summary with the content's value, but not its type."""
    return next((p for p in node.get("content") or [] if p.get("value") == value), {})


def _content(raw: Any) -> str:
    parts = raw.get("content") or []
    texts = [
        clean(p.get("value", "") if p.get("type") == _PLAIN else html_to_text(p.get("value", "")))
        for p in parts
    ]
    return " ".join(t for t in texts if t)


def _published(raw: Any, now: datetime) -> datetime | None:
    """The entry's date as aware UTC; one too far in the future is clamped to ``now``."""
    when = _date(raw)
    return now if when is not None and when > now + FUTURE_SLACK else when


def _date(raw: Any) -> datetime | None:
    parsed = raw.get("published_parsed")
    if not parsed and "updated_parsed" in raw:  # reading it when absent warns
        parsed = raw["updated_parsed"]
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _ttl(feed: Any) -> float | None:
    value = str(feed.get("ttl") or "").strip()
    return float(value) * 60 if value.isdigit() and int(value) > 0 else None
