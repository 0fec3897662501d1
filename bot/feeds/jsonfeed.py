"""Read a JSON Feed (1.0 and 1.1, https://jsonfeed.org) into a :class:`ParsedFeed`.

A document is taken for JSON when it starts with ``{`` or ``[``, or when its media type
says so (``application/feed+json``, ``application/json``) and it does not start with
markup (an RSS feed served as JSON is still RSS); it is a JSON Feed when it is an object
whose ``version`` starts with ``https://jsonfeed.org/version/``.

Fields read, per item: ``id``; ``url``, else ``external_url``; ``title``;
``content_html`` (HTML, stripped), else ``content_text``; ``summary``;
``date_published``, else ``date_modified``; ``authors`` (1.1), else ``author`` (1.0).
Per feed: ``title`` and ``home_page_url``. Items that are not objects are skipped, and
fields of the wrong type are taken as absent.

Bounds as for XML feeds (:mod:`bot.feeds.entries`), and nesting: ``json.loads`` on
deeply nested input raises RecursionError, which is a parse error like any other.
Numbers: an integer longer than :data:`MAX_INT_DIGITS` digits is read as a float
(infinite), not converted: Python refuses to convert one of 4,300 digits, and a long
number in a field newsbot ignores must not reject the feed; as an ``id`` it is no id.
Pure; raises :class:`~bot.errors.FeedParseError`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.errors import FeedParseError
from bot.feeds.entries import (
    ParsedFeed,
    RawEntry,
    build_entries,
    clamped,
    ends,
    newest,
    site_link,
)
from bot.feeds.text import clean
from bot.matching import html_to_text

VERSION_PREFIX = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
MAX_INT_DIGITS = 1000  # below Python's own limit of 4,300; ids are far shorter
_JSON_TYPE = re.compile(r"^\s*application/(?:[\w.+-]*\+)?json\b", re.IGNORECASE)


def looks_like_json(text: str, content_type: str) -> bool:
    """``text`` starts like a JSON object or array, or is served as JSON and is not markup."""
    first = text.lstrip()[:1]
    return first in ("{", "[") or (bool(_JSON_TYPE.match(content_type)) and first != "<")


def parse_json_feed(feed_id: str, text: str, url: str, now: datetime) -> ParsedFeed:
    """The feed in ``text``; FeedParseError saying why when it is not a JSON Feed."""
    doc = _loads(text)
    if not isinstance(doc, dict) or not _string(doc.get("version")).startswith(VERSION_PREFIX):
        raise FeedParseError("JSON, not a feed: it has no JSON Feed version")
    items = doc.get("items")
    raws = [i for i in ends(items) if isinstance(i, dict)] if isinstance(items, list) else []
    dated = newest([(_raw(raw), clamped(_date(raw), now)) for raw in raws], now)
    site = site_link(_string(doc.get("home_page_url")), url)
    title = " ".join(clean(_string(doc.get("title"))).split())
    return ParsedFeed(title, build_entries(feed_id, dated, url, site), link=site)


def _number(digits: str) -> int | float:
    """An integer, unless it is too long to be one that matters: then a float (maybe inf).

    Python refuses to convert an integer of over 4,300 digits; no field newsbot reads
    holds one, so such a number, wherever it is, must not reject the feed.
    """
    return int(digits) if len(digits) <= MAX_INT_DIGITS else float(digits)


def _loads(text: str) -> Any:
    try:
        return json.loads(text, parse_int=_number)
    except json.JSONDecodeError as exc:
        raise FeedParseError(
            f"broken JSON, not a feed: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise FeedParseError("unreadable JSON, not a feed: nested too deeply") from None


def _raw(item: dict[str, Any]) -> RawEntry:
    guid = item.get("id")
    html = _string(item.get("content_html"))
    content = html_to_text(html) if html else _string(item.get("content_text"))
    return RawEntry(
        guid=str(guid) if isinstance(guid, (str, int)) and not isinstance(guid, bool) else None,
        link=_string(item.get("url")) or _string(item.get("external_url")),
        title=" ".join(_string(item.get("title")).split()),
        summary=_string(item.get("summary")),
        content=content,
        author=_author(item),
    )


def _author(item: dict[str, Any]) -> str:
    authors = item.get("authors")
    people = authors if isinstance(authors, list) else [item.get("author")]
    names = [_string(p.get("name")) for p in people if isinstance(p, dict)]
    return ", ".join(n for n in names if n)


def _date(item: dict[str, Any]) -> datetime | None:
    for name in ("date_published", "date_modified"):
        value = _string(item.get(name)).strip()
        if not value:
            continue
        try:
            when = datetime.fromisoformat(value)
        except ValueError:  # not RFC 3339
            continue
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return None


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
