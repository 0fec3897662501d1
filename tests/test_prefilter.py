"""The prefilter never turns away an entry the matcher matches, and does turn away others.

* Generated queries (words, inflected and exact forms, prefixes, phrases, fields, AND,
  OR, NOT, NEAR) over generated texts of inflected forms with odd characters: wherever
  the matcher matches, the prefilter admits.
* Every rule of the labelled corpus and of watchlists/ against every corpus text: the same.
* Entries with none of a query's words are rejected; a query with no positive need
  (a tree the parser would refuse) admits everything.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_corpus import CASES, WATCHLISTS, as_entry

from bot.errors import QueryError
from bot.matching import Matcher, Prefilter, RuleSet, parse_query
from bot.matching.inflection import forms
from bot.matching.query import And, Near, Node, Not, Or, Query, Term, Word
from bot.matching.terms import is_acronym
from bot.models import Entry, RuleKey

WATCHLIST_FOLDER = Path(__file__).parent.parent / "watchlists"

QUERY_WORDS = ["Росатом", "Астана", "Токаев", "Кремль", "Кремлём", "санкции", "соглашение"]
QUERY_WORDS += ["атомная", "электростанция", "Казахстан", "рынок", "сделка", "Россия"]
QUERY_WORDS += ["Средний", "коридор", "нефть", "Китай", "Қазақстан", "Тоқаев", "дәліз"]
QUERY_WORDS += ["Ресей", "Құрық", "станциясы", "Rosatom", "crisis", "economy", "embargo"]
QUERY_WORDS += ["drone", "tax", "Kazakhstan", "Middle", "Corridor", "Putin", "ОДКБ", "АЭС"]
QUERY_WORDS += ["CSTO", "NGO", "ЕАЭС", "Rosatom's", "COVID-19", "Ӏ", "е"]
FILLER = ["и", "в", "the", "of", "мен", ",", ".", " - ", "—", "«", "»", "Росатомэнерго"]
FILLER += ["казахстанский", "Rosatomic", "путинизм", "№", "…", "ﬁ", "ǅ", "İ", "ß", "Σ"]
FIELDS_WRITTEN = ("title", "summary", "content", "link")
SEPARATORS = [" ", "  ", "\u00a0", "\u2009", "\n", "-", "\u2014", ", ", ". ", "\u00ad "]


def _inflected(word: str) -> list[str]:
    """The word as written and its inflected forms, capitalized as the word was."""
    folded = word.casefold()
    if not folded.isalpha():
        return [word]
    found = forms(folded, acronym=is_acronym(word), proper=word[:1].isupper())
    return sorted({word, *(form.capitalize() if word[:1].isupper() else form for form in found)})


TEXT_WORDS = sorted({form for word in QUERY_WORDS for form in _inflected(word)} | set(FILLER))


def _fullwidth(word: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in word)


def _with(words: st.SearchStrategy[str], mark: str) -> st.SearchStrategy[str]:
    """A word with ``mark`` put inside it at some place."""
    return st.tuples(words, st.integers(0, 12)).map(
        lambda pair: pair[0][: pair[1]] + mark + pair[0][pair[1] :]
    )


def text_words(plain: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The ``plain`` words, often capitalized, with ё, in fullwidth or with invisibles."""
    return st.one_of(
        plain,
        plain.map(str.upper),
        plain.map(str.capitalize),
        plain.map(lambda word: word.replace("е", "ё").replace("Е", "Ё")),
        plain.map(_fullwidth),
        _with(plain, "\u00ad"),  # soft hyphen
        _with(plain, "\u200b"),  # zero-width space
        _with(plain, "\u0301"),  # stress mark
        _with(plain, "\ufeff"),
    )


def entries(plain: st.SearchStrategy[str]) -> st.SearchStrategy[Entry]:
    """Entries whose four fields are made of ``text_words(plain)``."""
    words = st.tuples(text_words(plain), st.sampled_from(SEPARATORS))
    text = st.lists(words, max_size=20).map(lambda pairs: "".join(w + gap for w, gap in pairs))
    return st.builds(
        lambda title, summary, content, link: Entry(
            "feed", "key", title, link, "s", summary, content
        ),
        text,
        text,
        text,
        text,
    )


