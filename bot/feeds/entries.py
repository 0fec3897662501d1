"""What every feed format is read into: :class:`ParsedFeed` and its entries.

Shared by the XML reader (:mod:`bot.feeds.parse`) and the JSON Feed reader
(:mod:`bot.feeds.jsonfeed`), so that both apply the same bounds: the
:data:`MAX_ENTRIES` newest entries of a document (an undated entry counts as published
now), in document order; a published time more than :data:`FUTURE_SLACK` ahead clamped
to now; every text cleaned of control characters (:func:`bot.feeds.text.clean`).

An entry's story is its normalized link, unless that link does not identify it: a link
that different entries of the feed share (several items pointing at a home page or a
live page), or the feed's own site link. Such an entry's story is its own,
``feed:key``. Entries without a guid are told apart by their link, so two of them with
one link are one entry (an update of it), not two sharing a link. :func:`own_stories`
applies the same rule against the entries a feed stored earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
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


def build_entries(
    feed_id: str, dated: Sequence[tuple[RawEntry, datetime | None]], base_url: str, site: str
) -> tuple[Entry, ...]:
    """The entries of one document; ``site``: the feed's own (absolute) site link."""
    links = [_absolute(raw.link, base_url) for raw, _ in dated]
    shared = _shared_links([(raw, link) for (raw, _), link in zip(dated, links, strict=True)])
    if site:
        shared.add(normalize_link(site))
    return tuple(
        _entry(feed_id, raw, link, published, normalize_link(link) in shared)
        for (raw, published), link in zip(dated, links, strict=True)
    )


def own_stories(entries: Iterable[Entry], stored: Iterable[tuple[str, str, str]]) -> list[Entry]:
    """``entries``, each with a story of its own if a stored entry of another key has its link.

    ``stored``: (key, story, link) of entries the same feed stored earlier.
    """
    holders: dict[str, set[str]] = {}
    for key, story, link in stored:
        for name in {story, normalize_link(link)}:
            holders.setdefault(name, set()).add(key)
    return [
        replace(e, story=_own(e.feed_id, e.key))
        if e.story in holders and holders[e.story] - {e.key}
        else e
        for e in entries
    ]


def _shared_links(links: Sequence[tuple[RawEntry, str]]) -> set[str]:
    """Normalized links that entries of different keys have."""
    keys: dict[str, set[str]] = {}
    for raw, link in links:
        if link:
            normal = normalize_link(link)
            keys.setdefault(normal, set()).add((raw.guid or "").strip() or normal)
    return {link for link, found in keys.items() if len(found) > 1}


def _entry(
    feed_id: str, raw: RawEntry, link: str, published: datetime | None, shared: bool
) -> Entry:
    title, summary, content = clean(raw.title), clean(raw.summary), clean(raw.content)
    key = entry_key(raw.guid, link, title, content or summary)
    story = _own(feed_id, key) if shared or not link else bounded(normalize_link(link))
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


def _own(feed_id: str, key: str) -> str:
    return bounded(f"{feed_id}:{key}")


def _absolute(link: str, base_url: str) -> str:
    return urljoin(base_url, clean(link)) if link.strip() else ""


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
