"""Russian word forms from the OpenCorpora dictionary, through pymorphy3.

A Russian query word the dictionary knows is expanded into the forms of its lexeme, as
the dictionary lists them, rather than by the ending tables of ``russian``: the
dictionary knows fleeting vowels (посол -> посла, лёд -> льда, день -> дня), irregular
nouns (мать -> матери, путь -> пути, человек -> люди) and which words are names.

Which lexeme: the word is taken as written in its dictionary form, so only analyses in
the nominative (singular, or plural for a plural written) of a noun, a full adjective or
a participle count. A capitalized word prefers a name, surname, patronymic, place or
organization, however rare (``Песков``, though "песков" is more often sand; ``Газа``); a
word in lower case prefers a common word, and only as the likeliest reading of its
letters, but takes a name if that is all there is (``песков``). A word in no nominative
at all (``Токаев``, to the dictionary a plural of "токай"; ``санкций``; ``Мира``, which
as a common word is only the rare plural of "миро") keeps the ending tables, as does a
consonant-final name the dictionary has only as an indeclinable woman's (Ерлан). A word
the dictionary knows only as another part of speech (a verb, a preposition) does not
inflect: verbs never did.

Nouns and names take all their case and number forms (a surname also its feminine and
plural: Путина, Путиной, Путиных), adjectives their full forms in every case, gender and
number, participles those of their own tense and voice; short forms and comparatives are
other words. A lexeme never holds a derived word, so Росатом does not reach
"росатомовский" nor Путин "путинизм".

Homographs: a form the dictionary says is more likely another word of the same kind (a
common word for a common word, a name for a name) is dropped, since most texts that
contain it mean that word. ``посол`` does not match "после" (most likely the
preposition), ``сталь`` not "стали" (most likely the verb), ``Валентина`` not "Валентин".
Between a name and a common word the text's capitals decide (``Expansion``): a name's
forms that are also common words match only capitalized (``Лавров`` matches "с
Лавровым", not "с лавровым листом"), a common word's forms that are also names only in
lower case (``газ`` matches "поставки газа", not "сектор Газа"). The word as written
always stays, in any case. A rule that means the other reading writes the form itself,
``=стали``. The same goes for the ending tables' forms of a word the dictionary does not
know (``unknown``): one the dictionary knows is another word's.

The dictionary (about 15 MB, 0.1 s) is loaded once per process, on the first Russian word
it is asked about, so rules without Russian words never load it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from typing import Any, NamedTuple

from bot.matching.inflection.stems import EXACT, Stem, endings

GROUP = 3  # forms are grouped into stems by their first letters: человек and люди apart
_NAMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
_INFLECTED = frozenset({"NOUN", "ADJF", "PRTF"})
NAME, COMMON = "name", "common"  # what a likelier reading of a form is
_VOWELS = frozenset("аеёиоуыэюя")
_LOCK = threading.Lock()

Analysis = Any  # pymorphy3's Parse, which carries no type information


class Expansion(NamedTuple):
    """A word's stems, and the forms among them that match only as the text writes them:
    ``upper`` with a capital (or in capitals), ``lower`` without one (see ``lexeme``)."""

    stems: tuple[Stem, ...]
    upper: frozenset[str] = frozenset()
    lower: frozenset[str] = frozenset()


def lexeme(word: str, *, proper: bool) -> Expansion | None:
    """The stems of the folded Russian ``word`` from the dictionary; None if it does not
    know the word (or knows it only as another case of some other word, for a name).

    A form more likely another word of its kind (a name for a name, a common word for a
    common word) is dropped. The text's capitals tell a name from a common word, so for a
    capitalized word (``proper``) a form that is also a common word matches only
    capitalized ("Лавровым" is Lavrov, "лавровым" the bay-leaf adjective; "путина" is the
    fishing season), and for a word in lower case a form that is also a name matches only
    in lower case (``газ``: "газа" is gas, "Газа" the Gaza Strip).
    """
    return _lexeme(word, proper)


@functools.lru_cache(maxsize=65536)
def _lexeme(word: str, proper: bool) -> Expansion | None:
    known = _analyses(word)
    if not known:
        return None
    chosen = _chosen(known, proper)
    if chosen is None or _indeclinable_name(word, chosen):
        if chosen or any(parse.tag.POS in _INFLECTED for parse in known):
            return None
        return Expansion(((word, EXACT),))  # a verb, a preposition: no forms
    forms = frozenset({word}).union(*map(_forms, chosen))
    homographs = _Homographs(chosen, forms)
    dropped: set[str] = set()
    upper: set[str] = set()
    lower: set[str] = set()
    for form in forms - {word}:
        rival, common, name = homographs.others(form)
        if rival == (NAME if proper else COMMON):
            dropped.add(form)
        elif proper and common:
            upper.add(form)
        elif not proper and name:
            lower.add(form)
    return Expansion(_as_stems(forms - dropped), frozenset(upper), frozenset(lower))


def unknown(word: str, pairs: Iterable[Stem], *, proper: bool) -> Expansion:
    """``pairs`` (from the ending tables, for a ``word`` the dictionary lacks), where a form
    the dictionary knows is another word's: dropped, or for a capitalized word kept, to
    match only capitalized if it may be a common word. The tables give the name "Мира" the
    form "мире", which is the world's.
    """
    morph = analyzer()
    kept: list[Stem] = []
    upper: set[str] = set()
    for stem, group in pairs:
        allowed = []
        for end in group:
            form = stem + end
            if form == word or not morph.word_is_known(form):
                allowed.append(end)
            elif proper:  # "пескова": perhaps this very name; a common word's if lower case
                allowed.append(end)
                if not _only_names(form):
                    upper.add(form)
        if allowed:
            kept.append((stem, endings(tuple(sorted(allowed)))))
    return Expansion(tuple(kept), frozenset(upper))


def _analyses(word: str) -> list[Analysis]:
    """The dictionary's readings of ``word``, likeliest first, but abbreviated adjectives:
    "порт" is also the indeclinable "порт." (портовый), which no rule means and whose
    readings in every case would outweigh the noun. Abbreviated nouns (вуз, МИД) stay."""
    return [
        parse
        for parse in analyzer().parse(word)
        if parse.is_known and ("Abbr" not in parse.tag or parse.tag.POS == "NOUN")
    ]


def _only_names(form: str) -> bool:
    """Whether the dictionary knows ``form`` only as forms of names, surnames or places."""
    return all(_NAMES & parse.tag.grammemes for parse in _analyses(form))


def _chosen(known: list[Analysis], proper: bool) -> list[Analysis] | None:
    """The analyses whose lexemes a word stands for; None if none fits how it is written.

    A name counts however rare (a capitalized "Газа" is the place, though "газа" is more
    often gas; "Песков" the surname, though "песков" is more often sand); a common word only
    as a likeliest reading: "Мира" is far more often the genitive of "мир" than the plural of
    "миро", so as a name it is one the dictionary lacks. A word in no nominative at all
    (``токаев``, to the dictionary a genitive of "токай"; ``санкций``) keeps the tables.
    """
    weights = _weights(known)
    best = max(weights.values())
    likely = [parse for parse in known if weights[_identity(parse)] >= best]
    nominative = [parse for parse in known if _inflected(parse) and parse.tag.case == "nomn"]
    names = [parse for parse in nominative if _NAMES & parse.tag.grammemes]
    if names:  # the likeliest of them: "Алматы" is the city, not two men named Алмат
        top = max(weights[_identity(parse)] for parse in names)
        names = [parse for parse in names if weights[_identity(parse)] >= top]
    common = [p for p in nominative if not _NAMES & p.tag.grammemes if p in likely]
    if proper:
        return names or common or None
    return common or names or None


def _indeclinable_name(word: str, chosen: list[Analysis]) -> bool:
    """Whether the dictionary has ``word`` only as an indeclinable name though it ends in a
    consonant: a woman's name, where a man's declines (Ерлан, Эммануэль), so the tables
    serve it better."""
    if word[-1] in _VOWELS:
        return False
    return all("Fixd" in parse.tag and _NAMES & parse.tag.grammemes for parse in chosen)


def _inflected(parse: Analysis) -> bool:
    return parse.tag.POS in _INFLECTED


@functools.lru_cache(maxsize=16384)
def _forms(parse: Analysis) -> frozenset[str]:
    """The forms of ``parse``'s lexeme in its own part of speech (for a participle, also its
    own tense and voice: задержанный, not задерживающий), ё written as е."""
    kind = _kind(parse.tag)
    stack = parse.methods_stack
    if len(stack) != 1 or len(stack[0]) != 4:  # not a plain dictionary word: the slow way
        return frozenset(_plain(form.word) for form in parse.lexeme if _kind(form.tag) == kind)
    _, fixed, paradigm, index = stack[0]  # what ``parse.lexeme`` reads, without its objects
    words = analyzer().dictionary
    stem = words.build_stem(words.paradigms[paradigm], index, fixed)
    return frozenset(
        _plain(pre + stem + post) for pre, each, post in _paradigm(paradigm) if each == kind
    )


@functools.lru_cache(maxsize=8192)
def _paradigm(paradigm: int) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """A paradigm's forms: the prefix, ``_kind`` and suffix around the stem of each."""
    info = analyzer().dictionary.build_paradigm_info(paradigm)
    return tuple((prefix, _kind(tag), suffix) for prefix, tag, suffix in info)


