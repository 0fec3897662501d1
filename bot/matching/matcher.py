"""Rule sets compiled once and applied to each entry: the matcher's public face.

A rule set (a watchlist, or one chat's personal rule) matches an entry when the entry's
feed is allowed, at least one of its ``match`` queries matches and none of its
``exclude`` queries does.

All rule sets compile into one presearch automaton (``bot.matching.presearch``). Matching
an entry scans its words once; only the rule sets with a ``match`` query anchored on a
word that occurs are evaluated, and within them only the queries whose anchors occur, as
a query without any of its anchors cannot match. So the cost of an entry does not grow
with the rules whose words it does not contain.

Every accepted rule is evaluated in time linear in the entry (``bot.matching.evaluate``
gives the argument). As a last guard, each rule set has a ``Budget`` per entry, and all
of them a total: a rule set still being evaluated when its share runs out is skipped
for that entry, so no rule can stall the others. ``Matcher.evaluate`` lists the skipped
rule sets beside the hits; ``Matcher.match`` passes each one to the ``on_skip``
callback, which the service uses to log it. Cheap rule sets are never timed, so costly
ones, once they have spent the entry's total, make only other costly ones be skipped.

The matcher is pure and immutable: entries in, hits out. Construction touches no shared
state, so it may run in a worker thread while another matcher keeps serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.errors import QueryError
from bot.matching.compiled import Compiler, Rule
from bot.matching.evaluate import Document, OverBudget, highlights, positive_places
from bot.matching.parser import parse_query
from bot.models import Entry, Hit, RuleSetKey


@dataclass(frozen=True)
class RuleSet:
    """Queries under one key, e.g. ``WatchlistKey("kz-nuclear")`` or ``RuleKey(42)``."""

    key: RuleSetKey
    match: tuple[str, ...]  # the rule set matches when any of these queries matches...
    exclude: tuple[str, ...] = ()  # ...and none of these does
    feeds: frozenset[str] | None = None  # only entries from these feed ids (None: all)
    variants: bool = False  # every term as if written ``~term``: its spellings match too


@dataclass(frozen=True)
class Budget:
    """How long rule sets may take on one entry before they are skipped for that entry.

    Each rule set: ``floor`` seconds, plus ``per_word`` for each word of the entry. That
    is far more than a linear evaluation of an accepted rule takes (reading the entry
    costs about 1.5 µs a word), so only a rule that would stall the service reaches it.
    All rule sets together: ``per_entry`` times that; once it is spent, a rule set that
    needs more than a few steps is skipped at once, while cheap ones still run, so many
    costly rules add up to a bounded delay instead of one allowance each. Measured on
    ``clock``, by default the matching thread's CPU time, so time spent waiting for
    other threads and processes does not count.
    """

    floor: float = 0.1
    per_word: float = 5e-6
    per_entry: float = 2.0
    clock: Callable[[], float] = time.thread_time

    def allowance(self, words: int) -> float:
        """Seconds each rule set may take on an entry of ``words`` words."""
        return self.floor + self.per_word * words


@dataclass(frozen=True)
class Evaluation:
    """One entry's result: the hits, and the rule sets skipped for being over budget."""

    hits: list[Hit]
    skipped: tuple[RuleSetKey, ...]  # in rule set order; they may have matched
    allowance: float  # the budget each rule set had on this entry, in seconds


SkipCallback = Callable[[Entry, RuleSetKey, float], None]  # the entry, the rule set, budget


@dataclass(frozen=True, slots=True)
class _Compiled:
    key: RuleSetKey
    match: tuple[Rule, ...]
    exclude: tuple[Rule, ...]
    feeds: frozenset[str] | None


