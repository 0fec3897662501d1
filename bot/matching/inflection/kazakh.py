"""Kazakh inflection: plural, possessive and case suffixes in chains, with vowel harmony.

A Kazakh noun takes up to three suffixes, always in this order, each one optional::

    stem [plural] [possessive] [case]

    Қазақстан  + ымыз + дың          Қазақстанымыздың    "of our Kazakhstan"
    мемлекет   + тер + іміз + дің    мемлекеттеріміздің  "of our states"
    министр    + лер + і + не        министрлеріне       "to his ministers"
    кітап      + ым + а              кітабыма            "to my book"
    Астана     + дағы                Астанадағы          "(the ...) in Astana"

* plural: -лар after a vowel and р й у, -дар after л м н ң ж з, -тар after the other
  consonants (Тоқаевтар: a final в б г д is voiceless at the end of a word).
* possessive (``_POSSESSIVES``): 1sg -ым (after a vowel -м), 2sg -ың (-ң), polite 2sg
  -ыңыз (-ңыз), 3rd person -ы (-сы), 1pl -ымыз (-мыз). The 2pl forms are a plural and
  a 2sg (-ларың, -ларыңыз). After a plural the possessive takes its after-a-consonant
  form: елдері, министрлеріне, елдеріміздің.
* case (``_CASES``): the nominative (nothing), genitive, accusative, dative, locative,
  ablative, instrumental (-мен/-бен/-пен) and the locative-attributive -дағы. A case
  suffix's first sound follows the sound before it: the stem's last sound, or the
  suffix before it. After a vowel: Астананың, Астананы, Астанаға, Астанадан. After м н ң:
  Қазақстанның, Қазақстанды, Қазақстаннан. After a voiced consonant (ж з л р й, the
  plural's р, the -ымыз and -ыңыз of a possessive): Ресейдің, еліміздің, елдерге. After
  a voiceless one: Тоқаевтың, Тоқаевқа, Тоқаевпен, Тоқаевтағы. After a 3rd-person
  possessive, the "n" forms: -ның, -н, -на, -нда, -нан, -мен, -ндағы (министріне). After
  a 1sg or 2sg possessive, the dative is -а (кітабыма, кітабыңа) and the genitive -ның
  (Қазақстаныңның).

Vowel harmony: every suffix of a chain takes the row of the stem's last vowel, back (а о
ұ ы я ё) or front (ә ө ү і э). A у after a vowel is a consonant (Ақтау): the vowel before
it decides, and the suffixes are those after a consonant (Ақтауы, Ақтауда). A last vowel
е, и, у or ю does not decide, since Kazakh text harmonizes Russian loans and names either
way (Тоқаевтың but Медведевтің), so such a word takes both rows. So does a loan ending
in к or г after a consonant, or in -кс, whose suffixes are front whatever its vowels
(банкі, банктер, полкке).

Consonants: a final к, қ or п voices to г, ғ or б before a possessive that starts with a
vowel (кітап -> кітабы, жүрек -> жүрегіміз, Құрық -> Құрығы). Loans often keep the
voiceless one (банкі), and a misspelt form occurs in no text, so both are kept. A few
words drop their last vowel there too (халық -> халқы, орын -> орны): ``_ELIDED``. A final
и, or у after a consonant, is a vowel in some words and a consonant in others: both.

What no chain makes:

* Derivations, which are other words: -лық (Қазақстандық, "Kazakhstani"), -шы (мұнайшы,
  "oilman"), -сыз, -ша, -ғы. No suffix in these tables starts like one of them.
* The 1sg, 2sg and polite 2sg possessives of a word under five letters, where they
  make common words of their own: қар "snow" -> қарым (қарым-қатынас "relations"), бас
  "head" -> басым "dominant", баға "price" -> бағам "exchange rate", бала "child" ->
  балама "alternative", жаз "summer" -> жазыңыз "write!". Such words keep the 3rd-person
  and 1pl possessives (басы, жеріміз, Отанымыз).

A word already ending in -ы or -і may be a 3rd-person possessive written whole
(станциясы) and also takes the cases that follow one (станциясын, станциясына).

Each table depends only on the shape of the word (its last sounds, harmony rows and
length), never on the word itself, and is built once per shape.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from bot.matching.inflection.stems import Stem, endings, prefixed

PERSONAL_MIN = 5  # shorter words take no 1sg, 2sg or polite 2sg possessive
_BACK = frozenset("аоұыяё")
_FRONT = frozenset("әөүіэ")
_EITHER = frozenset("еиую")
_VOWELS = _BACK | _FRONT | _EITHER
_VOICING = {"к": "г", "қ": "ғ", "п": "б"}
# A loan ending in к or г after a consonant takes front suffixes: банкі, банкке, хирургтер.
_FRONT_CLUSTER = re.compile(f"[^{''.join(sorted(_VOWELS))}][кг]$|кс$")
# Words whose last vowel drops before a vowel-initial possessive: халық -> халқы, халқымыз.
_ELIDED = {
    "халық": "халқ",
    "орын": "орн",
    "ауыз": "ауз",
    "мұрын": "мұрн",
    "ерін": "ерн",
    "қарын": "қарн",
    "дауыс": "даус",
    "ырық": "ырқ",
    "көрік": "көрк",
}

Row = int  # 0 back, 1 front

# The cases after each sound, written back/front (one spelling serves both rows when it
# has no vowel to harmonize): genitive, accusative, dative, locative, ablative,
# locative-attributive, then the instrumental (two where the press writes both).
_CASES: dict[str, tuple[str, ...]] = {
    "vowel": ("ның/нің", "ны/ні", "ға/ге", "да/де", "дан/ден", "дағы/дегі", "мен"),
    "nasal": ("ның/нің", "ды/ді", "ға/ге", "да/де", "нан/нен", "дағы/дегі", "мен", "бен"),
    "voiced": ("дың/дің", "ды/ді", "ға/ге", "да/де", "дан/ден", "дағы/дегі", "мен", "бен"),
    "voiceless": ("тың/тің", "ты/ті", "қа/ке", "та/те", "тан/тен", "тағы/тегі", "пен"),
    # after a 1sg or 2sg possessive (-ым, -ың): кітабымның, кітабымды, кітабыма
    "personal": ("ның/нің", "ды/ді", "а/е", "да/де", "нан/нен", "дағы/дегі", "мен"),
    # after a 3rd-person possessive (-ы, -сы): кітабының, кітабын, кітабына
    "third": ("ның/нің", "н", "на/не", "нда/нде", "нан/нен", "ндағы/ндегі", "мен"),
}


class Possessive(NamedTuple):
    after_consonant: str  # back/front, as in ``_CASES``
    after_vowel: str
    then: str  # the ``_CASES`` row that follows it
    personal: bool  # left off words shorter than PERSONAL_MIN


_POSSESSIVES = (
    Possessive("ым/ім", "м", "personal", personal=True),  # 1sg: кітабым, Астанам
    Possessive("ың/ің", "ң", "personal", personal=True),  # 2sg: кітабың, Астанаң
    Possessive("ыңыз/іңіз", "ңыз/ңіз", "voiced", personal=True),  # polite 2sg
    Possessive("ы/і", "сы/сі", "third", personal=False),  # 3rd: кітабы, Астанасы
    Possessive("ымыз/іміз", "мыз/міз", "voiced", personal=False),  # 1pl: кітабымыз
)


def kazakh(word: str) -> list[Stem]:
    """The stems of a folded Cyrillic ``word`` under Kazakh suffix chains."""
    rows = _rows(word)
    short = len(word) < PERSONAL_MIN
    pairs = [(word, _table(_sounds(word), _plural(word), rows, short))]
    if word[-1] in "ыі":  # perhaps written possessed already (станциясы, дәлізі)
        pairs.append((word, _possessed_cases(rows)))
    if word[-1] in _VOICING:  # кітап -> кіта + бы
        pairs.append((word[:-1], _changed_stem(_VOICING[word[-1]], rows, short)))
    if word in _ELIDED:  # халық -> халқ + ы
        pairs.append((_ELIDED[word], _changed_stem("", rows, short)))
    return pairs


def _rows(word: str) -> tuple[Row, ...]:
    """(0,) for back harmony, (1,) for front, both when the word's end does not decide."""
    rows = _vowel_rows(word)
    if rows == (0,) and _FRONT_CLUSTER.search(word):  # банк -> банкі, банктер
        return (0, 1)
    return rows


