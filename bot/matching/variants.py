"""A name's spellings in other scripts and romanizations, for ``~Tokayev``. Pure.

Newsrooms spell the region's names in several ways: Tokayev, Tokaev, Токаев, Тоқаев and
Toqaev are one man. ``spellings(word)`` gives, for one folded query word, its spellings
as the matcher compares words (folded, ё as е, see ``bot.matching.tokens``), the word
itself first. Each spelling is then inflected in its own script when rules compile
(``bot.matching.presearch``).

Every word is read as a name in *Russian Cyrillic* and in *Kazakh Cyrillic*; the
spellings are both Cyrillic forms, the Russian form's romanizations and the Kazakh
form's 2021 Kazakh Latin spelling:

* Romanizations come from iuliia's maintained tables, the schemes newsrooms and
  documents use (``SCHEMES``): Wikipedia (Tokayev, Yeltsin), BGN/PCGN, ICAO Doc 9303
  (passports since 2014: Tokaev), MVD 782 (older passports: Mirziyoyev), Yandex Maps,
  ALA-LC without diacritics and GOST 7.79 system B (Kazaxstan). Schemes with diacritics
  (scientific, ISO 9, GOST 7.79 A) are left out: newsrooms do not type Šavkat. Soft and
  hard sign marks (El'tsin) are dropped, as an apostrophe would split the word.
* Kazakh 2021 Latin, letter for letter (``KAZAKH_LATIN``): ә ä, ғ ğ, қ q, ң ñ, ө ö,
  ұ ū, ү ü, і ı, и and й i, ы y, ж j, ш ş, ч ç, х and һ h, у u, ё io, ю iu, я ia.
  It is given folded both as written in lower case and capitalized, since "İ" folds
  to "i̇", not "i" (ilias, İlias), and "I" to "i", not "ı" (ıle, Ile).
* Russian to Kazakh Cyrillic is a heuristic: к and г become қ and ғ next to a back
  vowel (а о у ы; the vowel after them decides, else the one before), so Токаев gives
  Тоқаев and Кызылорда Қызылорда. What it cannot know is left alone: у stays у (Құлыбаев
  is reached as Қулибаев, a harmless non-word), х stays х, е stays е. One root the
  region writes daily is spelled out (``KAZAKH_ROOTS``): Казах- is Қазақ-, so
  Казахстан reaches Қазақстан and Qazaqstan.
* Kazakh to Russian Cyrillic is letter for letter: қ к, ғ г, ұ and ү у, ө о, ә а,
  і и, ң н, һ х (and the root back: Қазақстан gives Казахстан).

A Latin word is first read back into Cyrillic: a beam search (``MAX_CANDIDATES``
partial readings kept at each letter, so the work is linear in the word) over the
pieces the schemes write (kh х, yo ё, ye е, ...). The cheapest reading comes first:
each letter costs one, the rarer й ы э ё щ more, so fewer and longer pieces win
(Mirziyoyev is Мирзиёев before Мирзийоев); and none Russian spelling forbids (ы first
or after a vowel, й after a consonant or before a vowel but first, э but first). A
reading is kept only if some scheme writes it back as the very word written (Tokayev:
Токаев is Wikipedia's Tokayev; Токайев is nobody's), and a second one only if it costs
less than one letter more (Erdogan: Ердоган and Эрдоган; ``MAX_READINGS``). A word with
a letter only Kazakh Latin has (q ä ğ ı ñ ŋ ö ş ū ü ç) is read as Kazakh Latin
instead, against the 2021 table: Toqaev is Тоқаев.

What is not reached: a soft or hard sign a romanization dropped (Yeltsin reads back
as Елцин, not Ельцин: the Cyrillic word is reached only when written in Cyrillic), ё
written as е in Cyrillic (Мирзиеев romanizes as Mirzieev, not Mirziyoyev: write
Мирзиёев or Mirziyoyev), spellings no table makes (Jomart for Жомарт, h for х), and
Kazakh suffixes on Latin spellings (Toqaevtyñ): a Latin spelling takes English endings
only. A spelling that is not a real word costs nothing; one that is another common word
would, which is why short words get none.

No spellings for: acronyms and prefixes (decided by the caller), words with digits or
anything but Latin or Cyrillic letters, and words under ``MIN_LETTERS`` or over
``MAX_LETTERS`` letters. At most ``MAX_SPELLINGS`` spellings, so a word's forms stay few.
Results are cached per word, and iuliia is called only for words that ask for spellings.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Callable, Iterator

import iuliia

MIN_LETTERS = 3  # shorter words are particles, initials and units: their spellings collide
MAX_LETTERS = 40  # no name is longer; bounds the work for a long word
MAX_SPELLINGS = 24  # spellings of one word, the word itself included
MAX_READINGS = 2  # Cyrillic readings of a Latin word kept
MAX_CANDIDATES = 16  # partial readings kept at each letter of a Latin word

SCHEMES = (
    iuliia.WIKIPEDIA,
    iuliia.BGN_PCGN,
    iuliia.ICAO_DOC_9303,
    iuliia.MVD_782,
    iuliia.YANDEX_MAPS,
    iuliia.ALA_LC_ALT,
    iuliia.GOST_779_ALT,
)

KAZAKH_LATIN = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "c",
    "ч": "ç", "ш": "ş", "щ": "şç", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip
KAZAKH_ROOTS = {"казах": "қазақ"}  # Russian -> Kazakh, where the letters cannot tell

_TO_RUSSIAN = str.maketrans("қғұүөәіңһ", "кгууоаинх")
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_VOWELS = frozenset("аеёиоуыэюяәөұүі")
_BACK = frozenset("аоуы")
_RARE = frozenset("йыэёщ")  # readings of a Latin word that use them cost more
_SIGNS = re.compile("[ʹʺ'’`\"]")  # soft and hard sign marks of some schemes
_LATIN = re.compile("[a-zäçğıñŋöşūü]+")
_KAZAKH_LATIN_ONLY = re.compile("[qäçğıñŋöşūü]")
_CYRILLIC = re.compile("[а-яёәғқңөұүһі]+")

# The pieces a Russian romanization writes, read back: Latin -> Cyrillic letters, the
# likelier first. Pieces valid only at the end of a word are in ``_ENDINGS``.
_PIECES: dict[str, tuple[str, ...]] = {
    "a": ("а",), "b": ("б",), "v": ("в",), "g": ("г",), "d": ("д",), "e": ("е", "э"),
    "ye": ("е", "э"), "yo": ("ё",), "zh": ("ж",), "z": ("з",), "i": ("и", "й"),
    "y": ("ы", "й"), "j": ("й",), "k": ("к",), "kh": ("х",), "x": ("х",), "l": ("л",),
    "m": ("м",), "n": ("н",), "o": ("о",), "p": ("п",), "r": ("р",), "s": ("с",),
    "t": ("т",), "u": ("у",), "f": ("ф",), "ts": ("ц",), "c": ("ц",), "cz": ("ц",),
    "ch": ("ч",), "sh": ("ш",), "shch": ("щ",), "shh": ("щ",), "sch": ("щ",),
    "yu": ("ю",), "iu": ("ю",), "ya": ("я",), "ia": ("я",),
}  # fmt: skip
_ENDINGS: dict[str, tuple[str, ...]] = {
    "y": ("ий", "ый"), "iy": ("ий",), "yy": ("ый",), "ii": ("ий",), "yj": ("ый",),
}  # fmt: skip


def _read_back(table: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """``table`` inverted: each Latin piece and the Cyrillic letters written so."""
    pieces: dict[str, tuple[str, ...]] = {"ŋ": ("ң",)}  # some tables of 2021 write ң so
    for letter, latin in table.items():
        if latin and letter != "э":  # э is written as е: read back, it would only add noise
            pieces[latin] = (*pieces.get(latin, ()), letter)
    return pieces


_KAZAKH_PIECES = _read_back(KAZAKH_LATIN)


def has_spellings(word: str) -> bool:
    """Whether the folded ``word`` can have spellings (see the module docstring)."""
    word = _undotted(word)
    if not MIN_LETTERS <= len(word) <= MAX_LETTERS:
        return False
    return bool(_LATIN.fullmatch(word) or _CYRILLIC.fullmatch(word))


@functools.lru_cache(maxsize=16384)
def spellings(word: str) -> tuple[str, ...]:
    """The folded ``word`` and its spellings, at most ``MAX_SPELLINGS``; ``(word,)`` when
    it has none. ``word`` may keep ё (Мирзиёев), which romanizes differently from е."""
    if not has_spellings(word):
        return (_folded(word),)
    found = dict.fromkeys([_folded(word)])
    for russian, kazakh in _readings(_undotted(word)):
        found.update(dict.fromkeys(_spelled(russian, kazakh)))
        if len(found) >= MAX_SPELLINGS:
            break
    return tuple(found)[:MAX_SPELLINGS]


def _readings(word: str) -> list[tuple[str, str]]:
    """The word as (Russian Cyrillic, Kazakh Cyrillic) pairs, likeliest first."""
    if _CYRILLIC.fullmatch(word):
        if _KAZAKH_LETTERS.intersection(word):
            return [(to_russian(word), word)]
        return [(word, to_kazakh(word))]
    if _KAZAKH_LATIN_ONLY.search(word):
        kazakh = _read(word, _KAZAKH_PIECES, {}, lambda reading: kazakh_latin(reading) == word)
        return [(to_russian(reading), reading) for reading in kazakh]
    russian = _read(word, _PIECES, _ENDINGS, lambda reading: word in _romanized(reading))
    return [(reading, to_kazakh(reading)) for reading in russian]


def _spelled(russian: str, kazakh: str) -> Iterator[str]:
    """The spellings of a name whose Cyrillic forms are ``russian`` and ``kazakh``."""
    yield _folded(russian)
    yield _folded(kazakh)
    yield from _romanized(russian)
    latin = kazakh_latin(kazakh)
    yield latin
    yield _capitalized(latin).casefold()


def to_kazakh(russian: str) -> str:
    """The Kazakh Cyrillic guess for a Russian Cyrillic word (see the module docstring)."""
    for root, kazakh in KAZAKH_ROOTS.items():
        if russian.startswith(root):
            return kazakh + to_kazakh(russian[len(root) :])
    letters = list(russian)
    for i, letter in enumerate(russian):
        if letter in "кг" and _back(russian, i):
            letters[i] = "қ" if letter == "к" else "ғ"
    return "".join(letters)


def to_russian(kazakh: str) -> str:
    """The Russian Cyrillic spelling of a Kazakh Cyrillic word, letter for letter."""
    for russian, root in KAZAKH_ROOTS.items():
        if kazakh.startswith(root):
            return russian + to_russian(kazakh[len(root) :])
    return kazakh.translate(_TO_RUSSIAN)


def kazakh_latin(kazakh: str) -> str:
    """The 2021 Kazakh Latin spelling of a lower-case Cyrillic word."""
    return "".join(KAZAKH_LATIN.get(letter, letter) for letter in kazakh)


def _back(word: str, i: int) -> bool:
    """Whether the consonant at ``i`` sits by a back vowel: the next vowel, else the last."""
    after = word[i + 1 : i + 2]
    if after in _VOWELS:
        return after in _BACK
    return i > 0 and word[i - 1] in _BACK


@functools.lru_cache(maxsize=16384)
def _romanized(russian: str) -> tuple[str, ...]:
    """The distinct romanizations of a Russian Cyrillic word under ``SCHEMES``, folded."""
    found: dict[str, None] = {}
    for scheme in SCHEMES:
        latin = _SIGNS.sub("", scheme.translate(russian)).lower()
        if _LATIN.fullmatch(latin):  # a scheme that leaves a letter as it was is no help
            found[latin] = None
    return tuple(found)


def _read(
    word: str,
    pieces: dict[str, tuple[str, ...]],
    endings: dict[str, tuple[str, ...]],
    writes_back: Callable[[str], bool],
) -> list[str]:
    """The Cyrillic readings of the Latin ``word`` that ``writes_back`` accepts, of its
    ``MAX_CANDIDATES`` cheapest: the cheapest, and a second one only if it costs less
    than a letter more."""
    kept: list[tuple[float, str]] = []
    for cost, reading in _candidates(word, pieces, endings)[:MAX_CANDIDATES]:
        if kept and cost >= kept[0][0] + 1:
            break
        if writes_back(reading):
            kept.append((cost, reading))
            if len(kept) == MAX_READINGS:
                break
    return [reading for _, reading in kept]


def _candidates(
    word: str, pieces: dict[str, tuple[str, ...]], endings: dict[str, tuple[str, ...]]
) -> list[tuple[float, str]]:
    """Readings of the whole ``word`` with their costs, cheapest first.

    A beam search: at each letter, only the ``MAX_CANDIDATES`` cheapest readings of the
    word up to there are extended, so the work is linear in the word's length.
    """
    longest = max(map(len, [*pieces, *endings]))
    beams: list[list[tuple[float, str]]] = [[] for _ in range(len(word) + 1)]
    beams[0].append((0.0, ""))
    for start in range(len(word)):
        for cost, reading in heapq.nsmallest(MAX_CANDIDATES, beams[start]):
            for end in range(start + 1, min(len(word), start + longest) + 1):
                last = end == len(word)
                piece = word[start:end]
                for letters in pieces.get(piece, ()) + (endings.get(piece, ()) if last else ()):
                    if _allowed(reading, letters, last):
                        beams[end].append((cost + _cost(letters), reading + letters))
    return sorted(set(beams[-1]))


def _cost(letters: str) -> float:
    """A reading's cost: its letters, rarer ones more (fewer, longer pieces win)."""
    return sum(1.5 if letter in _RARE else 1.0 for letter in letters)


