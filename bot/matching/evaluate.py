"""Evaluating compiled queries against one entry, and where they matched.

A ``Document`` splits every field of the entry into words once, runs the presearch scan
over them, and then answers for any number of rules: which words of a field are forms of
a query word (those the scan found), where a word or phrase occurs, and whether a query
holds. Each answer is remembered for the call, so a term shared by many rules is looked
up once per entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from bot.matching.compiled import AllOf, AnyOf, Close, Compiled, Negation, Rule, Seq
from bot.matching.presearch import Presearch
from bot.matching.tokens import FieldText, canonical_gap
from bot.models import FIELDS, Entry, Span

_FIELD_ORDER = {field: rank for rank, field in enumerate(FIELDS)}
_NOTHING: frozenset[str] = frozenset()


class Occurrence(NamedTuple):
    """A word or phrase found in ``field``, as the words ``first`` to ``last`` inclusive."""

    field: str
    first: int
    last: int


class Document:
    """An entry as the matcher sees it, shared by every rule during one match call."""

    def __init__(self, entry: Entry, presearch: Presearch) -> None:
        self.entry = entry
        self.texts = {field: FieldText(entry.field(field)) for field in FIELDS}
        words = frozenset().union(*(text.vocabulary for text in self.texts.values()))
        self.found = presearch.scan(words)  # query word id -> its forms in this entry
        self._occurrences: dict[Seq, tuple[Occurrence, ...]] = {}
        self._pairs: dict[Close, tuple[tuple[Occurrence, Occurrence], ...]] = {}
        self._verdicts: dict[Rule, bool] = {}

    def possible(self, rule: Rule) -> bool:
        """Whether the presearch found one of the rule's anchors: else it cannot match."""
        return any(word in self.found for word in rule.anchors)

    def holds(self, rule: Rule) -> bool:
        """Whether ``rule`` matches, remembered for the rest of the call."""
        if rule not in self._verdicts:
            self._verdicts[rule] = self.possible(rule) and matches(rule.root, self)
        return self._verdicts[rule]

    def find(self, seq: Seq) -> tuple[Occurrence, ...]:
        """Every occurrence of ``seq`` in its fields, in field and text order."""
        if seq not in self._occurrences:
            self._occurrences[seq] = tuple(self._search(seq))
        return self._occurrences[seq]

    def pairs(self, close: Close) -> tuple[tuple[Occurrence, Occurrence], ...]:
        """The pairs of occurrences that satisfy ``close``."""
        if close not in self._pairs:
            lefts, rights = self.find(close.left), self.find(close.right)
            self._pairs[close] = _near_pairs(close.distance, lefts, rights)
        return self._pairs[close]

    def span(self, occurrence: Occurrence) -> Span:
        """The characters of the original field string that an occurrence covers."""
        start, end = self.texts[occurrence.field].offsets(occurrence.first, occurrence.last)
        return Span(occurrence.field, start, end)

    def _search(self, seq: Seq) -> Iterator[Occurrence]:
        if not all(word in self.found for word in seq.words):
            return
        forms = self.found[seq.words[0]]
        for field in seq.fields:
            text = self.texts[field]
            starts = [position for form in forms for position in text.positions(form)]
            for first in sorted(starts) if len(forms) > 1 else starts:
                if self._continues(seq, text, first):
                    yield Occurrence(field, first, first + len(seq.words) - 1)

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


def matches(node: Compiled, document: Document) -> bool:
    """Whether the compiled tree ``node`` matches the document."""
    match node:
        case Seq():
            return bool(document.find(node))
        case Close():
            return bool(document.pairs(node))
        case Negation(child=child):
            return not matches(child, document)
        case AllOf(children=children):
            return all(matches(child, document) for child in children)
        case AnyOf(children=children):
            return any(matches(child, document) for child in children)


def positive_spans(node: Compiled, document: Document) -> Iterator[Span]:
    """Where the positive terms of ``node`` occur (nothing under a NOT); for highlighting.

    A NEAR contributes only the occurrences that are near each other.
    """
    match node:
        case Seq():
            yield from (document.span(occurrence) for occurrence in document.find(node))
        case Close():
            for pair in document.pairs(node):
                yield from (document.span(occurrence) for occurrence in pair)
        case AllOf(children=children) | AnyOf(children=children):
            for child in children:
                yield from positive_spans(child, document)


def merge_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans in field order then text order, overlapping ones joined into one."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (_FIELD_ORDER[s.field], s.start, s.end)):
        last = merged[-1] if merged else None
        if last is not None and last.field == span.field and span.start < last.end:
            merged[-1] = Span(span.field, last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return tuple(merged)


def _near_pairs(
    distance: int, lefts: tuple[Occurrence, ...], rights: tuple[Occurrence, ...]
) -> tuple[tuple[Occurrence, Occurrence], ...]:
    """Pairs of occurrences of both sides, in one field, close enough, in either order."""
    return tuple(
        (left, right)
        for left in lefts
        for right in rights
        if left.field == right.field and 0 <= _words_between(left, right) <= distance
    )


def _words_between(a: Occurrence, b: Occurrence) -> int:
    """How many words separate two occurrences in one field; -1 if they overlap."""
    if a.last < b.first:
        return b.first - a.last - 1
    if b.last < a.first:
        return a.first - b.last - 1
    return -1
