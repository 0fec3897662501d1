"""Parse fetched feed bytes into plain :class:`~bot.models.Entry` objects.

feedparser only ever sees bytes (it never fetches), and only bytes prepared here:

- decoded by :func:`bot.feeds.charset.decode_feed` (which survives wrong and missing
  declarations) and re-encoded as UTF-8 under a matching XML declaration, written in
  place of the old one so that lines keep their numbers;
- with no entity declared: every DOCTYPE loses its internal subset and other markup
  declarations are dropped (their line breaks kept), so an entity bomb is inert before
  any parser sees it (a feed never needs one);
- with at most ``2 * MAX_ENTRIES`` entries: the first and the last :data:`MAX_ENTRIES`,
  cut out of the text before feedparser spends time on the rest.

A JSON document goes to :mod:`bot.feeds.jsonfeed` instead. Both apply the bounds of
:mod:`bot.feeds.entries` (the newest entries, future dates clamped, texts cleaned).

feedparser's own HTML sanitizing and relative-URI rewriting are off: newsbot strips HTML
itself and escapes every feed text when it renders an alert, and with them on feedparser
takes about 1.3 times as long over the bundled demo feeds (parse_feed as a whole, 1.25).

A document that is not a feed raises :class:`~bot.errors.FeedParseError` saying what it
is: an empty document, plain text, JSON that is not a JSON Feed, XML of another kind (its
root element named), or broken XML (with the line and column of the fault, as served).
An HTML page raises :class:`~bot.errors.NotAFeed` naming the feeds it advertises. Call
:func:`parse_feed` off the event loop.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser

from bot.errors import FeedParseError, NotAFeed
from bot.feeds.charset import decode_feed
from bot.feeds.discover import SCAN_BYTES, feed_links, not_a_feed_message
from bot.feeds.entries import (
    FUTURE_SLACK,
    MAX_ENTRIES,
    ParsedFeed,
    RawEntry,
    build_entries,
    clamped,
    newest,
    site_link,
)
from bot.feeds.jsonfeed import looks_like_json, parse_json_feed
from bot.feeds.text import clean
from bot.matching import html_to_text

__all__ = ["FUTURE_SLACK", "MAX_ENTRIES", "ParsedFeed", "parse_feed"]
_PLAIN = "text/plain"
_UTF8_DECL = '<?xml version="1.0" encoding="utf-8"?>'
_XML_DECL = re.compile(r"^\s*<\?xml\b.*?\?>", re.DOTALL)
_PROLOG_MISC = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_MARKUP_DECLARATION = re.compile(r"\s*<!(DOCTYPE\b)?(?=[A-Za-z])", re.IGNORECASE)
_DECLARATION_END = re.compile(r"\s*>")
_DOCTYPE = re.compile(r"""\s*<!DOCTYPE(?:"[^"]*"|'[^']*'|[^>"'])*>""", re.IGNORECASE)
_START_TAG = re.compile(r"\s*<([A-Za-z][\w:.-]*)")
_DTD_TOKEN = re.compile(r""""[^"]*"|'[^']*'|<!--.*?-->|[\[\]>]""", re.DOTALL)
_ENTRY_END = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_CHANNEL_END = re.compile(r"</(?:[\w.-]+:)?(?:channel|feed)\s*>")
# Character references that could name a surrogate (U+D800 to U+DFFF: 55296 to 57343).
_SURROGATE_REFERENCE = re.compile(r"&#(?:0*(5[5-7]\d{3})|[xX]0*([dD][89a-fA-F][0-9a-fA-F]{2}));")


def parse_feed(
    feed_id: str, content: bytes, url: str, content_type: str = "", *, now: datetime | None = None
) -> ParsedFeed:
    """Parse ``content`` fetched from ``url``; raise FeedParseError if it is not a feed."""
    now = now or datetime.now(UTC)
    decoded = decode_feed(content, content_type)
    if not decoded.strip():
        raise FeedParseError("an empty document, not a feed")
    if looks_like_json(decoded, content_type):
        return parse_json_feed(feed_id, decoded, url, now)
    text = _without_entities(decoded)
    if _root(text).lower() == "html":  # feedparser's fallback parser takes seconds per MB
        raise _html_page(text, url)
    prepared, shift = _utf8_xml(_SURROGATE_REFERENCE.sub(_replacement, _trimmed(text)))
    doc = _feedparser(prepared)
    if not doc.get("version") and not doc.entries:
        raise _not_a_feed(text, url, doc, shift)
    problem = doc.get("bozo_exception")
    if not doc.entries and isinstance(problem, SAXParseException) and not _closed(text):
        # feedparser's lenient reader saw <rss> in it, but nothing came of it: a feed
        # cut short or broken, which its owner can fix knowing where.
        raise FeedParseError(f"broken XML: {_where(problem, shift)}")
    kept = newest([(_raw(raw), _published(raw, now)) for raw in doc.entries], now)
    link = site_link(doc.feed.get("link") or "", url)
    entries = build_entries(feed_id, kept, url, link)
    return ParsedFeed(clean(_text(doc.feed, "title")), entries, _ttl(doc.feed), link)


def _replacement(reference: re.Match[str]) -> str:
    """U+FFFD for a reference to a lone surrogate, which feedparser fails on; else as is."""
    decimal, hexadecimal = reference.groups()
    value = int(decimal) if decimal else int(hexadecimal, 16)
    return "&#xFFFD;" if 0xD800 <= value <= 0xDFFF else reference.group()


