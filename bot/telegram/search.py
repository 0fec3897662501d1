"""Queries from chats: their checks, and a search of the stored entries that stays bounded.

/search and the /watch preview match a query against the entries stored in the last
``days`` days with the matcher the pipeline uses, so a search finds what the rule would
have alerted. Matching is CPU work, and any chat may ask, so a search is bounded:

* it reads the newest entries first, ``PAGE`` at a time (memory holds one page and the
  matches kept), and at most ``MAX_ENTRIES`` of them;
* each page is matched in a worker thread, never on the event loop; at most ``RUNNING``
  pages of all searches at once, so searches leave the other worker threads (where the
  pipeline matches new entries) free;
* it stops after ``TIME_BUDGET`` seconds from its start, waiting for a turn included;
* a search cut by either bound says so (``Found.partial``), with how many of the newest
  entries it did search.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from bot.delivery.render import one_line, printable
from bot.errors import QueryError
from bot.matching import (
    MAX_RULE_CHARS,
    MAX_RULE_TERMS,
    Matcher,
    Prefilter,
    RuleSet,
    parse_query,
)
from bot.models import Entry, RuleKey
from bot.store.base import utcnow
from bot.store.history import HistoryQueries, StoredEntry
from bot.telegram.texts import text

MAX_ENTRIES = 20_000
PAGE = 500
TIME_BUDGET = 2.0  # seconds
RUNNING = 2  # pages matched at once, over all searches
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Found:
    """What a search found: the total and the newest matches, and whether it was cut."""

    total: int
    newest: tuple[StoredEntry, ...]  # the newest matches, newest first
    searched: int  # how many of the newest entries were matched
    partial: bool  # cut by MAX_ENTRIES or the time budget: older entries were not searched


class Search:
    """Matches one query at a time against the entries of the last ``days`` days."""

    def __init__(
        self,
        store: HistoryQueries,
        days: int = DEFAULT_DAYS,
        *,
        most: int = MAX_ENTRIES,
        page: int = PAGE,
        budget: float = TIME_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.days = days
        self._store = store
        self._most = most
        self._page = page
        self._budget = budget
        self._clock = clock
        self._now = now
        self._turns = asyncio.Semaphore(RUNNING)

    def since(self) -> datetime:
        """The start of the period searched: ``days`` days ago."""
        return self._now() - timedelta(days=self.days)

    async def run(self, query: str, keep: int) -> Found:
        """Match ``query`` (already checked: see :func:`query_problem`) against the newest
        stored entries, newest first; keep the first ``keep`` matches, count them all."""
        deadline = self._clock() + self._budget
        since = self.since()
        async with self._turns:
            matcher = await asyncio.to_thread(_matcher, query)  # inflection tables: CPU too
        kept: list[StoredEntry] = []
        total = searched = 0
        last: StoredEntry | None = None
        while True:
            room = self._most - searched
            asked = min(self._page, room + 1)  # one past the cap tells whether there are more
            rows = await self._store.stored_entries(since, asked, last)
            cut = len(rows) > room
            rows = rows[:room]
            async with self._turns:
                matched, done = await asyncio.to_thread(
                    _match_page, matcher, rows, deadline, self._clock
                )
            total += len(matched)
            kept.extend(matched[: keep - len(kept)])
            searched += done
            if cut or done < len(rows) or len(rows) < asked:
                return Found(total, tuple(kept), searched, cut or done < len(rows))
            last = rows[-1]


@dataclass(frozen=True)
class _Compiled:
    """A query's matcher behind its prefilter, which turns away most entries for a
    fraction of what the matcher spends on them (``bot.matching.prefilter``)."""

    prefilter: Prefilter
    matcher: Matcher

    def matches(self, entry: Entry) -> bool:
        return self.prefilter.admits(entry) and bool(self.matcher.match(entry))


def _matcher(query: str) -> _Compiled:
    return _Compiled(Prefilter(parse_query(query)), Matcher([RuleSet(RuleKey(0), (query,))]))


def _match_page(
    matcher: _Compiled, rows: Sequence[StoredEntry], deadline: float, clock: Callable[[], float]
) -> tuple[list[StoredEntry], int]:
    """The rows that match, and how many rows were matched before ``deadline``; a row the
    prefilter rejects counts as matched, as it cannot match."""
    matched: list[StoredEntry] = []
    for done, row in enumerate(rows):
        if clock() >= deadline:
            return matched, done
        if matcher.matches(row.entry):
            matched.append(row)
    return matched, len(rows)


def query_problem(query: str, lang: str, too_long: str, too_many: str) -> str | None:
    """Why ``query`` cannot be used, as a reply, or None.

    The limits of a personal rule apply to every query a chat sends: ``too_long`` and
    ``too_many`` are the keys of the texts that say it is over them. A query that does
    not parse gets the error with a caret under its position.
    """
    if len(query) > MAX_RULE_CHARS:
        return text(too_long, lang).format(MAX_RULE_CHARS, len(query))
    try:
        parsed = parse_query(query)
    except QueryError as exc:
        shown = one_line(printable(query, "�"))  # one for one: the caret stays in place
        pointer = escape(shown) + "\n" + " " * exc.position + "^"
        return text("bad_query", lang).format(escape(str(exc)), pointer)
    if parsed.term_count > MAX_RULE_TERMS:
        return text(too_many, lang).format(MAX_RULE_TERMS, parsed.term_count)
    return None
