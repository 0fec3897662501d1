"""Kazakh suffixes: case, third-person possessive and plural, with vowel harmony.

Kazakh is agglutinative: a noun takes a plural, then a possessive, then a case, each
suffix choosing its vowel by the word's last vowel (back а о ұ ы, front ә ө ү і) and its
first consonant by the sound the word ends in::

    Қазақстан  -> Қазақстанның, Қазақстанға, Қазақстанда, Қазақстаннан, Қазақстандағы
    Ресей      -> Ресейдің, Ресейге, Ресейде
    Тоқаев     -> Тоқаевтың, Тоқаевқа, Тоқаевпен
    дәліз      -> дәлізі, дәлізінің, дәлізге, дәліздер, дәліздердің

A word whose last vowel is е, и, у or ю (most of them Russian loans and names, which
Kazakh text harmonizes either way: Тоқаевтың but Медведевтің) takes both rows. A final к,
қ or п may voice before the possessive (Құрық -> Құрығы). A word ending in -ы or -і may be
written possessed already, and also takes the cases that follow a possessive
(станциясы -> станциясын, станциясына). Derivational suffixes (-лық,
-шы, -сыз, -ша) are not inflections and are not listed.
"""

from __future__ import annotations

import functools

from bot.matching.inflection.stems import Stem, endings

_BACK = frozenset("аоұыяё")
_FRONT = frozenset("әөүіэ")
_EITHER = frozenset("еиую")
_VOWELS = _BACK | _FRONT | _EITHER
_VOICING = {"к": "г", "қ": "ғ", "п": "б"}

# (back, front) forms of each case suffix, by the sound the word ends in.
_CASES: dict[str, tuple[tuple[str, str], ...]] = {
    "vowel": (("ның", "нің"), ("ны", "ні"), ("ға", "ге"), ("да", "де"), ("дан", "ден")),
    "nasal": (("ның", "нің"), ("ды", "ді"), ("ға", "ге"), ("да", "де"), ("нан", "нен")),
    "voiced": (("дың", "дің"), ("ды", "ді"), ("ға", "ге"), ("да", "де"), ("дан", "ден")),
    "voiceless": (("тың", "тің"), ("ты", "ті"), ("қа", "ке"), ("та", "те"), ("тан", "тен")),
}
_LOCATIVE_ADJ = {"voiceless": ("тағы", "тегі")}  # Қазақстандағы, Тоқаевтағы
_WITH = {"voiceless": ("пен",), "nasal": ("мен", "бен"), "voiced": ("мен", "бен")}
_AFTER_POSSESSIVE: tuple[tuple[str, str], ...] = (
    ("ның", "нің"),
    ("н", "н"),
    ("на", "не"),
    ("нда", "нде"),
    ("нан", "нен"),
)
_AFTER_POSSESSIVE += (("мен", "мен"), ("ндағы", "ндегі"))


def kazakh(word: str) -> list[Stem]:
    """The stems of a folded Cyrillic ``word`` under Kazakh suffixes."""
    rows = _rows(word)
    sound = _final_sound(word)
    pairs = [(word, _table(sound, _plural(word), rows))]
    if word[-1] in "ыі":  # perhaps written possessed already (станциясы, дәлізі)
        pairs.append((word, _possessed_cases(rows)))
    if word[-1] in _VOICING:
        voiced = _VOICING[word[-1]]
        pairs.append((word[:-1], _voiced_possessive(voiced, rows)))
    return pairs


def _rows(word: str) -> tuple[int, ...]:
    """0 for back harmony, 1 for front, both when the last vowel does not decide."""
    for index in range(len(word) - 1, -1, -1):
        char = word[index]
        if char == "у" and index > 0 and word[index - 1] in _VOWELS:
            continue  # "ау", "еу": a semivowel, the vowel before it decides
        if char in _BACK:
            return (0,)
        if char in _FRONT:
            return (1,)
        if char in _EITHER:
            return (0, 1)
    return (0, 1)


def _final_sound(word: str) -> str:
    """Which row of ``_CASES`` the word takes: what its last sound is."""
    last = word[-1]
    if last in "мнң":
        return "nasal"
    if last in "жзлрйьъ" or (last == "у" and len(word) > 1 and word[-2] in _VOWELS):
        return "voiced"
    return "vowel" if last in _VOWELS else "voiceless"


def _plural(word: str) -> tuple[str, str]:
    """The plural suffix: -лар after vowels and р у й, -дар after л м н ң ж з, else -тар."""
    sound = _final_sound(word)
    if sound == "voiceless":
        return ("тар", "тер")
    if sound == "nasal" or word[-1] in "лжз":
        return ("дар", "дер")
    return ("лар", "лер")


@functools.lru_cache(maxsize=64)
def _table(sound: str, plural: tuple[str, str], rows: tuple[int, ...]) -> frozenset[str]:
    """Every suffix chain for a word ending in ``sound``: case, possessive, plural."""
    possessive = ("сы", "сі") if sound == "vowel" else ("ы", "і")
    chains: list[str] = [""]
    for row in rows:
        chains += _cased(sound, row, "")
        chains += _possessed(possessive[row], row)
        chains += [plural[row], *_cased("voiced", row, plural[row])]
        chains += _possessed(plural[row] + ("ы", "і")[row], row)
    return endings(tuple(chains))


def _cased(sound: str, row: int, before: str) -> list[str]:
    """``before`` followed by each case suffix (and none) for a stem ending in ``sound``."""
    suffixes = [pair[row] for pair in _CASES[sound]]
    suffixes.append(_LOCATIVE_ADJ.get(sound, ("дағы", "дегі"))[row])
    suffixes += _WITH.get(sound, ("мен",))
    return [before + suffix for suffix in suffixes]


def _possessed(possessive: str, row: int) -> list[str]:
    """A third-person possessive and the cases that follow it (дәлізі, дәлізінің)."""
    return [possessive, *(possessive + pair[row] for pair in _AFTER_POSSESSIVE)]


@functools.lru_cache(maxsize=4)
def _possessed_cases(rows: tuple[int, ...]) -> frozenset[str]:
    """The cases that follow a possessive, for a word that may end in one."""
    return endings(tuple(pair[row] for row in rows for pair in _AFTER_POSSESSIVE))


@functools.lru_cache(maxsize=16)
def _voiced_possessive(voiced: str, rows: tuple[int, ...]) -> frozenset[str]:
    """Possessive chains after a voiced final consonant: Құрығы, Құрығының, жүгі."""
    chains = [voiced + chain for row in rows for chain in _possessed(("ы", "і")[row], row)]
    return endings(tuple(chains))
