"""Properties of the matching core, checked on generated input (hypothesis).

* The parser never crashes: any text parses or raises its own ``QueryError``, with a
  position inside the text.
* A match does not depend on the text's case (for rules without acronyms), on its
  whitespace, or on HTML wrapped around it or inside its words.
* A word always matches itself, in any case, alone or among other words; ``=word`` matches
  none of the word's other forms; a word never matches a word derived from it.
"""

from __future__ import annotations

import functools
import html

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import QueryError
from bot.matching import Matcher, RuleSet, html_to_text, parse_query
from bot.matching.inflection import forms
from bot.models import Entry

QUERY_PIECES = ["Rosatom", "Росатом", "CSTO", "AND", "OR", "NOT", "NEAR/3", "NEAR/x", "(", ")"]
QUERY_PIECES += ['"', "«", "»", "-", "=", "*", "title:", "link:", "foo:", ":", " ", "\u00a0"]
QUERY_PIECES += ["Kazakh*", "*stan", "\u0301", "\u00ad", "'", "&", "1", "Қазақ", "_"]

WORDS = ["Rosatom", "Rosatom's", "Rosatomic", "Росатома", "Росатомом", "Росатоммен"]
WORDS += ["Токаев", "Токаевым", "Тоқаевтың", "Астана", "Астане", "Астанада", "Astana"]
WORDS += ["Middle", "Corridor", "Средний", "Среднего", "коридора", "Орта", "дәліз", "дәлізі"]
WORDS += ["Putin", "Путин", "Путиным", "nuclear", "power", "plant", "plants", "атомной"]
WORDS += ["электростанции", "Kazakhstan", "Қазақстанның", "football", "футбол", "drone"]
WORDS += ["drones", "the", "and", "в", "и", "мен", "де", ",", ".", "-", "ёлка", "Ёж"]

RULES = {
    "rosatom": "Rosatom OR Росатом",
    "corridor": '"Middle Corridor" OR "Средний коридор" OR "Орта дәліз"',
    "tokayev": "Токаев OR Тоқаев",
    "astana": "(Astana OR Астана) -football",
    "near": "Путин NEAR/2 Токаев",
    "npp": '"nuclear power plant" OR "атомной электростанции"',
    "prefix": "Kazakh* OR Қазақ*",
    "and": "drone AND Putin",
    "exact": "=Астана",
    "title": "title:(Rosatom OR Средний)",
}

WHITESPACE = [" ", "  ", "\n", "\t", "\u00a0", "\u2009", "\u202f", " \n "]

texts = st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join)


@functools.cache
def matcher() -> Matcher:
    return Matcher(RuleSet(key, (query,)) for key, query in RULES.items())


def matched(title: str, summary: str = "") -> list[str]:
    entry = Entry("feed", "key", title=title, link="", story="s", summary=summary)
    return [hit.key for hit in matcher().match(entry)]


@settings(database=None, max_examples=300)
@given(st.text())
def test_parser_never_crashes_on_any_text(text: str) -> None:
    assert_parses_or_fails_cleanly(text)


@settings(database=None, max_examples=300)
@given(st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join))
def test_parser_never_crashes_on_query_like_text(text: str) -> None:
    assert_parses_or_fails_cleanly(text)


