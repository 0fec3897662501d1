"""Evaluating parsed queries against one entry.

A ``Document`` tokenizes each field of the entry on first use and remembers where each
term occurs, so a term shared by many rules is looked up once per entry. Words are
found through the field's index of folded words; a phrase is its first word followed by
the rest, in consecutive words with matching gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.matching.query import And, Near, Node, Not, Or, Term, Word
from bot.matching.tokens import FieldText, Token
from bot.models import FIELDS, Entry, Span

_FIELD_ORDER = {field: rank for rank, field in enumerate(FIELDS)}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A term found in ``field``, as the words ``first`` to ``last`` inclusive."""

    field: str
    first: int
    last: int


class Document:
    """An entry as the matcher sees it, shared by every rule during one match call."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self._texts: dict[str, FieldText] = {}
        self._found: dict[Term, tuple[Occurrence, ...]] = {}
        self._spans: dict[Term, tuple[Span, ...]] = {}
        self._pairs: dict[Near, tuple[tuple[Occurrence, Occurrence], ...]] = {}

    def text(self, field: str) -> FieldText:
        """The field's words, tokenized on first use."""
        if field not in self._texts:
            self._texts[field] = FieldText(self.entry.field(field))
        return self._texts[field]

    def find(self, term: Term) -> tuple[Occurrence, ...]:
        """Every occurrence of ``term`` in its fields, in field and text order."""
        if term not in self._found:
            found = (_find_in(term, self.text(field), field) for field in term.fields)
            self._found[term] = tuple(occurrence for part in found for occurrence in part)
        return self._found[term]

    def pairs(self, near: Near) -> tuple[tuple[Occurrence, Occurrence], ...]:
        """The pairs of occurrences that satisfy ``near``."""
        if near not in self._pairs:
            self._pairs[near] = _near_pairs(near, self.find(near.left), self.find(near.right))
        return self._pairs[near]

    def spans(self, term: Term) -> tuple[Span, ...]:
        """Where ``term`` occurs, as characters of the original field strings."""
        if term not in self._spans:
            self._spans[term] = tuple(self.span(occurrence) for occurrence in self.find(term))
        return self._spans[term]

    def span(self, occurrence: Occurrence) -> Span:
        """The characters of the original field string that an occurrence covers."""
        tokens = self.text(occurrence.field).tokens
        start, end = tokens[occurrence.first].start, tokens[occurrence.last].end
        return Span(occurrence.field, start, end)


def matches(node: Node, document: Document) -> bool:
    """Whether the query tree ``node`` matches the document."""
    match node:
        case Term():
            return bool(document.find(node))
        case Near():
            return bool(document.pairs(node))
        case Not(child=child):
            return not matches(child, document)
        case And(children=children):
            return all(matches(child, document) for child in children)
        case Or(children=children):
            return any(matches(child, document) for child in children)


def positive_spans(node: Node, document: Document) -> Iterator[Span]:
    """Where the positive terms of ``node`` occur (nothing under a NOT); for highlighting.

    A NEAR contributes only the occurrences that are near each other.
    """
    match node:
        case Term():
            yield from document.spans(node)
        case Near():
            for pair in document.pairs(node):
                yield from (document.span(occurrence) for occurrence in pair)
        case And(children=children) | Or(children=children):
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
    near: Near, lefts: tuple[Occurrence, ...], rights: tuple[Occurrence, ...]
) -> tuple[tuple[Occurrence, Occurrence], ...]:
    """Pairs of occurrences of both terms, in one field, close enough, in either order."""
    return tuple(
        (left, right)
        for left in lefts
        for right in rights
        if left.field == right.field and 0 <= _words_between(left, right) <= near.distance
    )


def _words_between(a: Occurrence, b: Occurrence) -> int:
    """How many words separate two occurrences in one field; -1 if they overlap."""
    if a.last < b.first:
        return b.first - a.last - 1
    if b.last < a.first:
        return a.first - b.last - 1
    return -1


def _find_in(term: Term, text: FieldText, field: str) -> Iterator[Occurrence]:
    """Occurrences of ``term`` in one field's words."""
    length = len(term.words)
    for first in _candidates(term.words[0], text):
        if first + length <= len(text.tokens) and _continues(term, text, first):
            yield Occurrence(field, first, first + length - 1)


def _candidates(word: Word, text: FieldText) -> list[int]:
    """Positions where ``word`` occurs: by index lookup, or by scanning the index's keys."""
    if word.prefix:
        keys = [key for key in text.index if key.startswith(word.folded)]
        positions = sorted(position for key in keys for position in text.index[key])
    else:
        positions = text.index.get(word.folded, [])
    return [position for position in positions if _same_case(word, text.tokens[position])]


def _continues(term: Term, text: FieldText, first: int) -> bool:
    """Whether the words after ``first`` continue the phrase ``term``, gaps included."""
    return all(
        text.gaps[first + i - 1] == term.gaps[i - 1] and _is(word, text.tokens[first + i])
        for i, word in enumerate(term.words[1:], start=1)
    )


def _is(word: Word, token: Token) -> bool:
    """Whether the text word ``token`` is an occurrence of the query word ``word``."""
    if word.prefix:
        return token.folded.startswith(word.folded) and _same_case(word, token)
    return token.folded == word.folded and _same_case(word, token)


def _same_case(word: Word, token: Token) -> bool:
    """Acronyms match only in capitals: the text must have the capitals as written."""
    if word.cased is None:
        return True
    return token.cased.startswith(word.cased) if word.prefix else token.cased == word.cased