written = st.sampled_from([*QUERY_WORDS, "Кремлем", "станциялары", "Астане", "сделок"])
prefixes = st.tuples(written, st.integers(2, 6)).map(lambda pair: pair[0][: pair[1]] + "*")
words = st.one_of(written, prefixes, written.map(lambda word: "=" + word))
phrases = st.lists(st.one_of(written, prefixes), min_size=2, max_size=3).map(
    lambda parts: '"' + " ".join(parts) + '"'
)
plain_terms = st.one_of(words, phrases)
terms = st.one_of(
    plain_terms,
    st.tuples(st.sampled_from(FIELDS_WRITTEN), plain_terms).map(":".join),
)
nears = st.tuples(terms, st.integers(0, 4), terms).map(lambda t: f"{t[0]} NEAR/{t[1]} {t[2]}")


def _combined(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.tuples(parts, parts)
    return st.one_of(
        pairs.map(lambda p: f"({p[0]}) OR ({p[1]})"),
        pairs.map(lambda p: f"({p[0]}) AND ({p[1]})"),
        pairs.map(lambda p: f"({p[0]}) ({p[1]})"),
        pairs.map(lambda p: f"({p[0]}) -({p[1]})"),
        pairs.map(lambda p: f"({p[0]}) NOT {p[1]}" if " " not in p[1] else f"{p[0]} -{p[1]}"),
        st.tuples(st.sampled_from(FIELDS_WRITTEN), parts).map(lambda p: f"{p[0]}:({p[1]})"),
    )


queries = st.recursive(st.one_of(terms, nears), _combined, max_leaves=4)


@functools.cache
def _compiled(query: str) -> tuple[Matcher, Prefilter] | None:
    try:
        return Matcher([RuleSet(RuleKey(0), (query,))]), Prefilter(parse_query(query))
    except QueryError:
        return None


def entry(title: str, summary: str = "", content: str = "", link: str = "") -> Entry:
    return Entry("feed", "key", title, link, "s", summary, content)


# never a wrong rejection


def _query_forms(node: Node) -> list[str]:
    """Every form of every word of ``node``, for texts that the query often matches; a
    prefix gets a few words that start with it."""
    match node:
        case Term(words=words):
            return [form for word in words for form in _word_forms(word)]
        case Near(left=left, right=right):
            return _query_forms(left) + _query_forms(right)
        case Not(child=child):
            return _query_forms(child)
        case And(children=children) | Or(children=children):
            return [form for child in children for form in _query_forms(child)]


def _word_forms(word: Word) -> list[str]:
    if word.prefix:
        return [word.folded + ending for ending in ("", "stan", "стан", "ы", "s")]
    return sorted(forms(word.folded, acronym=word.cased is not None, proper=word.proper))


@settings(database=None, max_examples=1500, deadline=None)
@given(queries, st.data())
def test_whatever_the_matcher_matches_the_prefilter_admits(query: str, data: st.DataObject) -> None:
    compiled = _compiled(query)
    assume(compiled is not None)  # a field inside a field, a rule of NOTs only
    assert compiled is not None
    matcher, prefilter = compiled
    relevant = _query_forms(parse_query(query).root)
    item = data.draw(entries(st.one_of(st.sampled_from(relevant), st.sampled_from(TEXT_WORDS))))
    if matcher.match(item):
        assert prefilter.admits(item), (query, prefilter.clauses)


def _corpus_rules() -> list[str]:
    rules = [rule for match, exclude in WATCHLISTS.values() for rule in (*match, *exclude)]
    for path in sorted(WATCHLIST_FOLDER.glob("*.yaml")):
        watchlist = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules += [*watchlist.get("match", []), *watchlist.get("exclude", [])]
    return rules


CORPUS_RULES = _corpus_rules()
CORPUS_ENTRIES = [as_entry(case) for _, case in CASES]


@pytest.mark.parametrize("rule", CORPUS_RULES)
def test_every_corpus_match_passes_the_prefilter(rule: str) -> None:
    matcher, prefilter = Matcher([RuleSet(RuleKey(0), (rule,))]), Prefilter(parse_query(rule))
    for item in CORPUS_ENTRIES:
        if matcher.match(item):
            assert prefilter.admits(item), item.title


def test_the_corpus_exercises_many_rules_and_most_entries_are_rejected() -> None:
    admitted = matched = 0
    for rule in CORPUS_RULES:
        matcher, prefilter = Matcher([RuleSet(RuleKey(0), (rule,))]), Prefilter(parse_query(rule))
        admitted += sum(map(prefilter.admits, CORPUS_ENTRIES))
        matched += sum(bool(matcher.match(item)) for item in CORPUS_ENTRIES)
    pairs = len(CORPUS_RULES) * len(CORPUS_ENTRIES)
    assert len(CORPUS_RULES) >= 40 and matched >= 100
    assert admitted < pairs // 5, (admitted, matched, pairs)


# what it needs and what it rejects


@pytest.mark.parametrize(
    ("query", "needed"),
    [
        ("Rosatom", [{"rosatom"}]),
        ("Росатом", [{"росатом"}]),
        ("рынок", [{"рын"}]),  # рынка: the fleeting vowel's stem
        ("crisis", [{"cris"}]),  # crises
        ("economy", [{"econom"}]),  # economies
        ("=Астана", [{"астана"}]),
        ("Kazakh* OR Қазақ*", [{"kazakh", "қазақ"}]),
        ("Rosatom OR Rosatom's", [{"rosatom"}]),  # a needle inside another adds nothing
        ("Rosatom AND (a OR b)", [{"rosatom"}, {"a", "b"}]),
        ('"атомная электростанция"', [{"электростанци"}, {"атомн"}]),  # every word
        ("Путин NEAR/5 Токаев", [{"токаев"}, {"путин"}]),
        ("title:Кремль -Путин", [{"кремл"}]),
        ("ОДКБ OR CSTO", [{"одкб", "csto"}]),  # acronyms: looked for in any case
        ("(Rosatom AND Astana) OR Kremlin", [{"rosatom", "kremlin"}]),
    ],
)
def test_clauses_most_selective_first(query: str, needed: list[set[str]]) -> None:
    assert Prefilter(parse_query(query)).clauses == tuple(map(frozenset, needed))


@pytest.mark.parametrize(
    "query",
    ["Rosatom", "Росатом", '"Middle Corridor" AND Aktau', "Токаев OR Тоқаев OR Tokayev"],
)
def test_entries_without_the_words_are_rejected(query: str) -> None:
    prefilter = Prefilter(parse_query(query))
    assert not prefilter.admits(entry("Grain exports rose", "Рынок зерна вырос", "Астана"))
    assert not prefilter.admits(entry("", link="https://rosa.example/tom"))


def test_every_word_of_a_phrase_and_every_side_of_an_and_is_needed() -> None:
    prefilter = Prefilter(parse_query('"Middle Corridor" AND Aktau'))
    assert not prefilter.admits(entry("Middle Corridor", "trade via the corridor"))
    assert not prefilter.admits(entry("Aktau port", "the middle of the year"))
    assert prefilter.admits(entry("Aktau", "the Middle Corridor"))


def test_many_needles_are_found_at_once() -> None:
    many = " OR ".join(f"word{n}x" for n in range(20))
    prefilter = Prefilter(parse_query(many))
    assert prefilter.clauses is not None and len(prefilter.clauses[0]) == 20
    assert prefilter.admits(entry("", content="... WORD17X ..."))
    assert not prefilter.admits(entry("word1 word17", content="wordx"))


@pytest.mark.parametrize(
    "text",
    [
        "Рос\u00adатома",  # soft hyphen
        "РОСАТОМ",
        "Росатомом",
        "Росатоммен",
        "Роса\u0301том",  # stress mark
        "Рос\u200bатом",  # zero-width space
    ],
)
def test_odd_characters_are_normalized_as_the_matcher_does(text: str) -> None:
    matcher = Matcher([RuleSet(RuleKey(0), ("Росатом",))])
    assert matcher.match(entry(text))
    assert Prefilter(parse_query("Росатом")).admits(entry(text))


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Rosatom", "Ｒｏｓａｔｏｍ"),  # fullwidth
        ("fiscal", "ﬁscal policy"),  # a ligature
        ("Кремль", "за Кремлём"),
        ("Кремлём", "за Кремлем"),
        ("Astana", "Astana\u00a0Times"),
        ("Тоқаев", "ТОҚАЕВТЫҢ"),
    ],
)
def test_fullwidth_ligatures_and_yo_are_normalized(query: str, text: str) -> None:
    assert Matcher([RuleSet(RuleKey(0), (query,))]).match(entry(text))
    assert Prefilter(parse_query(query)).admits(entry(text))


def test_a_field_is_looked_for_in_every_field() -> None:
    prefilter = Prefilter(parse_query("title:Rosatom"))
    assert prefilter.admits(entry("", content="Rosatom"))  # conservative: admitted


def test_no_positive_need_admits_everything() -> None:
    football = parse_query("football").root
    only_not = Prefilter(Query("-football", Not(football, 0)))
    either = Prefilter(
        Query("Rosatom OR -football", Or((parse_query("Rosatom").root, Not(football, 0)), 0))
    )
    for prefilter in (only_not, either):
        assert prefilter.clauses is None
        assert prefilter.admits(entry("football"))
        assert prefilter.admits(entry("anything at all"))