def _feedparser(prepared: bytes) -> Any:
    # No response headers: the bytes carry their encoding, HTML pages are caught before
    # feedparser, and entry links are resolved against the feed's address once each in
    # build_entries. Given a content-location, feedparser resolves every link of every element
    # itself, which made parsing 1.8 times slower.
    try:
        return feedparser.parse(prepared, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser should not raise, but a feed must never crash us
        raise FeedParseError(f"unreadable feed: {exc}") from exc


def _utf8_xml(text: str) -> tuple[bytes, int]:
    """``text`` as UTF-8 under a UTF-8 declaration, and how far that moved line 1 right.

    The declaration takes the place of the old one, on the same line, so that a parser's
    line numbers are the document's as served.
    """
    old = _XML_DECL.match(text)
    if old is None:
        return (_UTF8_DECL + text).encode("utf-8", "replace"), len(_UTF8_DECL)
    # Blank lines before a declaration are an error that feeds make; they are dropped,
    # their line breaks kept.
    body = "\n" * old.group().count("\n") + text[old.end() :]
    shift = len(_UTF8_DECL) - len(old.group().rsplit("\n", 1)[-1])
    return (_UTF8_DECL + body).encode("utf-8", "replace"), shift


def _without_entities(text: str) -> str:
    """``text`` with no entity declared in its prolog.

    Every DOCTYPE there is cut down to its name and external identifier (external DTDs
    are never loaded; feedparser still tells RSS 0.91 by the identifier), and any other
    markup declaration is dropped. Every DOCTYPE, not just the first: feedparser deletes
    some before expat reads the first one left, and turns stray ``<!ENTITY>`` lines into
    a new one. A malformed declaration ends the document. What is cut leaves its line
    breaks, so that lines keep their numbers.
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
        kept.append("\n" * _lines_cut(text, declared, rest))
        position = rest[1]


def _lines_cut(text: str, declared: re.Match[str], rest: tuple[str, int]) -> int:
    kept = (declared.group() + rest[0]) if declared.group(1) else ""
    return text.count("\n", declared.start(), rest[1]) - kept.count("\n")


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


def _root(text: str) -> str:
    """The name of the first element, past the prolog ('' if none)."""
    position = 0
    while item := _PROLOG_MISC.match(text, position) or _DOCTYPE.match(text, position):
        position = item.end()
    found = _START_TAG.match(text, position)
    return found[1] if found else ""


def _not_a_feed(text: str, url: str, doc: Any, shift: int) -> FeedParseError:
    """What the document is, said so that its owner can tell what is wrong."""
    head = text[:2048].lower()
    if "<html" in head or "<!doctype html" in head:
        return _html_page(text, url)
    if not text.lstrip().startswith("<"):
        return FeedParseError("plain text, not a feed")
    problem = doc.get("bozo_exception")
    if isinstance(problem, SAXParseException):
        return FeedParseError(f"broken XML, not a feed: {_where(problem, shift)}")
    if root := _root(text):
        expected = "<rss>, <feed> or <rdf:RDF>"
        return FeedParseError(f"XML, not a feed: its root element is <{root}>, not {expected}")
    return FeedParseError(f"not a feed: {problem}" if problem else "not a feed")


def _closed(text: str) -> bool:
    """Whether the channel (Atom: the feed) ends: a break after that lost no entry."""
    return _CHANNEL_END.search(text) is not None


def _where(problem: SAXParseException, shift: int) -> str:
    """The parser's message and its line and column in the document as served."""
    line, column = problem.getLineNumber() or 0, (problem.getColumnNumber() or 0) + 1
    column -= shift if line == 1 else 0
    return f"{problem.getMessage()} at line {line}, column {column}"


def _html_page(text: str, url: str) -> NotAFeed:
    alternates = tuple(feed_links(text[:SCAN_BYTES].encode("utf-8", "replace"), url))
    return NotAFeed(not_a_feed_message(alternates), alternates)


def _raw(raw: Any) -> RawEntry:
    return RawEntry(
        guid=raw.get("id"),
        link=raw.get("link") or "",
        title=_text(raw, "title"),
        summary=_text(raw, "summary"),
        content=_content(raw),
        author=" ".join(str(raw.get("author") or "").split()),
    )


def _text(node: Any, name: str) -> str:
    """A text construct as plain text: markup stripped unless the feed says it is plain."""
    value = node.get(name) or ""
    detail = node.get(f"{name}_detail") or _copied_from(node, value)
    if detail.get("type") == _PLAIN:
        return " ".join(value.split())
    return html_to_text(value)


def _copied_from(node: Any, value: str) -> Any:
    """feedparser fills a missing summary with the content's value, but not its type."""
    return next((p for p in node.get("content") or [] if p.get("value") == value), {})


def _content(raw: Any) -> str:
    parts = raw.get("content") or []
    texts = [
        p.get("value", "") if p.get("type") == _PLAIN else html_to_text(p.get("value", ""))
        for p in parts
    ]
    return " ".join(t for t in texts if t)


def _published(raw: Any, now: datetime) -> datetime | None:
    """The entry's date as aware UTC; one too far in the future is clamped to ``now``."""
    return clamped(_date(raw), now)


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
