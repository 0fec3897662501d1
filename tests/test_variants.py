"""Names in every spelling: ``~Tokayev`` and a watchlist's ``variants: true``.

The spellings each name reaches are asserted as they are, and so are the ones the
heuristics do not reach (the module docstring of ``bot.matching.variants`` says why).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_watchlists
from bot.errors import QueryError
from bot.matching import Matcher, Prefilter, RuleSet, explain, parse_query
from bot.matching.tokens import FieldText
from bot.matching.variants import MAX_LETTERS, MAX_SPELLINGS, has_spellings, spellings
from bot.models import Entry, RuleKey, WatchlistKey
from bot.polling.rulebook import RuleBook


def entry(title: str) -> Entry:
    return Entry("f", "k", title=title, link="https://x/1", story="https://x/1")


def matches(rule: str, title: str) -> bool:
    return bool(Matcher([RuleSet(RuleKey(0), (rule,))]).match(entry(title)))


# --- spellings -------------------------------------------------------------------------

TOKAYEV = {"tokayev", "tokaev", "toqaev", "токаев", "тоқаев"}
MIRZIYOYEV = {"mirziyoyev", "mirziyoev", "mirzieev", "мирзиеев"}
NAZARBAYEV = {"nazarbayev", "nazarbaev", "назарбаев"}
KAZAKHSTAN = {"kazakhstan", "qazaqstan", "казахстан", "қазақстан"}


@pytest.mark.parametrize(
    ("word", "reached"),
    [
        ("tokayev", TOKAYEV),
        ("tokaev", TOKAYEV),
        ("toqaev", TOKAYEV),
        ("токаев", TOKAYEV),
        ("тоқаев", TOKAYEV),
        ("mirziyoyev", MIRZIYOYEV),
        ("mirziyoev", MIRZIYOYEV),
        ("мирзиёев", MIRZIYOYEV),  # written with ё
        ("nazarbayev", NAZARBAYEV),
        ("nazarbaev", NAZARBAYEV),
        ("назарбаев", NAZARBAYEV),
        ("kazakhstan", KAZAKHSTAN),
        ("qazaqstan", KAZAKHSTAN),
        ("казахстан", KAZAKHSTAN),
        ("қазақстан", KAZAKHSTAN),
        ("ельцин", {"yeltsin", "eltsin"}),
        ("кызылорда", {"kyzylorda", "қызылорда", "qyzylorda"}),
    ],
)
def test_a_name_reaches_its_spellings(word: str, reached: set[str]) -> None:
    found = spellings(word)
    assert found[0] == word.replace("ё", "е")
    assert reached <= set(found)
    assert len(found) == len(set(found))


@pytest.mark.parametrize(
    ("word", "missed"),
    [
        ("yeltsin", "ельцин"),  # the soft sign the romanization dropped
        ("мирзиеев", "mirziyoyev"),  # ё written as е
        ("kulibaev", "құлыбаев"),  # у and и are not guessed into ұ and ы
        ("rahmon", "рахмон"),  # no scheme in the set writes х as h
    ],
)
def test_what_the_heuristics_do_not_reach(word: str, missed: str) -> None:
    assert missed not in spellings(word)


def test_kazakh_latin_follows_the_2021_table() -> None:
    assert set(spellings("қарағанды")) >= {"qarağandy", "караганды"}
    assert "şymkent" in spellings("шымкент")
    assert {"ilyas", "ilias", "i\u0307lias"} <= set(spellings("ильяс"))  # "İlias" folds so


def test_spellings_are_words_as_the_text_gives_them() -> None:
    for word in ["tokayev", "мирзиёев", "ельцин", "щучинск", "юрий", "қазақстан", "ильяс"]:
        for spelling in spellings(word):
            cased = "İ" + spelling[2:] if spelling.startswith("i\u0307") else spelling
            assert FieldText(cased).folded == [spelling], (word, spelling)


@pytest.mark.parametrize("word", ["cs", "нк", "g7", "covid19", "日本語", "tokayev's", "a" * 41])
def test_short_long_or_odd_words_have_no_spellings(word: str) -> None:
    assert not has_spellings(word)
    assert spellings(word) == (word,)


@pytest.mark.parametrize(
    "word",
    ["shchyoyayuyeyoshchyoyayuyeyoshchyoyayuye", "khrushchyovskiy", "цхьюяйщёж", "жухрайщицкий"],
)
def test_a_long_or_many_lettered_word_has_boundedly_many_spellings(word: str) -> None:
    found = spellings(word)
    assert 1 < len(found) <= MAX_SPELLINGS
    assert all(len(spelling) <= 4 * MAX_LETTERS for spelling in found)


# --- the query language ----------------------------------------------------------------


def test_a_tilde_term_matches_every_spelling_in_its_forms() -> None:
    assert matches("~Tokayev", "Tokaev said")
    assert matches("~Tokayev", "Talks with Токаевым")
    assert matches("~Tokayev", "Тоқаевтың сапары")
    assert matches("~Tokayev", "Toqaev")
    assert matches("~Токаев", "Tokayev's visit")
    assert matches('~"Shavkat Mirziyoyev"', "Шавката Мирзиёева встретили")
    assert matches("~Kazakhstan", "Қазақстанда")


def test_a_plain_term_keeps_its_own_spelling() -> None:
    assert not matches("Tokayev", "Tokaev said")
    assert not matches("Токаев", "Тоқаевтың сапары")
    assert matches("Tokayev", "Tokayev said")


def test_exact_and_tilde_together_match_each_spelling_in_that_form_only() -> None:
    for rule in ("~=Tokayev", "=~Tokayev"):
        assert matches(rule, "Токаев")
        assert matches(rule, "Toqaev")
        assert not matches(rule, "Токаевым")


def test_tilde_leaves_acronyms_prefixes_and_short_words_as_they_are() -> None:
    (term,) = explain('~"CSTO Kazakh* of Tokayev"')
    assert [len(word.spellings) for word in term.words] == [1, 1, 1, 5]
    (acronym,) = explain("~CSTO")
    assert not acronym.words[0].word.variants
    assert matches("~CSTO", "CSTO summit")
    assert not matches("~CSTO", "ОДКБ summit")


@pytest.mark.parametrize(
    ("rule", "position", "message"),
    [
        ("~ Tokayev", 0, "'~' must touch a word or phrase, as in ~Tokayev"),
        ("Tokayev ~", 8, "'~' must touch a word or phrase, as in ~Tokayev"),
        ("~(Tokayev OR Putin)", 0, "'~' must touch a word or phrase"),
        ("~~Tokayev", 1, "'~' twice: one is enough"),
        ("=~=Tokayev", 2, "expected a term after '~'"),
        ("~title:Tokayev", 0, "'~' goes after the field, as in title:~term"),
        ("~-Tokayev", 1, "expected a term after '~'"),
        ("Putin NEAR/3 ~", 13, "'~' must touch a word or phrase"),
    ],
)
def test_a_misplaced_tilde_is_refused_where_it_is(rule: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(rule)
    assert caught.value.position == position
    assert message in caught.value.message


def test_tilde_combines_with_fields_negation_and_near() -> None:
    assert matches("title:~Tokayev", "Toqaev")
    assert matches("Astana -~Putin", "Astana")
    assert not matches("Astana -~Путин", "Putin in Astana")
    assert matches("~Tokayev NEAR/2 ~Putin", "Тоқаев және Путин")


def test_the_prefilter_admits_what_a_tilde_rule_matches() -> None:
    prefilter = Prefilter(parse_query("~Tokayev AND ~Astana"))
    assert prefilter.admits(entry("Тоқаевтың Астанадағы сапары"))
    assert not prefilter.admits(entry("Тоқаевтың сапары"))


def test_yo_in_a_written_word_is_kept_for_its_spellings() -> None:
    (term,) = explain("~Мирзиёев")
    (word,) = term.words
    assert word.shown == "мирзиёев"
    assert "mirziyoyev" in [spelling.text for spelling in word.spellings]
    assert matches("~Мирзиёев", "Mirziyoyev") and matches("~Мирзиёев", "Мирзиеева")


# --- watchlists ------------------------------------------------------------------------


def test_a_watchlist_with_variants_matches_every_term_in_every_spelling(tmp_path: Path) -> None:
    (tmp_path / "leaders.yaml").write_text(
        "match:\n  - Tokayev AND =Astana\n  - CSTO\nexclude:\n  - Putin\nvariants: true\n",
        encoding="utf-8",
    )
    (tmp_path / "plain.yaml").write_text("match:\n  - Tokayev AND =Astana\n", encoding="utf-8")
    watchlists, problems = load_watchlists(tmp_path, set())
    assert problems == []
    matcher = RuleBook(watchlists).watchlists.matcher

    def hits(title: str) -> list[str]:
        return [
            hit.key.name for hit in matcher.match(entry(title)) if isinstance(hit.key, WatchlistKey)
        ]

    assert hits("Tokayev in Astana") == ["leaders", "plain"]
    assert hits("Тоқаев in Astana") == ["leaders"]
    assert hits("Toqaev in Астана") == []  # =Astana stays exact, in its own spelling
    assert hits("Tokayev and Путин in Astana") == ["plain"]  # the exclude's Putin is Путин
    assert hits("CSTO") == ["leaders"]


def test_variants_must_be_true_or_false(tmp_path: Path) -> None:
    (tmp_path / "names.yaml").write_text("match: [Tokayev]\nvariants: 'yes'\n", encoding="utf-8")
    watchlists, problems = load_watchlists(tmp_path, set())
    assert watchlists == []
    assert problems == [f"{tmp_path.name}/names.yaml: variants: expected true or false (got 'yes')"]


def test_the_same_rule_with_and_without_variants_compiles_apart() -> None:
    matcher = Matcher(
        [RuleSet(RuleKey(1), ("Tokayev",), variants=True), RuleSet(RuleKey(2), ("Tokayev",))]
    )
    assert [hit.key for hit in matcher.match(entry("Токаевым"))] == [RuleKey(1)]
    assert [hit.key for hit in matcher.match(entry("Tokayev"))] == [RuleKey(1), RuleKey(2)]
