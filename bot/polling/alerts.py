"""Turn matches into alerts: pure, no I/O.

An alert is one message per entry per chat, however many watchlists and personal rules
of that chat matched: their reasons are listed together and their spans merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.models import Alert, Entry, Hit, RuleKey, RuleSetKey, Span, WatchlistKey
from bot.store.records import Audience


@dataclass
class _Pending:
    reasons: list[str]
    spans: set[Span]
    watchlists: list[str]
    rules: list[int]


class Listeners:
    """Who hears of a rule set's match, indexed once for a batch of entries."""

    def __init__(self, audience: Audience, titles: Mapping[str, str]) -> None:
        self._subscribers = audience.subscribers
        self._titles = titles
        self._rules = {r.id: (r.chat_id, r.query) for r in audience.rules}

    def of(self, key: RuleSetKey) -> list[tuple[int, str]]:
        """(chat, reason) for every chat listening to rule set ``key``."""
        match key:
            case WatchlistKey(name=name):
                title = self._titles.get(name, name)
                return [(chat, title) for chat in self._subscribers.get(name, ())]
            case RuleKey(rule_id=rule_id) if rule_id in self._rules:
                chat_id, query = self._rules[rule_id]
                return [(chat_id, f"“{query}”")]
        return []  # a personal rule this audience does not have

    def reason_names(self, key: RuleSetKey) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The watchlist name or the personal rule id ``key`` stands for."""
        match key:
            case WatchlistKey(name=name):
                return (name,), ()
            case RuleKey(rule_id=rule_id):
                return (), (rule_id,)
        return (), ()


def decide(entry: Entry, hits: Sequence[Hit], listeners: Listeners) -> list[Alert]:
    """The alerts for one entry: which chats hear of it, and why."""
    by_chat: dict[int, _Pending] = {}
    for hit in hits:
        names, rule_ids = listeners.reason_names(hit.key)
        for chat_id, reason in listeners.of(hit.key):
            pending = by_chat.setdefault(chat_id, _Pending([], set(), [], []))
            if reason not in pending.reasons:
                pending.reasons.append(reason)
            pending.spans.update(hit.spans)
            pending.watchlists += [n for n in names if n not in pending.watchlists]
            pending.rules += [r for r in rule_ids if r not in pending.rules]
    return [
        Alert(
            chat_id,
            entry,
            tuple(p.reasons),
            _ordered(p.spans),
            tuple(p.watchlists),
            tuple(p.rules),
        )
        for chat_id, p in sorted(by_chat.items())
    ]


def _ordered(spans: set[Span]) -> tuple[Span, ...]:
    """Spans by position, overlapping ones merged."""
    order = {"title": 0, "summary": 1, "content": 2, "link": 3}
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (order.get(s.field, 9), s.start, s.end)):
        last = merged[-1] if merged else None
        if last and last.field == span.field and span.start <= last.end:
            merged[-1] = Span(last.field, last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return tuple(merged)