def _kind(tag: Any) -> tuple[str, ...]:
    """What forms of one lexeme share: the part of speech, and a participle's tense and
    voice."""
    if tag.POS == "PRTF":
        return (str(tag.POS), str(tag.tense), str(tag.voice))
    return (str(tag.POS),)


def _plain(word: str) -> str:
    """A dictionary word as matching compares it: ё is е."""
    return word.replace("ё", "е")


class _Homographs:
    """Tells whether a form of the chosen lexemes is, by the dictionary's estimate, at least
    as likely theirs as any other single word's.

    An adjective used as a noun is the adjective: "среднем" is most often a form of the
    noun "среднее", which is the adjective "средний" too. Most forms have no other reading
    at all, which the paradigms they are found in tell without estimating anything.
    """

    def __init__(self, chosen: list[Analysis], forms: frozenset[str]) -> None:
        self._ours = {_identity(parse) for parse in chosen}
        self._adjective = any(parse.tag.POS in ("ADJF", "PRTF") for parse in chosen)
        self._forms = forms
        stacks = [parse.methods_stack[0] for parse in chosen]
        self._paradigms = {stack[2] for stack in stacks if len(stack) == 4}

    def others(self, form: str) -> tuple[str | None, bool, bool]:
        """What else ``form`` may be: the kind of the word it more likely is (``NAME``, a
        name, surname or place; ``COMMON``, any other word; None if it is most likely the
        chosen word), and whether some other reading is a common word, and a name."""
        if _paradigms(form) <= self._paradigms:
            return None, False, False
        analyses = _analyses(form)
        names = {_identity(parse) for parse in analyses if _NAMES & parse.tag.grammemes}
        mine, other, rival = 0.0, 0.0, COMMON
        common = name = False
        for reading, weight in _weights(analyses).items():
            if self._own(*reading):
                mine = max(mine, weight)
                continue
            name = name or reading in names
            common = common or reading not in names
            if weight > other:
                other, rival = weight, NAME if reading in names else COMMON
        return (None if mine >= other else rival), common, name

    def _own(self, normal: str, pos: str) -> bool:
        if (normal, pos) in self._ours or pos == "PRTF":  # "погибших": the participle too
            return True
        return self._adjective and pos == "NOUN" and normal in self._forms


