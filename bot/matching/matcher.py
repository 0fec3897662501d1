"""Rule sets compiled once and applied to each entry: the matcher's public face.

A rule set (a watchlist, or one chat's personal rule) matches an entry when the entry's
feed is allowed, at least one of its ``match`` queries matches and none of its
``exclude`` queries does. The matcher is pure: entries in, hits out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import QueryError
from bot.matching.compiled import Document, matches, merge_spans, positive_spans
from bot.matching.parser import parse_query
from bot.matching.query import Query
from bot.models import Entry, Hit


@dataclass(frozen=True)
class RuleSet:
    """Queries under one key, e.g. ``wl:kz-nuclear`` or ``rule:42``."""

    key: str
    match: tuple[str, ...]  # the rule set matches when any of these queries matches...
    exclude: tuple[str, ...] = ()  # ...and none of these does
    feeds: frozenset[str] | None = None  # only entries from these feed ids (None: all)


@dataclass(frozen=True, slots=True)
class _Compiled:
    key: str
    match: tuple[Query, ...]
    exclude: tuple[Query, ...]
    feeds: frozenset[str] | None


class Matcher:
    """Matches entries against rule sets parsed once, at construction."""

    def __init__(self, rulesets: Iterable[RuleSet]) -> None:
        """Parse every query; raises ``QueryError`` (prefixed with the key) on a bad one.

        Raises ``ValueError`` if two rule sets share a key.
        """
        self._rules = tuple(_compile(ruleset) for ruleset in rulesets)
        self._keys = frozenset(rule.key for rule in self._rules)
        if len(self._keys) != len(self._rules):
            raise ValueError("rule set keys must be unique")

    @property
    def keys(self) -> frozenset[str]:
        """The keys of all rule sets."""
        return self._keys

    def match(self, entry: Entry) -> list[Hit]:
        """One hit per matching rule set, in the order the rule sets were given.

        A hit's spans cover every occurrence of the positive terms of the rule set's
        matching queries, in original field offsets, sorted and non-overlapping.
        """
        document = Document(entry)
        hits = (_hit(rule, document) for rule in self._rules)
        return [hit for hit in hits if hit is not None]


def _compile(ruleset: RuleSet) -> _Compiled:
    """The rule set with its queries parsed."""
    try:
        match = tuple(parse_query(text) for text in ruleset.match)
        exclude = tuple(parse_query(text) for text in ruleset.exclude)
    except QueryError as exc:
        raise QueryError(f"{ruleset.key}: {exc.message}", exc.query, exc.position) from exc
    return _Compiled(ruleset.key, match, exclude, ruleset.feeds)


def _hit(rule: _Compiled, document: Document) -> Hit | None:
    """The rule set's hit on the document, or None if it does not match."""
    if rule.feeds is not None and document.entry.feed_id not in rule.feeds:
        return None
    matched = [query for query in rule.match if matches(query.root, document)]
    if not matched or any(matches(query.root, document) for query in rule.exclude):
        return None
    spans = (span for query in matched for span in positive_spans(query.root, document))
    return Hit(rule.key, merge_spans(spans))
