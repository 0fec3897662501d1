"""Characters a rule may not contain, and the whitespace it may.

Control characters would reach every reply that shows the rule, and bidirectional
overrides and isolates make a rule display differently from what it matches, so a rule
with either is refused, naming the position and the character. Tab, line feed and
carriage return are whitespace, as in a watchlist rule folded over lines in YAML.
"""

from __future__ import annotations

import pytest

from bot.errors import QueryError
from bot.matching import Matcher, RuleSet, parse_query
from bot.models import Entry, RuleKey, WatchlistKey
from bot.polling.rulebook import RuleBook
from bot.store.records import Audience, ChatRule

REFUSED = [
    ("\x00", "U+0000"),
    ("\x01", "U+0001"),
    ("\x08", "U+0008"),
    ("\x0b", "U+000B"),
    ("\x0c", "U+000C"),
    ("\x1b", "U+001B"),
    ("\x1c", "U+001C"),
    ("\x1f", "U+001F"),
    ("\x7f", "U+007F"),
    ("\x80", "U+0080"),
    ("\x85", "U+0085"),
    ("\x9f", "U+009F"),
    ("\u061c", "U+061C"),
    ("\u200e", "U+200E"),
    ("\u200f", "U+200F"),
    ("\u202a", "U+202A"),
    ("\u202b", "U+202B"),
    ("\u202c", "U+202C"),
    ("\u202d", "U+202D"),
    ("\u202e", "U+202E"),
    ("\u2066", "U+2066"),
    ("\u2067", "U+2067"),
    ("\u2068", "U+2068"),
    ("\u2069", "U+2069"),
]


@pytest.mark.parametrize(("char", "name"), REFUSED)
@pytest.mark.parametrize("template", ["Rosatom {}", "Ros{}atom", '"Middle {}Corridor"', "{}x"])
def test_control_and_bidi_characters_are_refused(template: str, char: str, name: str) -> None:
    query = template.format(char)
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == query.index(char)
    assert name in caught.value.message
    assert name in str(caught.value) and f"at {query.index(char)}" in str(caught.value)


def test_the_first_bad_character_is_named() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("Rosatom OR \u202eмотасоР\u202c \x00")
    assert caught.value.position == 11
    assert "U+202E" in caught.value.message


def test_a_watchlist_with_a_bad_character_fails_to_compile() -> None:
    with pytest.raises(QueryError, match="U\\+0000"):
        Matcher([RuleSet(WatchlistKey("x"), ("Rosatom\x00",))])


@pytest.mark.parametrize("space", ["\t", "\n", "\r\n", " \n  "])
def test_tab_and_line_breaks_are_whitespace(space: str) -> None:
    query = f"Rosatom{space}OR{space}Астана{space}-football"
    assert parse_query(query).root == parse_query("Rosatom OR Астана -football").root


def test_a_rule_folded_over_lines_matches_as_on_one_line() -> None:
    matcher = Matcher(
        [RuleSet(WatchlistKey("x"), ('"nuclear power plant" AND\n(Kazakhstan OR Казахстан)\n',))]
    )
    title = "A nuclear power plant for Kazakhstan"
    assert matcher.match(Entry("f", "k", title, "", "s"))


@pytest.mark.parametrize("char", ["\u200b", "\u00ad", "\u0301", "\u00a0", "\u2009"])
def test_invisible_and_space_characters_stay_allowed(char: str) -> None:
    parse_query(f"Ros{char}atom OR x")


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\u061c"])
def test_bidi_controls_in_feed_text_do_not_split_words(char: str) -> None:
    matcher = Matcher([RuleSet(WatchlistKey("x"), ("Rosatom",))])
    hits = matcher.match(Entry("f", "k", f"News: Ros{char}atom opens", "", "s"))
    assert [hit.key for hit in hits] == [WatchlistKey("x")]


async def test_a_rule_stored_before_such_characters_were_refused_still_matches() -> None:
    # a /watch rule pasted from a phone, with left-to-right marks, stored by an older newsbot
    stored = ChatRule(id=7, chat_id=100, query="\u200eRosatom AND \u200fKazakhstan")
    rules = await RuleBook([])(Audience({}, (stored,)))
    entry = Entry("f", "k", title="Rosatom in Kazakhstan", link="", story="s")
    assert [hit.key for hit in rules.matcher.match(entry)] == [RuleKey(7)]
