"""Plain frozen records that flow through newsbot: feed bytes -> Entry -> Hit -> Alert.

Beside them, the closed sets of values that several parts compare: the keys of rule sets
and the statuses of feeds and polls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

FIELDS = ("title", "summary", "content", "link")

FeedStatus: TypeAlias = Literal["active", "gone"]  # gone: it answered 410, polling stopped
PollStatus: TypeAlias = Literal["ok", "not_modified", "error", "skipped"]  # of one poll
OutboxStatus: TypeAlias = Literal["pending", "sent", "failed", "held", "summarised"]


@dataclass(frozen=True)
class Entry:
    """One feed entry, its texts already plain (HTML stripped, entities decoded)."""

    feed_id: str
    key: str  # identity within the feed: guid, else link, else a hash of title and content
    title: str
    link: str  # as published (absolute)
    story: str  # the normalized link (or the key when there is none): one alert per story
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    author: str = ""  # as the feed names it, if it does
    # the story it repeats, told first by another entry (that entry's ``story``); None:
    # its own ``story`` (see bot.polling.stories)
    same_as: str | None = None

    @property
    def told(self) -> str:
        """The story it tells: one alert per story per chat."""
        return self.same_as or self.story

    def field(self, name: str) -> str:
        """The plain text of one matchable field (``title``, ``summary``, ``content``, ``link``)."""
        return str(getattr(self, name))


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of an entry's ``field`` that a rule matched."""

    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class WatchlistKey:
    """The rule set of the watchlist ``name``."""

    name: str

    def __str__(self) -> str:
        return f"watchlist {self.name}"


@dataclass(frozen=True, slots=True)
class RuleKey:
    """The rule set of the personal rule stored as ``rule_id`` (one chat's ``/watch``)."""

    rule_id: int

    def __str__(self) -> str:
        return f"personal rule {self.rule_id}"


# Which rule set matched, as the matcher reports it; str() names it for people.
RuleSetKey: TypeAlias = WatchlistKey | RuleKey


@dataclass(frozen=True)
class Hit:
    """A rule set (a watchlist or a chat's personal rule) that matched an entry."""

    key: RuleSetKey
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A decision to tell ``chat_id`` about ``entry``; becomes one outbox row."""

    chat_id: int
    entry: Entry
    reasons: tuple[str, ...]  # watchlist titles and personal rules that matched
    spans: tuple[Span, ...] = field(default=())
    watchlists: tuple[str, ...] = ()  # the names of the watchlists among the reasons
    rules: tuple[int, ...] = ()  # the ids of the personal rules among the reasons
