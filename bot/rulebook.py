"""Watchlists and personal rules compiled into one matcher, recompiled only on change."""

from __future__ import annotations

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
    """Callable ``Audience -> Rules``; the pipeline asks it before matching each batch."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._base = [
            RuleSet(watchlist_key(w.name), w.match, w.exclude, w.feeds) for w in watchlists
        ]
        self._titles = {w.name: w.title for w in watchlists}
        self._compiled_for: tuple[ChatRule, ...] | None = None
        self._rules = Rules(Matcher(self._base), self._titles)

    def __call__(self, audience: Audience) -> Rules:
        if audience.rules != self._compiled_for:
            personal = [RuleSet(rule_key(r.id), (r.query,)) for r in audience.rules if _valid(r)]
            self._rules = Rules(Matcher([*self._base, *personal]), self._titles)
            self._compiled_for = audience.rules
        return self._rules


def _valid(rule: ChatRule) -> bool:
    try:
        parse_query(rule.query)
    except QueryError as exc:
        log.warning("personal rule %s of chat %s skipped: %s", rule.id, rule.chat_id, exc)
        return False
    return True
