"""Parse fetched feed bytes into plain :class:`~bot.models.Entry` objects.

feedparser only ever sees bytes (it never fetches), with its own HTML sanitizing and
relative-URI rewriting switched off: newsbot strips HTML itself and escapes every feed
text when it renders an alert. Call :func:`parse_feed` off the event loop.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.errors import FeedParseError
from bot.feeds.links import entry_key, normalize_link
from bot.matching import html_to_text
from bot.models import Entry

_PLAIN = "text/plain"


@dataclass(frozen=True)
class ParsedFeed:
    """The feed's own title and its entries, in document order."""

    title: str
    entries: tuple[Entry, ...]


def parse_feed(feed_id: str, content: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse ``content`` fetched from ``url``; raise FeedParseError if it is not a feed."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        doc = feedparser.parse(
            content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser should not raise, but a feed must never crash us
        raise FeedParseError(f"unreadable feed: {exc}") from exc
    if not doc.get("version") and not doc.entries:
        raise FeedParseError(_not_a_feed(content, doc))
    entries = tuple(_entry(feed_id, raw, url) for raw in doc.entries)
    return ParsedFeed(_text(doc.feed, "title"), entries)


def _not_a_feed(content: bytes, doc: Any) -> str:
    head = content[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "an HTML page, not a feed"
    problem = doc.get("bozo_exception")
    return f"not a feed: {problem}" if problem else "not a feed"


def _entry(feed_id: str, raw: Any, base_url: str) -> Entry:
    title = _text(raw, "title")
    summary = _text(raw, "summary")
    content = _content(raw)
    link = urljoin(base_url, raw.get("link") or "") if raw.get("link") else ""
    key = entry_key(raw.get("id"), link, title, content or summary)
    story = normalize_link(link) if link else f"{feed_id}:{key}"  # a guid is unique per feed only
    return Entry(
        feed_id=feed_id,
        key=key,
        title=title,
        link=link,
        story=story,
        summary=summary,
        content=content,
        published=_published(raw),
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


def _published(raw: Any) -> datetime | None:
    parsed = raw.get("published_parsed")
    if not parsed and "updated_parsed" in raw:  # reading it when absent warns
        parsed = raw["updated_parsed"]
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
