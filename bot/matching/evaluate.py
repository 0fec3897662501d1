"""Evaluating compiled queries against one entry, and where they matched.

A ``Document`` splits every field of the entry into words once, runs the presearch scan
over them, and then answers for any number of rules: which words of a field are forms of
a query word (those the scan found), where a word or phrase occurs, and whether a query
holds. Each answer is remembered for the call, so a term shared by many rules is looked
up once per entry.

Cost: every accepted rule is evaluated in time linear in the entry's length. With ``n``
the words of the entry (``c`` its characters) and a rule of ``t`` terms of at most ``p``
words each:

* Reading the entry (normalization, splitting, folding, the vocabulary) is O(c). The
  presearch scan is one Aho-Corasick pass over the distinct words; each text word's end
  is found once, whatever number of stems start it (``bot.matching.presearch``).
* A word or phrase (``Seq``) starts where a form of its first word is. With at most
  ``FEW_FORMS`` forms in a field (``bot.matching.tokens``), their positions come from one
  C scan each and a merge of that many sorted runs; with more (a prefix such as ``ab*``
  can have thousands), from one pass over the field. A phrase with few starts is then
  checked at each, word by word, stopping at the first word that differs: O(p) a start.
  One with many starts (a phrase of repeated words or prefixes, "ab* ab* ab*", against a
  text of one word repeated) is found everywhere at once (``bot.matching.phrase``): a
  step per occurrence of each of its words to build byte masks, then ``p`` shifts and
  ANDs of ``n``-byte integers in C. Either way O(p·n), and ``p`` is at most
  ``MAX_PHRASE_WORDS`` (``bot.matching.terms``), with a small constant.
* ``NEAR`` never lists pairs, which could number n²: the start lists of its two sides
  (sorted, per field) are walked with two pointers that only move forward, which finds
  for each occurrence of one side whether the other side has one close enough before
  or after it: O(n) whatever the distance.
* ``NOT``, ``AND`` and ``OR`` visit each node once, and each term's answer is cached:
  O(size of the rule) on top of its terms. A field scope only narrows the fields
  searched; an ``exclude`` rule is one more rule.
* Highlighting takes at most ``MAX_SPANS`` occurrences per term and field, so a text of
  one word repeated a million times gives a bounded hit.

So a rule costs O(t·p·n): linear in the entry, with the rule's size, which
``bot.matching.parser`` bounds, as the constant. As a last guard against a constant that
is still too large for a huge entry, the caller may give each evaluation an allowance
(``Document.limit``, in seconds of the document's clock): the evaluation checks it
between steps, each at most ``CHECK_EVERY`` iterations or one pass over a field, and
raises ``OverBudget`` once it is spent. ``bot.matching.matcher`` catches it and skips
that rule set for that entry. The clock starts only at the ``FREE_CHECKS``-th check, so
the many cheap evaluations never read it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.matching import phrase
from bot.matching.compiled import AllOf, AnyOf, Close, Compiled, Negation, Rule, Seq
from bot.matching.near import close_starts
from bot.matching.presearch import CaseRule, Presearch
from bot.matching.tokens import FieldText, canonical_gap
from bot.models import FIELDS, Entry, Span

MAX_SPANS = 100  # highlighted occurrences kept per term (and per hit) in each field
CHECK_EVERY = 1024  # loop iterations between two looks at the deadline
FEW_STARTS = 64  # a phrase with no more starts than this is checked start by start
FREE_CHECKS = 8  # an evaluation that checks fewer times is cheap: the clock is not read

_FIELD_ORDER = {field: rank for rank, field in enumerate(FIELDS)}
_NOTHING: frozenset[str] = frozenset()


class OverBudget(Exception):  # control flow inside the matcher: never raised out of it
    """The document's deadline passed during an evaluation."""


@dataclass(frozen=True, slots=True, eq=False)
class Places:
    """Where a word or phrase of ``length`` words occurs: per field, the sorted positions of
    its first word (only fields where it occurs)."""

    length: int
    starts: dict[str, list[int]]

    def __bool__(self) -> bool:
        return bool(self.starts)


