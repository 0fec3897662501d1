"""What every feed format is read into: :class:`ParsedFeed` and its entries.

Shared by the XML reader (:mod:`bot.feeds.parse`) and the JSON Feed reader
(:mod:`bot.feeds.jsonfeed`), so that both apply the same bounds: the
:data:`MAX_ENTRIES` newest entries of a document (an undated entry counts as published
now), in document order; a published time more than :data:`FUTURE_SLACK` ahead clamped
to now; every text cleaned of control characters (:func:`bot.feeds.text.clean`) and
read up to :data:`MAX_TITLE` (title) or :data:`MAX_TEXT` (summary, content) characters.

An entry's story is its normalized link, unless that link does not identify it: a link
that entries of the feed with different titles share (several items pointing at a home
page or a live page), or the feed's own site link. Such an entry's story is its own,
``feed:key``. Entries with one link and one title are one article, whatever their
guids (filed under two categories, or a guid that changes on every poll): they keep the
link as their story, so that a chat hears of the article once. :func:`own_stories`
applies the same rule against the entries a feed stored earlier.

An entry without a guid is known by its link (so that a title edit is no new entry),
unless that link does not identify it either: then it is known by its link and a hash
of its title (:func:`text_key`). Entries without a guid are different entries when
their texts differ; :func:`settle_keys` carries the rule across polls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urljoin

from bot.feeds.links import bounded, entry_key, guid_key, normalize_link
from bot.feeds.text import clean
from bot.models import Entry

MAX_ENTRIES = 1000  # per feed and poll: the newest
# An entry's texts are read this far: matching holds per-word data for the whole text,
# and no news item needs more (a long article is some 50,000 characters).
MAX_TITLE = 2_000
MAX_TEXT = 200_000
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


Stored = tuple[str, str, str, str]  # a stored entry's key, story, link and title


def own_stories(entries: Iterable[Entry], stored: Iterable[Stored]) -> list[Entry]:
    """``entries``, each with a story of its own if a stored entry of another key and
    another title has its link (see the module docstring).

    ``stored``: entries the same feed stored earlier with one of these stories or links.
    """
    holders: dict[str, list[tuple[str, str]]] = {}
    for key, story, link, title in stored:
        for name in {story, normalize_link(link)}:
            holders.setdefault(name, []).append((key, same_text(title)))
    return [
        replace(e, story=_own(e.feed_id, e.key))
        if any(k != e.key and t != same_text(e.title) for k, t in holders.get(e.story, ()))
        else e
        for e in entries
    ]


def same_text(text: str) -> str:
    """``text`` as compared between entries: spacing and case do not count."""
    return " ".join(text.split()).casefold()


def settle_keys(
    fresh: Sequence[Entry], stored: Iterable[Stored], titles: Mapping[str, str]
) -> list[Entry]:
    """``fresh`` keyed as across polls, less those that are stored entries under their link.

    ``fresh``: entries whose keys the feed has not stored; ``stored``: the feed's stored
    entries with their links; ``titles``: titles of stored entries
    by key. An entry without a guid known by its text is the stored entry known by its
    link alone if the titles agree (it had the link to itself then). One known by its
    link alone is known by its text if the feed stored other entries with its link.
    """
    keys: dict[str, set[str]] = {}
    for key, _, link, _ in stored:
        keys.setdefault(normalize_link(link), set()).add(key)
    settled = []
    for entry in fresh:
        if not _without_guid(entry):
            settled.append(entry)
            continue
        by_link, by_text = _link_key(entry), text_key(entry)
        if entry.key == by_text and titles.get(by_link) == entry.title:
            continue  # seen before under its link key
        if entry.key == by_link and keys.get(normalize_link(entry.link), set()) - {by_link}:
            entry = replace(entry, key=by_text, story=_own(entry.feed_id, by_text))
        settled.append(entry)
    return settled


def text_key(entry: Entry) -> str:
    """The key of an entry without a guid whose link is not its own: link and title hash."""
    text = " ".join((entry.title or entry.content or entry.summary).split())
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return bounded(f"{normalize_link(entry.link)}#text:{digest}")


def _link_key(entry: Entry) -> str:
    return bounded(normalize_link(entry.link))


def _without_guid(entry: Entry) -> bool:
    """Whether ``entry`` is keyed by its link (a guid equal to it counts as none)."""
    return bool(entry.link) and entry.key in (_link_key(entry), text_key(entry))


def _shared_links(links: Sequence[tuple[RawEntry, str]]) -> set[str]:
    """Normalized links that entries with different texts have."""
    texts: dict[str, set[str]] = {}
    for raw, link in links:
        if link:
            text = same_text(clean(raw.title or raw.content or raw.summary))
            texts.setdefault(normalize_link(link), set()).add(text)
    return {link for link, found in texts.items() if len(found) > 1}


def _entry(
    feed_id: str, raw: RawEntry, link: str, published: datetime | None, shared: bool
) -> Entry:
    title = clean(raw.title[:MAX_TITLE])
    summary, content = clean(raw.summary[:MAX_TEXT]), clean(raw.content[:MAX_TEXT])
    key = entry_key(raw.guid, link, title, content or summary)
    if shared and link and not guid_key(raw.guid):
        key = text_key(Entry(feed_id, key, title, link, "", summary, content))
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
    return _joined(base_url, clean(link)) if link.strip() else ""


def site_link(link: str, base_url: str) -> str:
    """The feed's home page as an absolute address ('' if it gives none or a broken one)."""
    return _joined(base_url, clean(link).strip()) if link and link.strip() else ""


def _joined(base_url: str, link: str) -> str:
    """``link`` made absolute; '' for one too broken to read (``http://[oops/``)."""
    try:
        return urljoin(base_url, link)
    except ValueError:
        return ""


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