def _paradigms(form: str) -> set[int]:
    """The paradigms of every word the dictionary has ``form`` in, looked up directly.

    A form in no paradigm but those of the chosen lexemes has no other reading: two
    words of one paradigm share a form only if they share its stem, and so are one word.
    """
    morph = analyzer()
    places = morph.dictionary.words.similar_item_values(form, morph.char_substitutes)
    return {paradigm for found in places for paradigm, _ in found}


def _weights(analyses: Iterable[Analysis]) -> dict[tuple[str, str], float]:
    """How likely each lexeme is, given analyses of one written word."""
    weights: dict[tuple[str, str], float] = {}
    for parse in analyses:
        key = _identity(parse)
        weights[key] = weights.get(key, 0.0) + parse.score
    return weights


def _identity(parse: Analysis) -> tuple[str, str]:
    """A lexeme, as far as homographs go: its dictionary form and part of speech."""
    return (_plain(parse.normal_form), str(parse.tag.POS))


def _as_stems(forms: Iterable[str]) -> tuple[Stem, ...]:
    """Forms grouped by their first ``GROUP`` letters, each group a stem and its endings."""
    groups: dict[str, list[str]] = {}
    for form in forms:
        groups.setdefault(form[:GROUP], []).append(form)
    stems: list[Stem] = []
    for group in groups.values():
        stem = _common_prefix(group)
        stems.append((stem, endings(tuple(sorted(form[len(stem) :] for form in group)))))
    return tuple(stems)


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


def cache_clear() -> None:
    """Forget the words expanded so far; the dictionary itself stays loaded."""
    _lexeme.cache_clear()
    _forms.cache_clear()
    _paradigm.cache_clear()


def loaded() -> bool:
    """Whether this process has loaded the dictionary."""
    return _load.cache_info().currsize > 0


def analyzer() -> Any:
    """The process's one ``pymorphy3.MorphAnalyzer``, loaded on first use."""
    with _LOCK:
        return _load()


@functools.cache
def _load() -> Any:
    import pymorphy3  # here: about 0.1 s and 15 MB, spent only for Russian rules

    return pymorphy3.MorphAnalyzer(lang="ru")
