"""Kazakh suffix chains, [plural] [possessive] [case], through the real matcher.

Each case is a query term and a text word the term must (or must not) match as a rule.
The shapes covered: plural alone, each possessive person alone, each case alone,
plural + possessive, possessive + case for each person, plural + possessive + case, and
the locative-attributive -дағы after each; back and front words ending in a vowel, a
voiced, voiceless or nasal consonant, or к қ п (which voice before a possessive);
Russian-spelled names, which take both harmony rows. Derivations never match.
"""

from __future__ import annotations

import pytest

from bot.matching import Matcher, RuleSet
from bot.matching.inflection import forms, stems
from bot.models import Entry


def matches(term: str, text: str) -> bool:
    entry = Entry("feed", "key", title=text, link="https://x/1", story="s")
    return bool(Matcher([RuleSet("kk", (term,))]).match(entry))


def pairs(cases: list[tuple[str, str]]) -> pytest.MarkDecorator:
    """Parametrize a test over (term, text) pairs."""
    return pytest.mark.parametrize(
        ("term", "text"), cases, ids=[f"{term}-{text}" for term, text in cases]
    )


PLURAL = [
    ("Астана", "Астаналар"),  # after a vowel: -лар
    ("министр", "министрлер"),  # after р: -лер
    ("дрон", "дрондар"),  # after a nasal: -дар
    ("дәліз", "дәліздер"),  # after з: -дер
    ("кітап", "кітаптар"),  # after a voiceless consonant: -тар
    ("мемлекет", "мемлекеттер"),
    ("Тоқаев", "Тоқаевтар"),  # a final в is voiceless
]

POSSESSIVE = [
    # 1sg: -ым/-ім, -м after a vowel
    ("кітап", "кітабым"),
    ("көлік", "көлігім"),
    ("Астана", "Астанам"),
    ("бөлме", "бөлмем"),
    # 2sg: -ың/-ің, -ң
    ("кітап", "кітабың"),
    ("көлік", "көлігің"),
    ("Астана", "Астанаң"),
    # polite 2sg: -ыңыз/-іңіз, -ңыз/-ңіз
    ("кітап", "кітабыңыз"),
    ("көлік", "көлігіңіз"),
    ("Астана", "Астанаңыз"),
    ("бөлме", "бөлмеңіз"),
    # 3rd person: -ы/-і, -сы/-сі
    ("кітап", "кітабы"),
    ("көлік", "көлігі"),
    ("Астана", "Астанасы"),
    ("бөлме", "бөлмесі"),
    # 1pl: -ымыз/-іміз, -мыз/-міз
    ("Қазақстан", "Қазақстанымыз"),
    ("білім", "біліміміз"),
    ("Астана", "Астанамыз"),
    ("бөлме", "бөлмеміз"),
]

# the nominative is the word itself; then genitive, accusative, dative, locative,
# ablative, instrumental and locative-attributive, by the sound the word ends in
CASE = [
    *[("Астана", "Астана" + s) for s in ("", "ның", "ны", "ға", "да", "дан", "мен", "дағы")],
    *[("Ақтөбе", "Ақтөбе" + s) for s in ("нің", "ні", "ге", "де", "ден", "мен", "дегі")],
    *[("Қазақстан", "Қазақстан" + s) for s in ("ның", "ды", "ға", "да", "нан", "мен", "дағы")],
    *[("білім", "білім" + s) for s in ("нің", "ді", "ге", "де", "нен", "мен", "дегі")],
    *[("Тараз", "Тараз" + s) for s in ("дың", "ды", "ға", "да", "дан", "бен", "дағы")],
    *[("дәліз", "дәліз" + s) for s in ("дің", "ді", "ге", "де", "ден", "бен", "дегі")],
    *[("Қытай", "Қытай" + s) for s in ("дың", "ды", "ға", "да", "дан", "мен", "дағы")],
    *[("Ақтау", "Ақтау" + s) for s in ("дың", "ды", "ға", "да", "дан", "мен", "дағы")],
    *[("Балқаш", "Балқаш" + s) for s in ("тың", "ты", "қа", "та", "тан", "пен", "тағы")],
    *[("Ертіс", "Ертіс" + s) for s in ("тің", "ті", "ке", "те", "тен", "пен", "тегі")],
    # к қ п stay voiceless before a consonant
    *[("кітап", "кітап" + s) for s in ("тың", "ты", "қа", "та", "тан", "пен", "тағы")],
    *[("Құрық", "Құрық" + s) for s in ("тың", "ты", "қа", "та", "тан", "пен", "тағы")],
]