_NO_YERY = frozenset("гкхжшчщ")  # Russian writes и after these, never ы


def _allowed(before: str, letters: str, last: bool) -> bool:
    """Whether Russian spelling allows ``letters`` after ``before`` (``last``: at the end).

    ы never starts a word or follows a vowel or г к х ж ш ч щ (Zelensky is Зеленский, not
    Зеленскы); й follows a vowel, or starts a word before one (Йошкар), and is never
    followed by a vowel elsewhere; э only starts a word.
    """
    word = before + letters
    for i in range(len(before), len(word)):
        letter, previous = word[i], word[i - 1] if i else ""
        if letter == "ы" and (not previous or previous in _VOWELS or previous in _NO_YERY):
            return False
        if letter == "й" and previous and previous not in _VOWELS:
            return False
        if letter == "э" and previous:
            return False
        if previous == "й" and (letter in _VOWELS) != (i == 1):
            return False
    return not (last and word == "й")


def _folded(word: str) -> str:
    """``word`` compared as the matcher compares text words: folded, ё as е."""
    return word.casefold().replace("ё", "е")


def _undotted(word: str) -> str:
    """``word`` with the dot that folding "İ" leaves (i̇) removed."""
    return word.replace("i\u0307", "i")


def _capitalized(latin: str) -> str:
    """A Kazakh Latin word with a capital: i is İ and ı is I, as in Turkish."""
    first = {"i": "İ", "ı": "I"}.get(latin[:1], latin[:1].upper())
    return first + latin[1:]
