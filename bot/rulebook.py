"""Watchlists and personal rules compiled into one matcher, recompiled only on change.

Compiling runs in a worker thread, so a large recompile after a ``/watch`` never
stalls delivery or the bot; the new matcher is swapped in whole when it is ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.config import Watchlist
from bot.decide import rule_key, watchlist_key
from bot.errors import QueryError
from bot.matching import Matcher, RuleSet, parse_query
from bot.pipeline import Rules
from bot.store.records import Audience, ChatRule

log = logging.getLogger(__name__)


class RuleBook:
    """Awaitable ``Audience -> Rules``; the pipeline asks it before matching each batch."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._base = _rulesets(watchlists)
        self._titles = {w.name: w.title for w in watchlists}
        self.watchlists = Rules(Matcher(self._base), self._titles)
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
            alone = await asyncio.to_thread(Matcher, base)
            matcher = await asyncio.to_thread(self._compile, base, self._compiled_for)
            self._base, self._titles = base, titles
            self.watchlists = Rules(alone, titles)
            self._rules = Rules(matcher, titles)

    @staticmethod
    def _compile(base: list[RuleSet], rules: tuple[ChatRule, ...]) -> Matcher:
        personal = [RuleSet(rule_key(r.id), (r.query,)) for r in rules if _valid(r)]
        return Matcher([*base, *personal])


def _rulesets(watchlists: Sequence[Watchlist]) -> list[RuleSet]:
    return [RuleSet(watchlist_key(w.name), w.match, w.exclude, w.feeds) for w in watchlists]


def _valid(rule: ChatRule) -> bool:
    try:
        parse_query(rule.query)
    except QueryError as exc:
        log.warning("personal rule %s of chat %s skipped: %s", rule.id, rule.chat_id, exc)
        return False
    return True