class Matcher:
    """Matches entries against rule sets compiled once, at construction."""

    def __init__(
        self,
        rulesets: Iterable[RuleSet],
        budget: Budget | None = None,
        on_skip: SkipCallback | None = None,
    ) -> None:
        """Parse and compile every query; raises ``QueryError`` whose message starts
        with the rule set's key as people read it (``watchlist kz-nuclear: ...``).

        Raises ``ValueError`` if two rule sets share a key. ``on_skip`` is told of each
        rule set that ``match`` skips for being over ``budget``.
        """
        self._budget = budget or Budget()
        self._on_skip = on_skip
        compiler = Compiler()
        self._rules = tuple(_compile(ruleset, compiler) for ruleset in rulesets)
        self._keys = frozenset(rule.key for rule in self._rules)
        if len(self._keys) != len(self._rules):
            raise ValueError("rule set keys must be unique")
        self._presearch = compiler.lexicon.build()
        self._by_word = _anchored(self._rules)

    @property
    def keys(self) -> frozenset[RuleSetKey]:
        """The keys of all rule sets."""
        return self._keys

    def match(self, entry: Entry) -> list[Hit]:
        """One hit per matching rule set, in the order the rule sets were given.

        A hit's spans cover the occurrences of the positive terms of the rule set's
        matching queries (the first ones, when there are very many: see
        ``bot.matching.evaluate``), in original field offsets, sorted and
        non-overlapping. A rule set over its budget gives no hit; ``on_skip`` hears of it.
        """
        evaluation = self.evaluate(entry)
        if self._on_skip is not None:
            for key in evaluation.skipped:
                self._on_skip(entry, key, evaluation.allowance)
        return evaluation.hits

    def evaluate(self, entry: Entry) -> Evaluation:
        """The hits, as ``match`` gives them, and the rule sets skipped over budget."""
        document = Document(entry, self._presearch, self._budget.clock)
        allowance = self._budget.allowance(document.words)
        candidates: dict[int, dict[Rule, None]] = {}
        for word in document.found:
            for index, query in self._by_word.get(word, ()):
                candidates.setdefault(index, {})[query] = None
        left = self._budget.per_entry * allowance  # shared by the rule sets that need timing
        hits: list[Hit] = []
        skipped: list[RuleSetKey] = []
        for index in sorted(candidates):
            document.limit(max(0.0, min(allowance, left)))
            try:
                hit = _hit(self._rules[index], candidates[index], document)
            except OverBudget:
                skipped.append(self._rules[index].key)
                hit = None
            left -= document.spent()
            if hit is not None:
                hits.append(hit)
        return Evaluation(hits, tuple(skipped), allowance)


def _compile(ruleset: RuleSet, compiler: Compiler) -> _Compiled:
    """The rule set with its queries parsed and compiled."""
    try:
        variants = ruleset.variants
        match = tuple(compiler.rule(parse_query(t), variants=variants) for t in ruleset.match)
        exclude = tuple(compiler.rule(parse_query(t), variants=variants) for t in ruleset.exclude)
    except QueryError as exc:
        raise QueryError(f"{ruleset.key}: {exc.message}", exc.query, exc.position) from exc
    return _Compiled(ruleset.key, match, exclude, ruleset.feeds)


def _anchored(rules: tuple[_Compiled, ...]) -> dict[int, tuple[tuple[int, Rule], ...]]:
    """For each anchor word, the ``match`` queries anchored on it, with their rule set."""
    by_word: dict[int, dict[tuple[int, Rule], None]] = {}
    for index, rule in enumerate(rules):
        for query in rule.match:
            for word in query.anchors:
                by_word.setdefault(word, {})[index, query] = None
    return {word: tuple(queries) for word, queries in by_word.items()}


def _hit(rule: _Compiled, candidates: Iterable[Rule], document: Document) -> Hit | None:
    """The rule set's hit on the document, or None if it does not match.

    ``candidates`` are the rule set's ``match`` queries whose anchors occur: the others
    cannot match.
    """
    if rule.feeds is not None and document.entry.feed_id not in rule.feeds:
        return None
    matched = [query for query in candidates if document.holds(query)]
    if not matched or any(document.holds(query) for query in rule.exclude):
        return None
    places = (found for query in matched for found in positive_places(query.root, document))
    return Hit(rule.key, highlights(places, document))
