"""Russian declension of nouns, names and adjectives, chosen by how the written form ends.

These tables serve the words the dictionary does not know (``dictionary`` serves the rest):
names above all, such as Токаев or Мирзиёев.

The word is taken to be written in its dictionary form (nominative singular; for a
plural-only noun, nominative plural), and the paradigms its ending allows are all used:
"-ий" may be an adjective (Средний) or a noun (Дмитрий), "-ь" masculine (Кремль) or
feminine (нефть). A form that exists in no paradigm of the word is harmless, since it
occurs in no text; the tables only avoid endings that would make another real word.

* consonant: masculine nouns (Росатом, коридор, Токаев) with names in -ов/-ев/-ин/-ын
  also taking -ым (Токаевым) and the feminine -а/-ой/-у (Токаевой); a fleeting vowel
  in -ок/-ец (рынок -> рынка, отец -> отца)
* -а, -я, -ия: feminine nouns (Астана -> Астаны, Астане, Астаной; Россия -> России)
* -о, -е, -ие: neuter nouns (государство, соглашение)
* -ь, -й: soft nouns (Кремль -> Кремля, нефть -> нефтью; Китай -> Китая)
* -ый, -ий, -ой, -ая, -ее ...: adjectives, hard and soft endings together, since after
  г к х ж ш ч щ spelling mixes them (атомная -> атомной, атомные; Средний -> Среднего)
* -ы, -и: a plural (санкции -> санкций, переговоры -> переговоров)

The genitive plural with no ending (санкций, сделок, стран) is left out for names, so a
rule on "Валентина" does not match "Валентин" nor "Газа" match "газ". Verbs are not
inflected. Other endings (-у, -ю, -и of indeclinable names) keep the word as written.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.matching.inflection.stems import EXACT, Stem, endings, prefixed

MIN_STEM = 2
VOWELS = frozenset("аеиоуыэюя")
_SIBILANT = frozenset("жшчщ")
_VELAR = frozenset("гкх")

_ADJECTIVE: tuple[str, ...] = ("ый", "ий", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем")
_ADJECTIVE += ("ая", "яя", "ей", "ую", "юю", "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими")
_MASCULINE = ("", "а", "у", "ом", "е", "ов", "ам", "ами", "ах")
_NAME = ("ым", "ой", "ых", "ыми")  # -ов/-ев/-ин surnames: Путиным, Путиной, Путиных
_FEMININE = ("а", "е", "у", "ой", "ою", "ам", "ами", "ах")
_SOFT = ("ь", "я", "ю", "ем", "е", "и", "ей", "ям", "ями", "ях", "ью")
_SOFT_SIBILANT = ("ам", "ами", "ах")  # ночь -> ночам
_YA = ("я", "и", "е", "ю", "ей", "ею", "ям", "ями", "ях")
_IYA = ("ия", "ии", "ию", "ией", "иею", "иям", "иями", "иях")
_IE = ("ие", "ия", "ию", "ием", "ии", "иям", "иями", "иях")
_NEUTER = ("о", "а", "у", "ом", "е", "ам", "ами", "ах")
_NEUTER_E = ("е", "я", "ю", "ем", "ей", "ям", "ями", "ях")
_J = ("й", "я", "ю", "ем", "е", "и", "ев", "ям", "ями", "ях")  # Китай, музей, герой
_SURNAME_ENDS = ("ов", "ев", "ин", "ын")

Paradigm = Callable[[str, bool], list[Stem]]  # (stem before the ending, proper) -> stems


def russian(word: str, *, proper: bool) -> list[Stem]:
    """The stems of a folded Russian ``word``; ``proper`` for a capitalized name."""
    for size in (3, 2, 1):  # the longest ending decides
        paradigms = _BY_ENDING.get(word[-size:])
        if paradigms is not None and len(word) - size >= MIN_STEM:
            stem = word[:-size]
            return [pair for paradigm in paradigms for pair in paradigm(stem, proper)]
    if word[-1] in VOWELS or word[-1] in "йъ":
        return [(word, EXACT)]  # indeclinable: Баку, Шойгу, Сочи-like loans
    return _masculine(word, proper)


def _masculine(stem: str, proper: bool) -> list[Stem]:
    last = stem[-1]
    extra = ("ем", "ей") if last in _SIBILANT else ("ем", "ев") if last == "ц" else ()
    names = _NAME if stem.endswith(_SURNAME_ENDS) else ()
    table = endings(_MASCULINE, (_plural_i(last),), extra, names)
    pairs = [(stem, table)]
    if (len(stem) > 4 and stem.endswith("ок")) or (len(stem) > 3 and stem.endswith("ец")):
        pairs.append((stem[:-2], prefixed(stem[-1], table - EXACT)))  # рынка, отца
    return pairs


def _feminine(stem: str, proper: bool) -> list[Stem]:
    last = stem[-1]
    extra = ("ей", "ею") if last in _SIBILANT or last == "ц" else ()
    table = endings(_FEMININE, (_plural_i(last),), extra)
    if proper or len(stem) < 4:
        return [(stem, table)]
    if last == "к" and stem[-2] not in VOWELS:  # сделка -> сделок
        return _fleeting_k(stem, table)
    return [(stem, endings(_FEMININE, (_plural_i(last), ""), extra))]


def _fleeting_k(stem: str, table: frozenset[str]) -> list[Stem]:
    """A genitive plural with a vowel inserted before the "к": сделок, девушек, копеек."""
    before = stem[-2]
    if before in "йь":
        return [(stem[:-2], prefixed(before + "к", table) | {"ек"})]
    vowel = "е" if before in _SIBILANT else "о"
    return [(stem[:-1], prefixed("к", table) | {vowel + "к"})]


def _ya(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_YA) if proper else endings(_YA, ("ь",)))]


def _iya(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_IYA) if proper else endings(_IYA, ("ий",)))]


def _ie(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_IE) if proper else endings(_IE, ("ий",)))]


def _neuter(stem: str, proper: bool) -> list[Stem]:
    bare = () if proper or len(stem) < 4 else ("",)
    return [(stem, endings(_NEUTER, bare))]


def _neuter_e(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_NEUTER_E, _FEMININE if stem[-1] == "ц" else ()))]


def _soft(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_SOFT, _SOFT_SIBILANT if stem[-1] in _SIBILANT else ()))]


def _adjective(stem: str, proper: bool) -> list[Stem]:
    return [(stem, endings(_ADJECTIVE))]


def _j(vowel: str) -> Paradigm:
    """Nouns in -й after ``vowel``: the stem keeps the vowel (Кита-й, музе-й, геро-й)."""
    return lambda stem, proper: [(stem, prefixed(vowel, _J))]


def _plural(stem: str, proper: bool) -> list[Stem]:
    """A plural in -и: the singular may be masculine, feminine or soft.

    A name in -и is taken as indeclinable (Сочи, Тбилиси) rather than as a plural.
    """
    if proper:
        return [(stem + "и", EXACT)]
    if stem[-1] in _VELAR or stem[-1] in _SIBILANT or stem[-1] not in "нлртдсзмвбпф":
        return [*_masculine(stem, proper), *_feminine(stem, proper)]
    return [*_soft(stem, proper), *_ya(stem, proper)]


def _plural_hard(stem: str, proper: bool) -> list[Stem]:
    """A plural in -ы (переговоры); a name in -ы is indeclinable (Алматы)."""
    if proper:
        return [(stem + "ы", EXACT)]
    return [*_masculine(stem, proper), *_feminine(stem, proper)]


def _plural_i(last: str) -> str:
    """The plural ending: "и" after г к х ж ш ч щ, where Russian spelling forbids "ы"."""
    return "и" if last in _VELAR or last in _SIBILANT else "ы"


def _with_consonant(ending: str) -> Paradigm:
    """An adjective ending that ends in a consonant may also end a noun (режим, Ибрагим)."""
    return lambda stem, proper: _masculine(stem + ending, proper)


# Each ending maps to the paradigms a word written with it may belong to.
_BY_ENDING: dict[str, tuple[Paradigm, ...]] = {
    "ого": (_adjective,),
    "его": (_adjective,),
    "ому": (_adjective,),
    "ему": (_adjective,),
    "ыми": (_adjective,),
    "ими": (_adjective,),
    "ия": (_iya,),
    "ии": (_iya, _ie),
    "ие": (_ie, _adjective),
    "ий": (_adjective, _j("и")),
    "ой": (_adjective, _j("о")),
    "ей": (_adjective, _j("е")),
    "ый": (_adjective,),
    "ая": (_adjective,),
    "яя": (_adjective,),
    "ое": (_adjective,),
    "ее": (_adjective,),
    "ые": (_adjective,),
    "ую": (_adjective,),
    "юю": (_adjective,),
    "ым": (_adjective, _with_consonant("ым")),
    "им": (_adjective, _with_consonant("им")),
    "ых": (_adjective, _with_consonant("ых")),
    "их": (_adjective, _with_consonant("их")),
    "ай": (_j("а"),),
    "яй": (_j("я"),),
    "уй": (_j("у"),),
    "а": (_feminine,),
    "я": (_ya,),
    "о": (_neuter,),
    "е": (_neuter_e,),
    "ь": (_soft,),
    "ы": (_plural_hard,),
    "и": (_plural,),
}