def _vowel_rows(word: str) -> tuple[Row, ...]:
    """The rows the last vowel gives."""
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


def _sounds(word: str) -> tuple[str, ...]:
    """The ``_CASES`` rows a word's last sound may take (two for a final и or у)."""
    last = word[-1]
    if last in "мнң":
        return ("nasal",)
    if last in "жзлрйьъ" or (last == "у" and len(word) > 1 and word[-2] in _VOWELS):
        return ("voiced",)
    if last in "иу":  # Баку, Сочи take the vowel's suffixes; оқу, ми a consonant's
        return ("vowel", "voiced")
    return ("vowel",) if last in _VOWELS else ("voiceless",)


def _plural(word: str) -> str:
    """The plural suffix: -лар after vowels and р й у, -дар after л м н ң ж з, else -тар."""
    if word[-1] in "лмнңжз":
        return "дар/дер"
    if _sounds(word) == ("voiceless",):
        return "тар/тер"
    return "лар/лер"


@functools.lru_cache(maxsize=256)
def _table(
    sounds: tuple[str, ...], plural: str, rows: tuple[Row, ...], short: bool
) -> frozenset[str]:
    """Every chain after a stem ending in ``sounds``: [plural] [possessive] [case]."""
    chains: list[str] = [""]
    for row in rows:
        for sound in sounds:
            chains += _cased(sound, row)
            chains += _possessed(sound == "vowel", row, short)
        after_plural = ("", *_cased("voiced", row), *_possessed(False, row, False))
        chains += [_spell(plural, row) + chain for chain in after_plural]
    return endings(tuple(chains))


