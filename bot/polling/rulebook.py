"""Watchlists and personal rules compiled into one matcher, recompiled only on change.

Compiling runs in a worker thread, so a large recompile after a ``/watch`` never
stalls delivery or the bot; the new matcher is swapped in whole when it is ready.

A rule set skipped on an entry for going over its matching budget is logged as a
warning naming the rule set ("watchlist kz-nuclear", "personal rule 12") and the entry,
at most once per rule set per ``SKIP_LOG_PERIOD`` (the next report counts the skips in
between), so one bad rule cannot flood the log.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config import Watchlist
from bot.errors import QueryError
from bot.matching import Budget, Matcher, RuleSet, as_stored, parse_query
from bot.models import Entry, RuleKey, RuleSetKey, WatchlistKey
from bot.store.records import Audience, ChatRule

log = logging.getLogger(__name__)
SKIP_LOG_PERIOD = 600.0  # seconds between two reports of one rule set's skips


class SkipLog:
    """Logs rule sets skipped over budget, at most once per rule set per ``period``.

    Matching runs in worker threads, so the counts are kept under a lock.
    """

    def __init__(
        self, period: float = SKIP_LOG_PERIOD, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[RuleSetKey, float] = {}  # when each rule set was last reported
        self._unreported: dict[RuleSetKey, int] = {}  # skips since then

    def __call__(self, entry: Entry, key: RuleSetKey, seconds: float) -> None:
        """Note that ``key`` was skipped on ``entry`` after ``seconds``; log it if due."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._period:
                self._unreported[key] = self._unreported.get(key, 0) + 1
                return
            self._last[key] = now
            since = self._unreported.pop(key, 0)
        log.warning(
            "%s skipped on entry %r of feed %s (%s): matching it took over its "
            "budget of %.2f s; %d more skips since the last report",
            key,
            entry.key,
            entry.feed_id or "-",
            entry.link or "no link",
            seconds,
            since,
        )


@dataclass(frozen=True)
class Rules:
    """The compiled matcher and what decide() needs to know about watchlists."""

    matcher: Matcher
    titles: dict[str, str]


class RuleBook:
    """Awaitable ``Audience -> Rules``; the pipeline asks it before matching each batch."""

    def __init__(
        self,
        watchlists: Sequence[Watchlist],
        budget: Budget | None = None,
        skips: SkipLog | None = None,
    ) -> None:
        self._budget = budget or Budget()
        self._skips = skips or SkipLog()
        self._base = _rulesets(watchlists)
        self._titles = {w.name: w.title for w in watchlists}
        self.watchlists = Rules(self._matcher(self._base), self._titles)
        self._rules = self.watchlists
        self._compiled_for: tuple[ChatRule, ...] = ()
        self._lock = asyncio.Lock()

    @property
    def names(self) -> list[str]:
        """The watchlists in force, by name."""
        return list(self._titles)

    async def __call__(self, audience: Audience) -> Rules:
        async with self._lock:
            if audience.rules != self._compiled_for:
                matcher = await asyncio.to_thread(self._compile, self._base, audience.rules)
                self._rules = Rules(matcher, self._titles)
                self._compiled_for = audience.rules
        return self._rules

    async def replace_watchlists(self, watchlists: Sequence[Watchlist]) -> None:
        """Swap in edited watchlists, compiled in a worker thread, personal rules kept."""
        base = _rulesets(watchlists)
        titles = {w.name: w.title for w in watchlists}
        async with self._lock:
            alone = await asyncio.to_thread(self._matcher, base)
            matcher = await asyncio.to_thread(self._compile, base, self._compiled_for)
            self._base, self._titles = base, titles
            self.watchlists = Rules(alone, titles)
            self._rules = Rules(matcher, titles)

    def _compile(self, base: list[RuleSet], rules: tuple[ChatRule, ...]) -> Matcher:
        stored = [(r, as_stored(r.query)) for r in rules]
        personal = [RuleSet(RuleKey(r.id), (query,)) for r, query in stored if _valid(r, query)]
        return self._matcher([*base, *personal])

    def _matcher(self, rulesets: list[RuleSet]) -> Matcher:
        return Matcher(rulesets, self._budget, self._skips)


def _rulesets(watchlists: Sequence[Watchlist]) -> list[RuleSet]:
    return [
        RuleSet(WatchlistKey(w.name), w.match, w.exclude, w.feeds, w.variants) for w in watchlists
    ]


def _valid(rule: ChatRule, query: str) -> bool:
    try:
        parse_query(query)
    except QueryError as exc:
        log.warning("personal rule %s of chat %s skipped: %s", rule.id, rule.chat_id, exc)
        return False
    return True
