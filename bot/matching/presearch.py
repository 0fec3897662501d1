"""The presearch: one scan of an entry's words finds every query word that occurs in it.

All the distinct words of all compiled rules form a ``Lexicon``; each word has one or
more stems with their endings (``bot.matching.inflection``). ``Lexicon.build`` puts every
stem, preceded by a space, into one Aho-Corasick automaton. An entry's distinct folded
words, joined by spaces, are scanned once: a stem found right after a space starts a
text word, and the rest of that text word must be one of the stem's endings (any rest,
for a prefix such as ``Kazakh*``). Each text word's end is looked for once, whatever
number of stems start it, and a rest longer than a stem's longest ending is never
copied, so the scan is linear in the text however long its words. The scan's result
maps each query word that occurs to the folded text words it occurs as; the matcher
evaluates only the rules that can match given those words, so the cost of an entry grows
with the rules whose words it contains, not with the number of rules.

A ``~`` word's stems are those of each of its spellings (``bot.matching.variants``), each
inflected in its own script: Токаев as Russian, Тоқаев as Kazakh, Tokaev as English.

Case is not checked here: an acronym's stem is found in lower case too, and the
evaluation then compares capitals (``Capitals``), as it checks the capital initial of a
form that may be a name or a common word (``Initial``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from bot.matching.inflection import Stem, cased, stems
from bot.matching.inflection.stems import EXACT, merge
from bot.matching.query import Word
from bot.matching.variants import spellings

_WordKey = tuple[str, str | None, bool, bool, bool, str | None]
WordStems = tuple[Stem | tuple[str, None], ...]  # endings None: any rest (a prefix)
_Entry = tuple[frozenset[str] | None, int]  # endings (None: any) and the query word's id


@dataclass(frozen=True, slots=True)
class Capitals:
    """An acronym's case rule: the text word must be written with these capitals."""

    text: str
    prefix: bool = False  # ``CST*``: any word starting with the capitals
    plural: bool = False  # Latin acronyms may take a lower-case plural "s": NGOs

    def allows(self, cased: str) -> bool:
        """Whether the text word ``cased`` (as written) keeps the acronym's capitals."""
        if self.prefix:
            return cased.startswith(self.text)
        return cased == self.text or (self.plural and cased == self.text + "s")


@dataclass(frozen=True, slots=True)
class Initial:
    """A word's case rule for forms that are also another kind of word: ``upper`` forms
    match only with a capital initial (a name's: "Лавровым" is Lavrov, "лавровым" is of bay
    leaves), ``lower`` forms only without one (a common word's: "газа" is gas, "Газа" the
    Gaza Strip). A word in capitals (a headline) counts as either."""

    upper: frozenset[str]
    lower: frozenset[str]

    def allows(self, cased: str) -> bool:
        """Whether the text word ``cased`` (as written) may be the query word."""
        folded = cased.casefold()
        if folded in self.upper:
            return cased[:1].isupper()
        if folded in self.lower:
            return not cased[:1].isupper() or cased.isupper()
        return True


CaseRule = Capitals | Initial


class Lexicon:
    """The distinct words of the rules being compiled, each with an id; not thread-safe.

    Built by one ``Matcher`` construction and then frozen into a ``Presearch``.
    """

    def __init__(self) -> None:
        self._ids: dict[_WordKey, int] = {}
        self._stems: list[WordStems] = []
        self._reach: list[int] = []

    def add(self, word: Word, *, exact: bool) -> int:
        """The id of ``word`` (``exact``: no inflection), adding it on first sight."""
        key = (word.folded, word.cased, word.prefix, word.proper, exact, word.source)
        if key not in self._ids:
            self._ids[key] = len(self._stems)
            self._stems.append(word_stems(word, exact=exact))
            self._reach.append(min(len(stem) for stem, _ in self._stems[-1]))
        return self._ids[key]

    def reach(self, word_id: int) -> int:
        """The length of the word's shortest stem: longer stems are rarer anchors."""
        return self._reach[word_id]

    def build(self) -> Presearch:
        """The automaton over every stem of every word."""
        patterns: dict[str, list[_Entry]] = {}
        for word_id, pairs in enumerate(self._stems):
            for stem, endings in pairs:
                patterns.setdefault(" " + stem, []).append((endings, word_id))
        return Presearch(patterns)


def capitals(word: Word, *, exact: bool) -> CaseRule | None:
    """The case rule of a query word: None unless it is an acronym or has forms that are
    also another kind of word (``Initial``)."""
    if word.cased is None:
        if exact or word.prefix:
            return None
        upper, lower = _cased(word)
        return Initial(upper, lower) if upper or lower else None
    latin = word.cased.isascii() and word.cased.isalpha()
    return Capitals(word.cased, word.prefix, plural=latin and not exact and not word.prefix)


def word_stems(word: Word, *, exact: bool) -> WordStems:
    """The stems a text word may start with to be a form of the query ``word``."""
    if word.prefix:
        return ((word.folded, None),)
    if word.source is not None:
        return _spelling_stems(word.source, exact)
    if exact:
        return ((word.folded, EXACT),)
    return stems(word.folded, acronym=word.cased is not None, proper=word.proper)


def _cased(word: Word) -> tuple[frozenset[str], frozenset[str]]:
    """The forms of ``word`` (of each of its spellings, for a ``~`` word) that match only
    capitalized, and only in lower case (``bot.matching.inflection.cased``)."""
    if word.source is None:
        return cased(word.folded, proper=word.proper)
    found = [cased(spelling, proper=True) for spelling in spellings(word.source)]
    return frozenset().union(*(u for u, _ in found)), frozenset().union(*(v for _, v in found))


@functools.lru_cache(maxsize=16384)
def _spelling_stems(source: str, exact: bool) -> tuple[Stem, ...]:
    """The stems of every spelling of ``source``, each inflected in its own script as a
    name, whatever the case it was written in (``~tokayev`` means Токаев, not токай)."""
    found = spellings(source)
    if exact:
        return tuple((spelling, EXACT) for spelling in found)
    return merge(pair for spelling in found for pair in stems(spelling, proper=True))


class Presearch:
    """An immutable automaton of stems; ``scan`` is safe to call from many threads."""

    def __init__(self, patterns: dict[str, list[_Entry]]) -> None:
        self._automaton: ahocorasick.Automaton | None = None
        if patterns:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
            for pattern, entries in patterns.items():
                automaton.add_word(pattern, (len(pattern) - 1, tuple(map(_longest, entries))))
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, words: Iterable[str]) -> dict[int, set[str]]:
        """Each query word id that occurs among the folded text ``words``, with its forms."""
        if self._automaton is None:
            return {}
        text = " " + " ".join(words) + " "
        found: dict[int, set[str]] = {}
        stop, word = 0, ""
        for end, (length, entries) in self._automaton.iter(text):
            if end >= stop:  # the first stem found in a text word: find where it ends, once
                stop = text.index(" ", end + 1)
                word = text[end + 1 - length : stop]
            rest = stop - end - 1  # a long rest is no ending: never copied
            for longest, endings, word_id in entries:
                if endings is None or (rest <= longest and text[end + 1 : stop] in endings):
                    found.setdefault(word_id, set()).add(word)
        return found


def _longest(entry: _Entry) -> tuple[int, frozenset[str] | None, int]:
    """An automaton entry: the longest of the endings first, so longer rests skip the set."""
    endings, word_id = entry
    return (max(map(len, endings), default=-1) if endings is not None else 0, endings, word_id)
