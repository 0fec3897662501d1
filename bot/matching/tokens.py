"""Words of a text: the unit that query terms match.

A word is a maximal run of letters and digits of any script (plus combining accents, which
are ignored when comparing, so a Russian stress mark does not split or change a word).
Everything else separates words: "Rosatom's" is the words "Rosatom" and "s". The text
between two words is their *gap*; phrases compare gaps in ``canonical_gap`` form.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.normalize import normalize

_ACCENTS = "\u0300-\u036f\u0483-\u0489"
_WORD_RE = re.compile(f"(?:[^\\W_]|[{_ACCENTS}])+")
_ACCENT_RE = re.compile(f"[{_ACCENTS}]")
_SPACING_RE = re.compile(r"[\s-]+")


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


class FieldText:
    """One text split into words, with an index from folded word to its positions.

    Built once per entry field per match call and shared by every rule.
    """

    __slots__ = ("gaps", "index", "tokens")

    def __init__(self, text: str) -> None:
        norm = normalize(text)
        matches = list(_WORD_RE.finditer(norm.text))
        self.tokens: list[Token] = [_token(m, norm.starts, norm.ends) for m in matches]
        self.gaps: list[str] = [
            canonical_gap(norm.text[left.end() : right.start()])
            for left, right in itertools.pairwise(matches)
        ]
        self.index: dict[str, list[int]] = {}
        for position, token in enumerate(self.tokens):
            self.index.setdefault(token.folded, []).append(position)


def _token(match: re.Match[str], starts: Sequence[int], ends: Sequence[int]) -> Token:
    """A token from a word match in normalized text, its offsets mapped to the original."""
    cased = _ACCENT_RE.sub("", match.group())
    return Token(cased, cased.casefold(), starts[match.start()], ends[match.end() - 1])
