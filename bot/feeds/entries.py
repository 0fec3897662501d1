"""What every feed format is read into: :class:`ParsedFeed` and its entries.

Shared by the XML reader (:mod:`bot.feeds.parse`) and the JSON Feed reader
(:mod:`bot.feeds.jsonfeed`), so that both apply the same bounds: the
:data:`MAX_ENTRIES` newest entries of a document (an undated entry counts as published
now), in document order; a published time more than :data:`FUTURE_SLACK` ahead clamped
to now; every text cleaned of control characters (:func:`bot.feeds.text.clean`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urljoin

from bot.feeds.links import bounded, entry_key, normalize_link
from bot.feeds.text import clean
from bot.models import Entry

MAX_ENTRIES = 1000  # per feed and poll: the newest
FUTURE_SLACK = timedelta(days=1)  # time zone slips are kept; further ahead is a broken clock
T = TypeVar("T")


@dataclass(frozen=True)
class ParsedFeed:
    """The feed's own title and its entries, in document order."""

    title: str
    entries: tuple[Entry, ...]
    ttl: float | None = None  # RSS <ttl>: minutes the feed may be cached, as seconds
    link: str = ""  # the site the feed belongs to (its home page), absolute


@dataclass(frozen=True)
class RawEntry:
    """One entry's fields as a format gives them; texts already plain."""

    guid: str | None
    link: str  # as written: relative links resolve against the feed's address
    title: str
    summary: str = ""
    content: str = ""
    author: str = ""


def build_entry(feed_id: str, raw: RawEntry, base_url: str, published: datetime | None) -> Entry:
    """The :class:`Entry` of ``raw``: cleaned texts, absolute link, identity and story."""
    title, summary, content = clean(raw.title), clean(raw.summary), clean(raw.content)
    link = urljoin(base_url, clean(raw.link)) if raw.link.strip() else ""
    key = entry_key(raw.guid, link, title, content or summary)
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
        author=clean(raw.author),
    )


def site_link(link: str, base_url: str) -> str:
    """The feed's home page as an absolute address ('' if it gives none)."""
    return urljoin(base_url, clean(link).strip()) if link and link.strip() else ""


def ends(items: Sequence[T]) -> list[T]:
    """The first and the last MAX_ENTRIES items, wherever a feed puts its newest."""
    if len(items) <= 2 * MAX_ENTRIES:
        return list(items)
    return [*items[:MAX_ENTRIES], *items[-MAX_ENTRIES:]]


def newest(
    dated: list[tuple[T, datetime | None]], now: datetime
) -> list[tuple[T, datetime | None]]:
    """The MAX_ENTRIES newest (undated counts as now), in document order."""
    if len(dated) <= MAX_ENTRIES:
        return dated
    order = sorted(range(len(dated)), key=lambda i: dated[i][1] or now, reverse=True)
    return [dated[i] for i in sorted(order[:MAX_ENTRIES])]


def clamped(when: datetime | None, now: datetime) -> datetime | None:
    """``when``, or ``now`` if it is more than FUTURE_SLACK ahead."""
    return now if when is not None and when > now + FUTURE_SLACK else when