class Document:
    """An entry as the matcher sees it, shared by every rule during one match call."""

    def __init__(
        self, entry: Entry, presearch: Presearch, clock: Callable[[], float] | None = None
    ) -> None:
        self.entry = entry
        self.texts = {field: FieldText(entry.field(field)) for field in FIELDS}
        words = frozenset().union(*(text.vocabulary for text in self.texts.values()))
        self.found = presearch.scan(words)  # query word id -> its forms in this entry
        self._clock = clock
        self._allowance = math.inf  # see ``limit`` and ``check``
        self._deadline: float | None = None
        self._checks = 0
        self._places: dict[Seq, Places] = {}
        self._near: dict[Close, tuple[Places, Places]] = {}
        self._masks: dict[str, phrase.Masks] = {}
        self._verdicts: dict[Rule, bool] = {}

    @property
    def words(self) -> int:
        """How many words the entry's fields have."""
        return sum(map(len, [text.folded for text in self.texts.values()]))

    def limit(self, seconds: float) -> None:
        """Allow what follows (one rule set's evaluation) ``seconds`` on the clock."""
        self._allowance, self._deadline, self._checks = seconds, None, 0

    def spent(self) -> float:
        """The clock time used since ``limit``; 0 for an evaluation too cheap to time."""
        if self._clock is None or self._deadline is None:
            return 0.0
        return self._clock() - (self._deadline - self._allowance)

    def check(self) -> None:
        """Raise ``OverBudget`` if the allowance is spent (see the module docstring)."""
        if self._clock is None:
            return
        if self._deadline is None:
            self._checks += 1
            if self._checks >= FREE_CHECKS:
                self._deadline = self._clock() + self._allowance
        elif self._clock() > self._deadline:
            raise OverBudget

    def possible(self, rule: Rule) -> bool:
        """Whether the presearch found one of the rule's anchors: else it cannot match."""
        return any(word in self.found for word in rule.anchors)

    def holds(self, rule: Rule) -> bool:
        """Whether ``rule`` matches, remembered for the rest of the call."""
        if rule not in self._verdicts:
            self.check()
            self._verdicts[rule] = self.possible(rule) and matches(rule.root, self)
        return self._verdicts[rule]

    def find(self, seq: Seq) -> Places:
        """Every occurrence of ``seq`` in its fields."""
        if seq not in self._places:
            self._places[seq] = Places(len(seq.words), self._search(seq))
        return self._places[seq]

    def near(self, close: Close) -> tuple[Places, Places]:
        """The occurrences of each side of ``close`` that have one of the other side near:
        the first ``MAX_SPANS`` in each field, all that matching and highlighting need."""
        if close not in self._near:
            left, right = self.find(close.left), self.find(close.right)
            distance = close.distance
            self._near[close] = (
                self._partnered(distance, left, right),
                self._partnered(distance, right, left),
            )
        return self._near[close]

    def span(self, field: str, first: int, last: int) -> Span:
        """Where words ``first`` to ``last`` of ``field`` are, in original field offsets."""
        return Span(field, *self.texts[field].offsets(first, last))

    def _search(self, seq: Seq) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        if not all(word in self.found for word in seq.words):
            return found
        forms = self.found[seq.words[0]]
        plain = len(seq.words) == 1 and seq.capitals[0] is None  # every start is a match
        for field in seq.fields:
            text = self.texts[field]
            if len(text.folded) > CHECK_EVERY:  # a pass over a short field is a small step
                self.check()
            starts = text.places(forms)
            if plain:
                pass
            elif len(starts) * len(seq.words) > len(text.folded) // 4 + FEW_STARTS:
                starts = self._at_once(seq, field)
            else:
                starts = [
                    first for first in self._chunked(starts) if self._continues(seq, text, first)
                ]
            if starts:
                found[field] = starts
        return found

    def _at_once(self, seq: Seq, field: str) -> list[int]:
        """Where ``seq`` starts in ``field``, found with masks (``bot.matching.phrase``)."""
        text = self.texts[field]
        if field not in self._masks:
            self._masks[field] = phrase.Masks(text)
        masks = self._masks[field]
        parts = []
        for offset, (word, rule) in enumerate(zip(seq.words, seq.capitals, strict=True)):
            self.check()
            places = functools.partial(self._word_places, text, word, rule)
            mask = masks.words((word, rule), places)
            parts.append(mask & masks.gaps(seq.gaps[offset - 1]) if offset else mask)
        return phrase.starts(parts, len(text.folded))

    def _word_places(self, text: FieldText, word: int, rule: CaseRule | None) -> list[int]:
        """Where the query word ``word`` is in ``text``, with its capitals if it has any."""
        places = text.places(self.found[word])
        if rule is None:
            return places
        return [place for place in places if rule.allows(text.cased[place])]

    def _chunked(self, items: list[int]) -> Iterator[int]:
        """``items``, looking at the deadline every ``CHECK_EVERY`` of them."""
        for offset in range(0, len(items), CHECK_EVERY):
            self.check()
            yield from items[offset : offset + CHECK_EVERY]

    def _continues(self, seq: Seq, text: FieldText, first: int) -> bool:
        """Whether ``seq`` occurs in ``text`` starting at word ``first``."""
        if first + len(seq.words) > len(text.folded):
            return False
        for offset in range(len(seq.words)):
            position = first + offset
            if offset and not self._follows(seq, text, position, offset):
                return False
            rule = seq.capitals[offset]
            if rule is not None and not rule.allows(text.cased[position]):
                return False
        return True

    def _follows(self, seq: Seq, text: FieldText, position: int, offset: int) -> bool:
        """Whether word ``position`` continues the phrase as its word ``offset``."""
        if text.folded[position] not in self.found.get(seq.words[offset], _NOTHING):
            return False
        gap, wanted = text.gaps[position - 1], seq.gaps[offset - 1]
        return gap == wanted or canonical_gap(gap) == wanted

    def _partnered(self, distance: int, these: Places, others: Places) -> Places:
        """The occurrences in ``these`` with one of ``others`` at most ``distance`` words away."""
        kept: dict[str, list[int]] = {}
        for field, starts in these.starts.items():
            if field in others.starts:
                near = close_starts(
                    distance,
                    these.length,
                    self._chunked(starts),
                    others.length,
                    others.starts[field],
                    MAX_SPANS,
                )
                if near:
                    kept[field] = near
        return Places(these.length, kept)