@functools.lru_cache(maxsize=64)
def _changed_stem(consonant: str, rows: tuple[Row, ...], short: bool) -> frozenset[str]:
    """The possessive chains of a stem changed before them: кіта + б + ымыз, халқ + ымыз."""
    return prefixed(consonant, [chain for row in rows for chain in _possessed(False, row, short)])


@functools.lru_cache(maxsize=4)
def _possessed_cases(rows: tuple[Row, ...]) -> frozenset[str]:
    """The cases that follow a 3rd-person possessive, for a word that may end in one."""
    return endings(tuple(suffix for row in rows for suffix in _cased("third", row)))


@functools.lru_cache(maxsize=64)
def _possessed(after_vowel: bool, row: Row, short: bool) -> tuple[str, ...]:
    """Each possessive, alone and followed by each case: кітабым, кітабымның, кітабыма."""
    chains: list[str] = []
    for possessive in _POSSESSIVES:
        if short and possessive.personal:
            continue
        suffix = _spell(possessive.after_vowel if after_vowel else possessive.after_consonant, row)
        chains += [suffix, *(suffix + case for case in _cased(possessive.then, row))]
    return tuple(chains)


def _cased(sound: str, row: Row) -> tuple[str, ...]:
    """Each case suffix in ``row`` after ``sound`` (the nominative, nothing, is not here)."""
    return tuple(_spell(suffix, row) for suffix in _CASES[sound])


def _spell(suffix: str, row: Row) -> str:
    """The ``row`` spelling of a back/front ``suffix`` ("ның/нің"; "мен" is both)."""
    spellings = suffix.split("/")
    return spellings[row] if len(spellings) > 1 else suffix
