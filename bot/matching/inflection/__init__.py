"""The surface forms a query word can take in a text: inflection without stemming the text.

Stemming or lemmatizing both the query and the text fails on proper nouns, which are most
of what people watch: a stemmer cuts "Росатом" to "росат" but "Росатома" to "росатом", and
a dictionary lemmatizer that does not know "Токаев" reads it as a form of "токай". So the
text is never stemmed. Instead each query word is expanded, when rules compile, into the
forms it can take, and a text word matches when it is one of them, as a whole word.

A word's forms are given as *stems*: pairs ``(stem, endings)``, the forms being the stem
followed by any one of the endings (``""`` is the word itself). The matcher's presearch
looks for each stem at the start of a text word and then checks the rest of the word
against the endings, so neither the forms nor the text are ever enumerated.

Which endings a word takes depends on its script and on how it ends:

* Latin: English plural and third-person ``-s``/``-es``/``-ies``. Possessives need no
  forms: "Tokayev's" is the words "Tokayev" and "s" (see ``bot.matching.tokens``).
* Cyrillic: the Russian forms of the word's lexeme in the OpenCorpora dictionary
  (``dictionary``), or for a word it does not know, declension by the ending of the form
  written (``russian``); and Kazakh plural, possessive and case suffixes with vowel
  harmony (``kazakh``), since Kazakh text puts Kazakh suffixes on Russian-spelled names
  (Путинмен, Росатоммен). A word written with a letter only Kazakh has (ә ғ қ ң ө ұ ү һ і)
  gets the Kazakh suffixes only. Some forms match only as the text writes them
  (``cased``): a name's forms that the dictionary also knows as common words only
  capitalized, a common word's forms that it also knows as names only in lower case.
* Acronyms (two or more capitals, no lower case) do not inflect, except that a Latin
  acronym may take a plural "s" (NGOs); Kazakh writes suffixes after a hyphen (ОДКБ-ның),
  which already makes them a word of their own.
* ``=exact`` words, prefixes (``Kazakh*``), words with digits and words under three
  letters take no endings.

Derivations are not inflections: no table has "-ic", "-ism", "-ский", "-лық" and the like,
so "Rosatomic", "Putinism", "Казахстанский" or "Қазақстандық" never match a shorter word.
"""

from __future__ import annotations

import functools
import re

from bot.matching.inflection import dictionary
from bot.matching.inflection.dictionary import Expansion, lexeme, unknown
from bot.matching.inflection.english import english
from bot.matching.inflection.kazakh import kazakh
from bot.matching.inflection.russian import russian
from bot.matching.inflection.stems import EXACT, Stem, merge

__all__ = ["Stem", "cache_clear", "cased", "forms", "stems"]

MIN_INFLECTED = 3  # shorter words are particles, units and initials: they do not inflect
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_PLURAL_S = frozenset({"", "s"})
_LATIN = re.compile("[a-z\u00c0-\u024f]+")
_CYRILLIC = re.compile("[\u0400-\u04ff]+")


def stems(word: str, *, acronym: bool = False, proper: bool = False) -> tuple[Stem, ...]:
    """The stems of the folded query ``word``; ``proper`` if it was written capitalized.

    Pure and cached: the same word in a thousand rules is expanded once.
    """
    return _expanded(word, acronym, proper).stems


def cased(word: str, *, proper: bool = False) -> tuple[frozenset[str], frozenset[str]]:
    """The forms among ``stems(word, proper=proper)`` that match a text word only when it
    is written with a capital (a name's forms that are also common words: "лавровым"),
    and those that match only without one (a common word's forms that are also names:
    "газа", "Газа")."""
    expansion = _expanded(word, False, proper)
    return expansion.upper, expansion.lower


@functools.lru_cache(maxsize=65536)
def _expanded(word: str, acronym: bool, proper: bool) -> Expansion:
    if acronym:
        return Expansion(((word, _PLURAL_S if _latin(word) else EXACT),))
    if len(word) < MIN_INFLECTED or not word.isalpha():
        return Expansion(((word, EXACT),))
    if _latin(word):
        return Expansion(merge(english(word)))
    if not _cyrillic(word):
        return Expansion(((word, EXACT),))
    if _KAZAKH_LETTERS.intersection(word):
        return Expansion(merge(kazakh(word)))
    known = lexeme(word, proper=proper)
    russian_forms = known or unknown(word, russian(word, proper=proper), proper=proper)
    return russian_forms._replace(stems=merge([*russian_forms.stems, *kazakh(word)]))


def forms(word: str, *, acronym: bool = False, proper: bool = False) -> frozenset[str]:
    """Every form of ``word`` (for tests and for people reading a rule's reach)."""
    pairs = stems(word, acronym=acronym, proper=proper)
    return frozenset(stem + ending for stem, endings in pairs for ending in endings)


def cache_clear() -> None:
    """Forget every word expanded so far, as a fresh process would (for measurements)."""
    _expanded.cache_clear()
    dictionary.cache_clear()


def _latin(word: str) -> bool:
    return _LATIN.fullmatch(word) is not None


def _cyrillic(word: str) -> bool:
    return _CYRILLIC.fullmatch(word) is not None
