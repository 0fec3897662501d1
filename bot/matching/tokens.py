"""Words of a text: the unit that query terms match.

A word is a maximal run of letters and digits of any script, found in the normalized text
(``bot.matching.normalize``, which has already removed stress marks and invisible
characters). Everything else separates words: "Rosatom's" is the words "Rosatom" and "s".
The text between two words is their *gap*; phrases compare gaps in ``canonical_gap`` form.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.matching.normalize import normalize

_WORD_SPLIT = re.compile(r"([^\W_]+)")  # the group keeps the words in re.split's result
_SPACING_RE = re.compile(r"[\s-]+")
FEW_FORMS = 4  # up to this many forms, scanning for each beats one pass over every word


@dataclass(frozen=True, slots=True)
class Token:
    """One word: as written (normalized) and case-folded, and where it is in the original."""

    cased: str  # acronyms compare this: the word with its capitals
    folded: str  # ordinary words compare this
    start: int  # offsets into the original, unnormalized string
    end: int


def canonical_gap(gap: str) -> str:
    """The comparable form of the text between two words.

    Any run of whitespace and hyphens is one ordinary space, so "Middle Corridor",
    "Middle\u00a0Corridor" and "Middle-Corridor" are the same phrase; other punctuation
    counts as written (minus surrounding whitespace), so a phrase does not run across
    a comma or a full stop.
    """
    if gap == " " or _SPACING_RE.fullmatch(gap):
        return " "
    return "".join(gap.split())


def fold(words: list[str]) -> list[str]:
    """``casefold()`` of each word, in one call: folding is per character, never across."""
    return "\x00".join(words).casefold().split("\x00") if words else []


class FieldText:
    """One text split into words, built once per entry field per match call.

    ``cased[i]`` and ``folded[i]`` are word ``i``; ``gaps[i]`` is the raw text between words
    ``i`` and ``i + 1``. Offsets are computed on first use, since most fields of most
    entries are never looked at past the presearch.
    """

    __slots__ = ("_bounds", "_norm", "_parts", "cased", "folded", "gaps", "vocabulary")

    def __init__(self, text: str) -> None:
        self._norm = normalize(text)
        self._parts = _WORD_SPLIT.split(self._norm.text)
        self.cased: list[str] = self._parts[1::2]
        self.folded: list[str] = fold(self.cased)
        self.gaps: list[str] = self._parts[2:-1:2]
        self.vocabulary = frozenset(self.folded)  # the distinct folded words
        self._bounds: list[int] | None = None

    def positions(self, folded: str) -> list[int]:
        """Where the folded word occurs, in text order.

        ``list.index`` scans in C: cheaper than indexing every word, when an entry is
        asked about only the few words the presearch found.
        """
        found: list[int] = []
        if folded not in self.vocabulary:
            return found
        try:
            position = self.folded.index(folded)
            while True:
                found.append(position)
                position = self.folded.index(folded, position + 1)
        except ValueError:
            return found

    def places(self, forms: Collection[str]) -> list[int]:
        """Where any of the folded words ``forms`` occurs, in text order: O(words).

        A few forms are found by a scan each and merged; more (a prefix's) in one pass.
        """
        if len(forms) == 1:  # the most common case: a word in one form
            return self.positions(next(iter(forms)))
        present = [form for form in forms if form in self.vocabulary]
        if len(present) <= 1:
            return self.positions(present[0]) if present else []
        if len(present) <= FEW_FORMS:
            # sorted runs: Timsort merges them in O(m log k)
            return sorted(itertools.chain.from_iterable(map(self.positions, present)))
        wanted = frozenset(present)
        return [position for position, word in enumerate(self.folded) if word in wanted]

    def offsets(self, first: int, last: int) -> tuple[int, int]:
        """Where words ``first`` to ``last`` (inclusive) are, in the original string."""
        if self._bounds is None:
            self._bounds = list(itertools.accumulate(map(len, self._parts), initial=0))
        start, end = self._bounds[2 * first + 1], self._bounds[2 * last + 2]
        return self._norm.starts[start], self._norm.ends[end - 1]

    def tokens(self) -> list[Token]:
        """Every word with its original offsets (the slow, complete form, for queries)."""
        pairs = zip(self.cased, self.folded, strict=True)
        return [
            Token(cased, folded, *self.offsets(i, i)) for i, (cased, folded) in enumerate(pairs)
        ]
