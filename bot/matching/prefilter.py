"""A cheap test that rejects most entries a query cannot match, before the matcher reads them.

The matcher splits every field of an entry into words before it can tell that no query
word occurs, which is most of its cost on an entry it does not match. A search runs one
query over thousands of stored entries, nearly all of which contain none of its words;
the prefilter turns them away with a few substring scans each.

It never rejects an entry the matcher would match. Every query word matches only text
words that start with one of its stems (``bot.matching.presearch``, whose stems this
takes from the same place), and a text word, case-folded, is a substring of the
case-folded normalized text of its field (``bot.matching.normalize``, the very function
the matcher uses; case folding is per character, as ``bot.matching.tokens`` folds). So
a query needs *clauses*: sets of substrings of that text, each of which must have one
member present:

* a word: one clause, its stems (a prefix ``Kazakh*`` and an ``=exact`` word: the word
  itself; a ``~`` word: the stems of each of its spellings); a stem that contains
  another is dropped, as the shorter one is found wherever it is;
* a phrase: each word's clause, as every word must occur; NEAR and AND: the clauses of
  both sides or of every child;
* OR: one clause, the union of each child's most selective clause;
* NOT: none. A query left without a clause (one the parser refuses, as ``-football``)
  gets no prefilter: every entry goes to the matcher.

Fields are ignored: a ``title:`` word is looked for in every field, which only lets
more entries through. Acronyms' capitals are not checked, for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from bot.matching.normalize import normalize
from bot.matching.presearch import word_stems
from bot.matching.query import And, Near, Node, Not, Or, Query, Term, Word
from bot.models import FIELDS, Entry

Clause = frozenset[str]  # an entry must contain at least one of these

FEW_NEEDLES = 8  # up to this many, a C substring search each beats an automaton
SHORT = 3  # needles shorter than this occur in almost any text: they hardly select


class Prefilter:
    """One query's clauses; ``admits`` is pure and safe to call from many threads."""

    def __init__(self, query: Query) -> None:
        found = clauses(query.root)
        ordered = sorted(found, key=lambda clause: (_rank(clause), sorted(clause)))
        self.clauses: tuple[Clause, ...] | None = tuple(ordered) or None  # likeliest to fail first
        self._tests = [_test(clause) for clause in self.clauses or ()]

    def admits(self, entry: Entry) -> bool:
        """False only if the query cannot match ``entry``; True tells nothing for sure."""
        if not self._tests:
            return True
        text = "\n".join(normalize(entry.field(field)).text for field in FIELDS).casefold()
        return all(test(text) for test in self._tests)


def clauses(node: Node) -> frozenset[Clause]:
    """The clauses any text that ``node`` matches satisfies (case-folded needles)."""
    match node:
        case Term():
            return frozenset(_word_needles(word, exact=node.exact) for word in node.words)
        case Near(left=left, right=right):
            return clauses(left) | clauses(right)
        case Not():
            return frozenset()
        case And(children=children):
            return frozenset().union(*map(clauses, children))
        case Or(children=children):
            parts = [clauses(child) for child in children]
            if not all(parts):
                return frozenset()
            best = (min(part, key=_rank) for part in parts)
            return frozenset({_minimal(needle for clause in best for needle in clause)})


def _word_needles(word: Word, *, exact: bool) -> Clause:
    """The stems of ``word``, as the presearch looks for them at the start of text words."""
    return _minimal(stem for stem, _ in word_stems(word, exact=exact))


def _rank(clause: Clause) -> tuple[bool, int, int]:
    """Lower is more selective: no very short needle, then fewest, then the longest
    shortest one."""
    shortest = min(map(len, clause))
    return (shortest < SHORT, len(clause), -shortest)


def _minimal(found: Iterable[str]) -> Clause:
    """``found`` without the needles that contain another one: those add no entry."""
    kept: list[str] = []
    for needle in sorted(set(found), key=len):
        if not any(shorter in needle for shorter in kept):
            kept.append(needle)
    return frozenset(kept)


class _Automaton:
    """Whether a text contains any of many needles, in one pass."""

    def __init__(self, clause: Clause) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH, ahocorasick.KEY_STRING)
        for needle in clause:
            self._automaton.add_word(needle)
        self._automaton.make_automaton()

    def __call__(self, text: str) -> bool:
        return next(self._automaton.iter(text), None) is not None


class _Substrings:
    """Whether a text contains any of a few needles, a C search each."""

    def __init__(self, clause: Clause) -> None:
        self._needles = tuple(sorted(clause))

    def __call__(self, text: str) -> bool:
        return any(needle in text for needle in self._needles)


def _test(clause: Clause) -> _Automaton | _Substrings:
    return _Automaton(clause) if len(clause) > FEW_NEEDLES else _Substrings(clause)
