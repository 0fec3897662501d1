"""What a rule may cost: every accepted rule matches in time linear in the entry.

* The worst rules the limits accept, against the worst texts (one word repeated, every
  word sharing a prefix), through ``newsbot match`` as a user runs it: it answers, where
  it used to take minutes (the bound is two orders of magnitude above the real time).
* NEAR and phrases, now evaluated without listing pairs, agree with a brute-force
  reference on small random inputs, matches and highlights alike.
* A hit's highlights are bounded however often its words occur.
* Every rule, a watchlist's too, has bounded size: characters, terms, words per phrase.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.configs import ROOT, write_config

from bot.errors import QueryError
from bot.matching import Matcher, RuleSet, evaluate, parse_query
from bot.models import Entry, Span, WatchlistKey

PREFIX_PHRASE = '"' + " ".join(["ab*"] * 16) + '"'
WORST_RULES = [
    "ab* NEAR/1000 ab*",
    f"{PREFIX_PHRASE} NEAR/1000 ab*",
    '"ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab zz"',
    "(ab* OR abc*) AND (ab* NEAR/999 abc*) AND NOT zz",
]


def worst_texts(words: int) -> dict[str, str]:
    """Texts that make the rules above do the most work."""
    return {
        "distinct": " ".join(f"ab{i}" for i in range(words)),  # a prefix with n forms
        "repeated": " ".join(["ab"] * words),  # one word, n times
        "nested": " ".join(f"abc{i % 97}" for i in range(words)),
    }


def test_the_worst_accepted_rules_answer_on_the_worst_texts(tmp_path: Path) -> None:
    body = "match:\n" + "".join(f"  - {json.dumps(rule)}\n" for rule in WORST_RULES)
    config = write_config(tmp_path, {}, {"worst": body})
    lines = [
        json.dumps({"id": name, "title": "t", "content": text})
        for name, text in worst_texts(10_000).items()
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "bot", "match", "--config", str(config), "--json"]
    command += ["--input", str(tmp_path / "in.jsonl")]
    # A generous bound: about a second is expected; the old evaluation took minutes.
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results == [{"id": name, "watchlists": ["worst"]} for name in worst_texts(1)]


def test_highlights_are_bounded_however_often_a_word_occurs() -> None:
    text = " ".join(["ab"] * 10_000)
    matcher = Matcher([RuleSet("r", ("=ab",))])
    (hit,) = matcher.match(Entry("f", "k", text, "", "s", summary=text))
    assert 0 < len(hit.spans) <= 200
    assert {span.field for span in hit.spans} == {"title", "summary"}
    assert hit.spans[0] == Span("title", 0, 2)


# --- the reference ------------------------------------------------------------

VOCABULARY = ["ab", "abc", "abd", "ba", "bab", "c"]
SEPARATORS = [" ", " ", " ", "  ", "-", ", "]  # ", " ends a phrase; the others do not
QUERY_WORDS = ["ab", "abc", "ba", "c", "ab*", "ba*", "abc*"]


def word_matches(query_word: str, word: str) -> bool:
    if query_word.endswith("*"):
        return word.startswith(query_word[:-1])
    return word == query_word


def reference_runs(phrase: list[str], words: list[str], gaps: list[str]) -> list[int]:
    """Every start where the phrase occurs: word by word, the gaps plain spacing."""
    return [
        start
        for start in range(len(words) - len(phrase) + 1)
        if all(word_matches(q, words[start + k]) for k, q in enumerate(phrase))
        and all(gaps[start + k] != ", " for k in range(len(phrase) - 1))
    ]


def reference_near(
    left: list[str], right: list[str], distance: int, words: list[str], gaps: list[str]
) -> tuple[set[int], set[int]]:
    """Every pair, the quadratic way: the starts of each side that take part in one."""
    lefts, rights = reference_runs(left, words, gaps), reference_runs(right, words, gaps)
    kept_left, kept_right = set(), set()
    for a in lefts:
        for b in rights:
            a_last, b_last = a + len(left) - 1, b + len(right) - 1
            between = b - a_last - 1 if a_last < b else a - b_last - 1 if b_last < a else -1
            if 0 <= between <= distance:
                kept_left.add(a)
                kept_right.add(b)
    return kept_left, kept_right


def offsets(words: list[str], gaps: list[str]) -> list[int]:
    starts, position = [], 0
    for word, gap in zip(words, [*gaps, ""], strict=True):
        starts.append(position)
        position += len(word) + len(gap)
    return starts


def expected_spans(
    left: list[str], right: list[str], distance: int, words: list[str], gaps: list[str]
) -> set[tuple[int, int]]:
    starts = offsets(words, gaps)
    kept_left, kept_right = reference_near(left, right, distance, words, gaps)
    runs = [(a, len(left)) for a in kept_left] + [(b, len(right)) for b in kept_right]
    return {(starts[a], starts[a + n - 1] + len(words[a + n - 1])) for a, n in runs}


def merged(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if result and start < result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


phrases = st.lists(st.sampled_from(QUERY_WORDS), min_size=1, max_size=4)
texts = st.lists(
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), min_size=1, max_size=14
)


# Phrases are checked start by start when they have few starts, else with byte masks
# over the whole field: 0 makes every phrase of these short texts take the second way.
both_ways = pytest.mark.parametrize("few_starts", [0, evaluate.FEW_STARTS])


@both_ways
@settings(database=None, max_examples=300, deadline=None)
@given(phrases, phrases, st.integers(0, 4), texts)
def test_near_and_phrases_agree_with_the_quadratic_reference(
    few_starts: int, left: list[str], right: list[str], distance: int, text: list[tuple[str, str]]
) -> None:
    with mock.patch.object(evaluate, "FEW_STARTS", few_starts):
        check_near(left, right, distance, text)


def check_near(
    left: list[str], right: list[str], distance: int, text: list[tuple[str, str]]
) -> None:
    words, gaps = [word for word, _ in text], [gap for _, gap in text][:-1]
    title = "".join(word + gap for word, gap in zip(words, [*gaps, ""], strict=True))
    query = f'="{" ".join(left)}" NEAR/{distance} ="{" ".join(right)}"'
    hits = Matcher([RuleSet("r", (query,))]).match(Entry("f", "k", title, "", "s"))
    want = merged(expected_spans(left, right, distance, words, gaps))
    assert bool(hits) == bool(want), (query, title)
    got = [(span.start, span.end) for span in hits[0].spans] if hits else []
    assert got == want, (query, title)


@both_ways
@settings(database=None, max_examples=300, deadline=None)
@given(phrases, texts)
def test_phrases_agree_with_the_reference(
    few_starts: int, phrase: list[str], text: list[tuple[str, str]]
) -> None:
    with mock.patch.object(evaluate, "FEW_STARTS", few_starts):
        check_phrase(phrase, text)


def check_phrase(phrase: list[str], text: list[tuple[str, str]]) -> None:
    words, gaps = [word for word, _ in text], [gap for _, gap in text][:-1]
    title = "".join(word + gap for word, gap in zip(words, [*gaps, ""], strict=True))
    hits = Matcher([RuleSet("r", (f'="{" ".join(phrase)}"',))]).match(
        Entry("f", "k", title, "", "s")
    )
    starts = offsets(words, gaps)
    runs = reference_runs(phrase, words, gaps)
    end = len(phrase) - 1
    want = merged({(starts[a], starts[a + end] + len(words[a + end])) for a in runs})
    got = [(span.start, span.end) for span in hits[0].spans] if hits else []
    assert got == want, (phrase, title)


# --- the limits every rule has --------------------------------------------------


def test_a_rule_has_at_most_2000_characters() -> None:
    parse_query(" OR ".join(["Rosatom"] * 50).ljust(2000))
    query = " OR ".join(["Rosatom"] * 50).ljust(2001)
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == 2000
    assert "at most 2,000 characters (this one has 2,001)" in caught.value.message


def test_a_rule_has_at_most_100_terms() -> None:
    parse_query(" OR ".join(f"w{i}" for i in range(100)))
    query = " OR ".join(f"w{i}" for i in range(60)) + " " + " ".join(f"v{i}" for i in range(41))
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == query.index("v40")
    assert "at most 100 terms (this one has 101)" in caught.value.message
    with pytest.raises(QueryError, match="at most 100 terms"):
        parse_query(" OR ".join(f"a{i} NEAR/2 b{i}" for i in range(51)))


def test_a_phrase_has_at_most_16_words() -> None:
    words = [f"w{i}" for i in range(17)]
    assert parse_query(f'"{" ".join(words[:16])}"').term_count == 1
    query = f'Rosatom "{" ".join(words)}"'
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == query.index('"') + 1
    assert "a phrase has at most 16 words (this one has 17)" in caught.value.message
    with pytest.raises(QueryError, match="at most 16 words"):
        parse_query("a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q")


def test_a_watchlist_rule_over_a_limit_is_an_error_naming_the_watchlist() -> None:
    with pytest.raises(QueryError, match="watchlist big: a rule has at most 100 terms"):
        Matcher([RuleSet(WatchlistKey("big"), (" OR ".join(f"w{i}" for i in range(101)),))])
