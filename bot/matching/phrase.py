"""Finding a phrase at every place in a field at once, with one byte per word.

Checking a phrase of ``p`` words at each place its first word occurs costs up to ``p``
steps a place: ``p·n`` Python steps on a text of one word repeated. Here each phrase
word instead gets a mask over the field's ``n`` words, a big integer with byte ``i`` set
to 1 where word ``i`` is one of its forms (and, after the first, where the gap before it
is the phrase's gap). The phrase starts where every mask, shifted back by its offset,
still has a 1: ``p`` shifts and ANDs of ``n``-byte integers, done in C. Building a mask
takes one step per occurrence of the word, and is done once per field for all phrases.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from bot.matching.tokens import FieldText, canonical_gap


class Masks:
    """The masks of one field, built on first use and kept for the match call."""

    def __init__(self, text: FieldText) -> None:
        self._text = text
        self._words: dict[Hashable, int] = {}
        self._gaps: dict[str, int] = {}

    def words(self, key: Hashable, positions: Callable[[], Iterable[int]]) -> int:
        """The mask of the word positions that ``positions()`` gives, remembered by ``key``."""
        if key not in self._words:
            flags = bytearray(len(self._text.folded))
            for position in positions():
                flags[position] = 1
            self._words[key] = int.from_bytes(flags, "little")
        return self._words[key]

    def gaps(self, wanted: str) -> int:
        """The mask of the words preceded by the canonical gap ``wanted``."""
        if wanted not in self._gaps:
            gaps = self._text.gaps
            flags = bytes([0, *(gap == wanted or canonical_gap(gap) == wanted for gap in gaps)])
            self._gaps[wanted] = int.from_bytes(flags[: len(self._text.folded)], "little")
        return self._gaps[wanted]


def starts(masks: list[int], words: int) -> list[int]:
    """The positions ``i`` (ascending) where ``masks[k]`` has a 1 at ``i + k`` for every k."""
    found = masks[0]
    for offset, mask in enumerate(masks[1:], 1):
        found &= mask >> (8 * offset)
    flags = found.to_bytes(words, "little")
    positions: list[int] = []
    position = flags.find(1)
    while position != -1:
        positions.append(position)
        position = flags.find(1, position + 1)
    return positions
