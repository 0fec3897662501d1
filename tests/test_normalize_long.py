"""Normalizing long texts that Unicode NFKC changes (ligatures, full-width letters,
decomposed accents): the same text as character by character, with offsets that stay
inside the piece each character came from."""

from __future__ import annotations

from bot.matching import Matcher, RuleSet
from bot.matching.normalize import PRECISE_CHARS, normalize
from bot.models import Entry

WORDS = ["ﬁnance", "Ｒｏｓａｔｏｍ", "Росатом", "и\u0306од", "Rosatom,", "e\u0301te", "plain"]


def long_text(words: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] + str(i) for i in range(words)) + "\nend"


def test_a_long_text_normalizes_as_a_short_one() -> None:
    text = long_text(40_000)
    assert len(text) > PRECISE_CHARS
    pieces = [normalize(piece) for piece in text.split(" ")]
    got = normalize(text)
    assert got.text == " ".join(piece.text for piece in pieces)
    assert len(got.starts) == len(got.ends) == len(got.text)
    for i in range(0, len(got.text), 997):
        start, end = got.starts[i], got.ends[i]
        assert 0 <= start < end <= len(text)
        assert " " not in text[start:end] or got.text[i] == " "


def test_a_long_text_matches_and_highlights_the_word_it_came_from() -> None:
    text = long_text(40_000) + " Ｒｏｓａｔｏｍ-news"
    matcher = Matcher([RuleSet("r", ('"Rosatom news"',))])
    (hit,) = matcher.match(Entry("f", "k", "t", "", "s", content=text))
    assert text[hit.spans[0].start : hit.spans[0].end] == "Ｒｏｓａｔｏｍ-news"