PLURAL_POSSESSIVE = [
    ("кітап", "кітаптарым"),
    ("кітап", "кітаптарың"),  # 2pl informal
    ("кітап", "кітаптарыңыз"),  # 2pl polite
    ("министр", "министрлері"),
    ("мемлекет", "мемлекеттеріміз"),
    ("Астана", "Астаналарымыз"),
]

POSSESSIVE_CASE = [
    # after 1sg: -ның, -ды, -а, -да, -нан, -мен, -дағы
    *[("кітап", "кітабым" + s) for s in ("ның", "ды", "а", "да", "нан", "мен", "дағы")],
    *[("көлік", "көлігім" + s) for s in ("нің", "ді", "е", "де", "нен", "мен", "дегі")],
    ("Астана", "Астанама"),
    # after 2sg: the same
    *[("кітап", "кітабың" + s) for s in ("ның", "ды", "а", "да", "нан", "мен", "дағы")],
    *[("көлік", "көлігің" + s) for s in ("нің", "ді", "е", "де", "нен", "мен", "дегі")],
    ("Қазақстан", "Қазақстаныңның"),
    # after polite 2sg: -дың, -ды, -ға, -да, -дан, -бен, -дағы
    *[("кітап", "кітабыңыз" + s) for s in ("дың", "ды", "ға", "да", "дан", "бен", "дағы")],
    *[("көлік", "көлігіңіз" + s) for s in ("дің", "ді", "ге", "де", "ден", "бен", "дегі")],
    # after 3rd person: -ның, -н, -на, -нда, -нан, -мен, -ндағы
    *[("кітап", "кітабы" + s) for s in ("ның", "н", "на", "нда", "нан", "мен", "ндағы")],
    *[("көлік", "көлігі" + s) for s in ("нің", "н", "не", "нде", "нен", "мен", "ндегі")],
    *[("Астана", "Астанасы" + s) for s in ("ның", "н", "на", "нда", "нан", "мен", "ндағы")],
    # after 1pl: -дың, -ды, -ға, -да, -дан, -бен, -дағы
    *[("Қазақстан", "Қазақстанымыз" + s) for s in ("дың", "ды", "ға", "да", "дан", "бен")],
    *[("жүрек", "жүрегіміз" + s) for s in ("дің", "ді", "ге", "де", "ден", "бен", "дегі")],
    ("Астана", "Астанамыздың"),
    ("бөлме", "бөлмемізге"),
]

PLURAL_POSSESSIVE_CASE = [
    ("мемлекет", "мемлекеттеріміздің"),
    ("министр", "министрлеріне"),
    ("кітап", "кітаптарымызға"),
    ("кітап", "кітаптарыңның"),
    ("кітап", "кітаптарыңызға"),
    ("Астана", "Астаналарының"),
    ("дрон", "дрондарымен"),
]

LOCATIVE_ATTRIBUTIVE = [
    ("Астана", "Астанадағы"),
    ("Тоқаев", "Тоқаевтағы"),
    ("мемлекет", "мемлекеттердегі"),  # after a plural
    ("кітап", "кітабымдағы"),  # after each possessive
    ("кітап", "кітабыңдағы"),
    ("кітап", "кітабыңыздағы"),
    ("Қазақстан", "Қазақстанындағы"),
    ("Қазақстан", "Қазақстанымыздағы"),
    ("мемлекет", "мемлекеттеріміздегі"),  # after a plural and a possessive
    ("министр", "министрлеріндегі"),
]

SOUNDS = [
    # a final к қ п voices before a vowel-initial possessive
    ("кітап", "кітабы"),
    ("жүрек", "жүрегіміздің"),
    ("Құрық", "Құрығы"),
    ("Құрық", "Құрығының"),
    ("мектеп", "мектебімізде"),
    ("банк", "банкі"),  # loans keep it, and a final к takes the front row
    ("банк", "банктер"),
    ("банк", "банкке"),
    # a few words drop a vowel before one
    ("халық", "халқы"),
    ("халық", "халқымыздың"),
    ("халық", "халықтың"),
    ("орын", "орнына"),
    # a final у after a consonant, or и: a vowel's suffixes or a consonant's
    ("оқу", "оқуы"),
    ("оқу", "оқудың"),
    ("Баку", "Бакуда"),
    ("Сочи", "Сочидегі"),
    # short words keep the 3rd-person and 1pl possessives
    ("жер", "жеріміздің"),
    ("бас", "басы"),
    ("Отан", "Отанымызға"),
    ("баға", "бағасының"),
]