def assert_parses_or_fails_cleanly(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError as error:
        assert 0 <= error.position <= len(text)
        assert error.query == text and error.message
    else:
        assert query.text == text and query.term_count >= 1


@settings(database=None)
@given(texts)
def test_case_does_not_change_a_match(text: str) -> None:
    expected = matched(text)
    for changed in (text.upper(), text.lower(), text.swapcase(), text.title()):
        assert matched(changed) == expected


@settings(database=None)
@given(texts, st.data())
def test_whitespace_does_not_change_a_match(text: str, data: st.DataObject) -> None:
    pieces = text.split(" ")
    spaces = data.draw(st.lists(st.sampled_from(WHITESPACE), min_size=len(pieces)))
    respaced = "".join(piece + space for piece, space in zip(pieces, spaces, strict=False))
    assert matched(respaced) == matched(text)
    assert matched("", summary=respaced) == matched("", summary=text)


@settings(database=None)
@given(texts, st.sampled_from(["p", "div", "li", "h2", "td"]))
def test_html_around_the_text_does_not_change_a_match(text: str, block: str) -> None:
    wrapped = f"<{block}><span>{html.escape(text)}</span></{block}>"
    assert matched(html_to_text(wrapped)) == matched(text)


@settings(database=None)
@given(texts, st.data())
def test_inline_tags_inside_words_do_not_change_a_match(text: str, data: st.DataObject) -> None:
    words = text.split(" ")
    tagged = [tag_inside(word, data) for word in words]
    assert matched(html_to_text(" ".join(tagged))) == matched(text)


def tag_inside(word: str, data: st.DataObject) -> str:
    """``word`` escaped, with an inline tag around a part of it (Ros<b>atom</b>)."""
    cut = data.draw(st.integers(0, len(word)))
    tag = data.draw(st.sampled_from(["b", "i", "em", "span", "a", "wbr"]))
    before, after = html.escape(word[:cut]), html.escape(word[cut:])
    return f"{before}<{tag}>{after}</{tag}>"


@settings(database=None)
@given(texts)
def test_spans_cover_whole_words_of_the_text(text: str) -> None:
    entry = Entry("feed", "key", title=text, link="", story="s")
    for hit in matcher().match(entry):
        for span in hit.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert span.start == 0 or not text[span.start - 1].isalnum()
            assert span.end == len(text) or not text[span.end].isalnum()


LATIN = "abcdefghijklmnopqrstuvwxyz"
RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
KAZAKH = RUSSIAN + "әғқңөұүһі"
REAL_WORDS = ["Росатом", "посол", "сталь", "мир", "Мира", "Газа", "Путин", "Лавров", "Токаев"]
REAL_WORDS += ["мать", "путь", "человек", "лёд", "день", "церковь", "Қазақстан", "кітап"]
REAL_WORDS += ["халық", "мұнай", "сайлау", "мемлекет", "Tokayev", "Rosatom", "crisis", "ferry"]
NEIGHBOURS = ["news", "новости", "жаңалықтар", "the", "и", "мен", ",", "-", "(", ")", "«", "»"]

# Derivational suffixes by script. A Cyrillic word takes Kazakh suffixes whatever its
# letters, since Kazakh inflects Russian-spelled names too (Путинмен).
LATIN_DERIVATIONS = ["ism", "ist", "ic"]
RUSSIAN_DERIVATIONS = ["ский", "ская", "овский", "изм"]
KAZAKH_DERIVATIONS = ["лық", "лік", "шы", "ші", "дық", "тық"]

words = st.one_of(
    st.text(LATIN, min_size=3, max_size=12),
    st.text(RUSSIAN, min_size=3, max_size=12),
    st.text(KAZAKH, min_size=3, max_size=12),
    st.sampled_from(REAL_WORDS),
)


def folded(word: str) -> str:
    """The word as rules and texts compare it: case-folded, ё as е."""
    return word.casefold().replace("ё", "е")


def matches(query: str, text: str) -> bool:
    matcher = Matcher([RuleSet("rule", (query,))])
    return bool(matcher.match(Entry("feed", "key", title=text, link="", story="s")))


@settings(database=None, max_examples=300, deadline=None)
@given(words, st.booleans(), st.data())
def test_a_word_matches_itself_in_any_case(word: str, title: bool, data: st.DataObject) -> None:
    rule = word.title() if title else word.lower()  # upper case would make an acronym
    written = data.draw(st.sampled_from([word.upper(), word.lower(), word.title(), word]))
    before = data.draw(st.lists(st.sampled_from(NEIGHBOURS), max_size=3))
    after = data.draw(st.lists(st.sampled_from(NEIGHBOURS), max_size=3))
    assert matches(rule, written)
    assert matches(rule, " ".join([*before, written, *after]))


@settings(database=None, max_examples=200, deadline=None)
@given(words, st.booleans())
def test_an_exact_word_matches_no_other_form(word: str, proper: bool) -> None:
    word = folded(word)
    others = sorted(forms(word, proper=proper) - {word})
    query = "=" + (word.title() if proper else word)
    assert matches(query, word)
    if others and matches(query, " ".join(others)):
        wrong = [form for form in others if matches(query, form)]
        raise AssertionError(f"{query} matches {wrong}")


@settings(database=None, max_examples=300, deadline=None)
@given(words, st.booleans(), st.data())
def test_a_word_never_matches_a_word_derived_from_it(
    word: str, proper: bool, data: st.DataObject
) -> None:
    word = folded(word)
    suffixes = LATIN_DERIVATIONS if word[0] in LATIN else RUSSIAN_DERIVATIONS + KAZAKH_DERIVATIONS
    if any(letter in "әғқңөұүһі" for letter in word):
        suffixes = KAZAKH_DERIVATIONS
    derived = word + data.draw(st.sampled_from(suffixes))
    rule = word.title() if proper else word
    assert derived not in forms(word, proper=proper)
    assert not matches(rule, derived)
    assert not matches(rule, f"news {derived.title()} news")
