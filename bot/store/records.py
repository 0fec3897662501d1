"""What the store hands back: plain frozen records, no SQLAlchemy rows escape it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.messages import Message
from bot.models import FeedStatus


@dataclass(frozen=True)
class FeedState:
    id: str
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    initialized: bool
    status: FeedStatus
    next_poll_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    failing_since: datetime | None = None
    health_notice_at: datetime | None = None
    ttl: float | None = None  # seconds the feed's <ttl> allows caching (None: it gave none)
    # The feeds advertised by the HTML page the last poll found in place of a feed
    # (empty after any other outcome): which address to configure instead.
    advertised: tuple[str, ...] = ()


class Keep(enum.Enum):
    """The value of a :class:`FeedUpdate` field that leaves the stored value as it is."""

    STORED = "stored"


KEEP: Final = Keep.STORED


@dataclass(frozen=True)
class FeedUpdate:
    """What one poll changes about a feed.

    None leaves a field as it was, except for ``ttl``, where None is a value: a full
    response without ``<ttl>`` says the feed has none now, while a failure or a 304
    says nothing about it (``KEEP``). ``advertised`` is written by every poll, so any
    outcome but an HTML page that advertises feeds clears it.
    """

    attempted_at: datetime
    next_poll_at: datetime | None
    ok: bool
    error: str | None = None
    url: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    ttl: float | Keep | None = KEEP  # seconds, from a full response's <ttl> (None: none)
    gone: bool = False
    advertised: tuple[str, ...] = ()  # feeds advertised by an HTML page found instead


@dataclass(frozen=True)
class ChatRule:
    id: int
    chat_id: int
    query: str


@dataclass(frozen=True)
class Audience:
    """Who listens: active chats per watchlist, and every active chat's personal rules."""

    subscribers: dict[str, frozenset[int]]
    rules: tuple[ChatRule, ...]


@dataclass(frozen=True)
class ChatFilter:
    """Which chats' alerts one sender delivers: ``only`` this chat, all but ``skip``."""

    only: int | None = None
    skip: int | None = None


EVERY_CHAT = ChatFilter()


@dataclass(frozen=True)
class Chat:
    id: int
    type: str
    title: str | None
    language: str | None
    active: bool
    language_set: bool = False  # chosen with /lang: no longer follows who writes


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    message: Message
    attempts: int
    created_at: datetime
    title: str  # of an alert's entry, for summaries of held alerts ("" for others)
    link: str
    watchlists: tuple[str, ...] = ()  # an alert's: the names of the watchlists it matched
    thread_id: int | None = None  # the forum topic it goes to; None: the chat itself
    revision: int = 0  # how many times its payload changed (another outlet of its story)


@dataclass(frozen=True)
class EditRow:
    """A sent alert whose message is to be edited to show its latest ``revision``."""

    id: int
    chat_id: int
    message_id: int
    message: Message
    revision: int
    shown: int  # the revision its message shows
    sent_at: datetime | None


@dataclass(frozen=True)
class WindowEntry:
    """A stored entry, as story grouping reads it; ``id`` orders them."""

    id: int
    feed_id: str
    key: str
    story: str  # its normalized link (or its own id)
    same_as: str | None  # the story it repeats, told first by another outlet
    title: str
    link: str
    summary: str
    content: str
    seen_at: datetime


@dataclass(frozen=True)
class StoryOutlet:
    """One entry of a story, as ``newsbot stories`` lists it."""

    feed_id: str
    feed_title: str | None  # the title the feed gives itself, if known
    title: str
    link: str
    seen_at: datetime


@dataclass(frozen=True)
class StoredStory:
    """A story of the recent past: its name and its entries, the first first."""

    story: str
    outlets: tuple[StoryOutlet, ...]
