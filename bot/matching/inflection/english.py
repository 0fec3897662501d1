"""English plurals (and the third person, which has the same ending): drone -> drones.

Possessives need no table: "Tokayev's" and "CSTO's" are split at the apostrophe into the
word and an "s" (see ``bot.matching.tokens``). Irregular plurals (men, leaves) and verb
forms (-ed, -ing) are not generated: "building" is not a form of "build" for a reader
either, and a rule can list forms or use a prefix (``sanction*``).
"""

from __future__ import annotations

from bot.matching.inflection.stems import Stem, endings

_SIBILANT_ENDS = ("s", "x", "z", "ch", "sh")
_VOWELS = frozenset("aeiou")


def english(word: str) -> list[Stem]:
    """The stems of a folded Latin ``word`` (at least three letters)."""
    if word.endswith("is"):  # crisis -> crises
        return [(word, endings(("", "es"))), (word[:-2], endings(("es",)))]
    if word.endswith(_SIBILANT_ENDS):  # tax -> taxes, bus -> buses
        return [(word, endings(("", "es")))]
    if word.endswith("y") and word[-2] not in _VOWELS:  # economy -> economies
        return [(word[:-1], endings(("y", "ies")))]
    if word.endswith("o"):  # both spellings occur: embargoes, photos
        return [(word, endings(("", "s", "es")))]
    return [(word, endings(("", "s")))]