NAMES = [
    ("Путин", "Путиннің"),
    ("Путин", "Путинге"),
    ("Путин", "Путинмен"),
    ("Токаев", "Токаевтың"),
    ("Тоқаев", "Тоқаевтың"),
    ("Медведев", "Медведевтің"),
    ("Медведев", "Медведевке"),
    ("Росатом", "Росатоммен"),
    ("Росатом", "Росатомның"),
]

ISSUE = [
    ("Қазақстан", "Қазақстанымыздың"),
    ("мемлекет", "мемлекеттеріміздің"),
    ("министр", "министрлеріне"),
    ("Астана", "Астанадағы"),
    ("кітап", "кітабыма"),
    ("жүрек", "жүрегіміздің"),
    ('"Орта дәліз"', "Орта дәлізіміздің"),
]

NEVER = [
    # derivations are other words
    ("Қазақстан", "Қазақстандық"),
    ("Қазақстан", "қазақстандықтар"),
    ("Астана", "Астаналық"),
    ("мұнай", "мұнайшы"),
    ("мұнай", "мұнайшылар"),
    ("Тоқаев", "тоқаевшыл"),
    ("Ресей", "ресейсіз"),
    ("қазақ", "қазақша"),
    ("жыл", "жылғы"),
    # words under five letters take no 1sg, 2sg or polite 2sg possessive: other words
    ("қар", "қарым-қатынас"),
    ("бас", "басым"),
    ("жаз", "жазыңыз"),
    ("ала", "алаң"),
    ("баға", "валюта бағамды"),
    ("бала", "балама энергия"),
    ("ақша", "ақшам"),
    # the slots come in one order: plural before possessive
    ("кітап", "кітабымдар"),
]


@pairs(PLURAL)
def test_plural(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(POSSESSIVE)
def test_each_possessive_alone(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(CASE)
def test_each_case_alone(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(PLURAL_POSSESSIVE)
def test_plural_then_possessive(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(POSSESSIVE_CASE)
def test_possessive_then_case(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(PLURAL_POSSESSIVE_CASE)
def test_plural_possessive_and_case(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(LOCATIVE_ATTRIBUTIVE)
def test_locative_attributive_after_each_slot(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(SOUNDS)
def test_sound_changes_at_the_stem(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(NAMES)
def test_russian_spelled_names_take_kazakh_chains(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(ISSUE)
def test_the_stacked_forms_of_the_issue(term: str, text: str) -> None:
    assert matches(term, text)


@pairs(NEVER)
def test_derivations_and_other_words_never_match(term: str, text: str) -> None:
    assert not matches(term, text)


def test_a_word_whose_last_vowel_does_not_decide_takes_both_rows() -> None:
    assert {"токаевтың", "токаевтің", "путиннің", "путинның"} <= forms("токаев") | forms("путин")
    assert {"медведевтеріміздің", "медведевтарымыздың"} <= forms("медведев")


def test_a_word_whose_last_vowel_decides_takes_one_row() -> None:
    assert "қазақстанымыздың" in forms("қазақстан")
    assert "қазақстаніміздің" not in forms("қазақстан")
    assert "біліміміздің" in forms("білім")
    assert "білімымыздың" not in forms("білім")


KAZAKH_WORDS = ["қазақстан", "астана", "ақтөбе", "білім", "тараз", "дәліз", "қытай", "ақтау"]
KAZAKH_WORDS += ["балқаш", "ертіс", "кітап", "құрық", "көлік", "жүрек", "халық", "оқу", "баку"]
KAZAKH_WORDS += ["путин", "тоқаев", "медведев", "мемлекет", "министр", "жер", "қар", "сочи"]
DERIVATIONS = ("лық", "лік", "дық", "дік", "тық", "тік", "шы", "ші", "сыз", "сіз", "ша", "ше")
DERIVATIONS += ("ғы", "гі", "шыл", "шіл", "дай", "дей", "тай", "тей")


@pytest.mark.parametrize("word", KAZAKH_WORDS)
def test_no_form_is_the_word_and_a_derivational_suffix(word: str) -> None:
    rests = {form[len(word) :] for form in forms(word) if form.startswith(word)}
    assert len(rests) > 50  # the chains are there
    assert not [rest for rest in rests if rest.startswith(DERIVATIONS)]


def test_words_of_one_shape_share_one_table() -> None:
    (first,) = stems("қазақстан")
    (second,) = stems("өзбекстан")
    assert first[1] is second[1]