def matches(node: Compiled, document: Document) -> bool:
    """Whether the compiled tree ``node`` matches the document."""
    match node:
        case Seq():
            return bool(document.find(node))
        case Close():
            return bool(document.near(node)[0])
        case Negation(child=child):
            return not matches(child, document)
        case AllOf(children=children):
            return all(matches(child, document) for child in children)
        case AnyOf(children=children):
            return any(matches(child, document) for child in children)


def positive_places(node: Compiled, document: Document) -> Iterator[Places]:
    """Where the positive terms of ``node`` occur (nothing under a NOT); for highlighting.

    A NEAR contributes only the occurrences that have the other side near them.
    """
    match node:
        case Seq():
            yield document.find(node)
        case Close():
            yield from document.near(node)
        case AllOf(children=children) | AnyOf(children=children):
            for child in children:
                yield from positive_places(child, document)


def highlights(places: Iterable[Places], document: Document) -> tuple[Span, ...]:
    """The spans of ``places``, merged (``merge_spans``), from the first ``MAX_SPANS``
    occurrences of each in each field: an occurrence found by many terms counts once."""
    runs = {
        (field, first, first + found.length - 1)
        for found in places
        for field, starts in found.starts.items()
        for first in starts[:MAX_SPANS]
    }
    return merge_spans(document.span(*run) for run in runs)


def merge_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans in field order then text order, overlapping ones joined into one; at most
    ``MAX_SPANS`` per field, the first ones."""
    merged: list[Span] = []
    per_field: dict[str, int] = {}
    for span in sorted(spans, key=lambda s: (_FIELD_ORDER[s.field], s.start, s.end)):
        last = merged[-1] if merged else None
        if last is not None and last.field == span.field and span.start < last.end:
            merged[-1] = Span(span.field, last.start, max(last.end, span.end))
        elif per_field.get(span.field, 0) < MAX_SPANS:
            per_field[span.field] = per_field.get(span.field, 0) + 1
            merged.append(span)
    return tuple(merged)
