"""What each term of a rule matches, for people reading a rule's reach (``newsbot match
--explain``). Pure.

Each word of each term is listed with its spellings (one, unless the word is a ``~``
word with spellings in other scripts: ``bot.matching.variants``) and each spelling's
forms (``bot.matching.inflection.forms``), apart the forms that match only as the
text writes them (``cased``): the sources the matcher compiles a
word's stems and case rule from (``bot.matching.presearch``), so what is shown is what
matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.matching.inflection import cased, forms
from bot.matching.parser import parse_query
from bot.matching.query import And, Near, Node, Not, Or, Term, Word
from bot.matching.variants import spellings


@dataclass(frozen=True, slots=True)
class Spelling:
    """One spelling of a word and the text words it matches, shortest first."""

    text: str
    forms: tuple[str, ...]  # empty for a prefix: any word starting with ``text``
    upper: tuple[str, ...] = ()  # forms matched only when the text capitalizes them
    lower: tuple[str, ...] = ()  # forms matched only when the text does not


@dataclass(frozen=True, slots=True)
class WordReach:
    """One word of a term: how it is written in the rule, and its spellings."""

    word: Word
    spellings: tuple[Spelling, ...]

    @property
    def shown(self) -> str:
        """The word as the rule has it: folded, an acronym's capitals, ``*`` for a prefix."""
        word = self.word
        return (word.cased or word.written or word.folded) + "*" * word.prefix


@dataclass(frozen=True, slots=True)
class TermReach:
    """One term of a rule and what each of its words matches."""

    term: Term
    words: tuple[WordReach, ...]

    @property
    def shown(self) -> str:
        """The term as a rule would write it: ``~tokayev``, ``="middle corridor"``."""
        marks = "=" * self.term.exact + "~" * any(w.variants for w in self.term.words)
        words = [reach.shown for reach in self.words]
        text = words[0] if len(words) == 1 else '"' + _joined(words, self.term.gaps) + '"'
        field = f"{self.term.scope}:" if self.term.scope else ""
        return field + marks + text


def explain(rule: str) -> tuple[TermReach, ...]:
    """Each term of ``rule``, in the order written; ``QueryError`` if it does not parse."""
    return tuple(_terms(parse_query(rule).root))


def _terms(node: Node) -> Iterator[TermReach]:
    match node:
        case Term():
            yield TermReach(node, tuple(_word(word, exact=node.exact) for word in node.words))
        case Near(left=left, right=right):
            yield from (*_terms(left), *_terms(right))
        case Not(child=child):
            yield from _terms(child)
        case And(children=children) | Or(children=children):
            for child in children:
                yield from _terms(child)


def _word(word: Word, *, exact: bool) -> WordReach:
    if word.prefix:
        return WordReach(word, (Spelling(word.folded, ()),))
    if word.cased is not None:  # an acronym matches only in its capitals
        found = forms(word.folded, acronym=True) if not exact else {word.folded}
        written = (word.cased + form[len(word.folded) :] for form in found)
        return WordReach(word, (Spelling(word.cased, _sorted(written)),))
    texts = spellings(word.source) if word.source is not None else (word.folded,)
    return WordReach(word, tuple(_spelling(text, word, exact) for text in texts))


def _spelling(text: str, word: Word, exact: bool) -> Spelling:
    if exact:
        return Spelling(text, (text,))
    proper = word.proper or word.variants  # every spelling is a name's (``presearch``)
    upper, lower = cased(text, proper=proper)
    return Spelling(
        text,
        _sorted(forms(text, proper=proper) - upper - lower),
        _sorted(upper),
        _sorted(lower),
    )


def _sorted(found: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(found, key=lambda form: (len(form), form)))


def _joined(words: list[str], gaps: tuple[str, ...]) -> str:
    return words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
