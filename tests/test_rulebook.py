"""Rule books on their own: watchlists and personal rules compiled into one matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Watchlist
from bot.models import Entry, RuleKey, WatchlistKey
from bot.polling.rulebook import RuleBook
from bot.store.records import Audience, ChatRule

ALICE = 100


def watchlist(name: str, *match: str, exclude: tuple[str, ...] = ()) -> Watchlist:
    return Watchlist(name, name.title(), "", match, exclude, None, Path(f"{name}.yaml"))


def entry(title: str) -> Entry:
    return Entry("kz", title, title, "https://news.example/1", "news.example/1")


def audience(*rules: ChatRule) -> Audience:
    return Audience({}, rules)


async def test_watchlists_and_personal_rules_match_as_one() -> None:
    book = RuleBook([watchlist("nuclear", "Rosatom"), watchlist("csto", "CSTO")])
    rules = await book(audience(ChatRule(7, ALICE, "Kazatomprom OR Astana")))
    keys = {hit.key for hit in rules.matcher.match(entry("Rosatom opens office in Astana"))}
    assert keys == {WatchlistKey("nuclear"), RuleKey(7)}
    assert rules.titles == {"nuclear": "Nuclear", "csto": "Csto"}


async def test_the_matcher_is_compiled_again_only_when_the_rules_change() -> None:
    book = RuleBook([watchlist("nuclear", "Rosatom")])
    first = await book(audience(ChatRule(7, ALICE, "Astana")))
    assert await book(audience(ChatRule(7, ALICE, "Astana"))) is first
    changed = await book(audience(ChatRule(7, ALICE, "Almaty")))
    assert changed is not first
    assert [h.key for h in changed.matcher.match(entry("Almaty news"))] == [RuleKey(7)]


async def test_an_invalid_personal_rule_is_skipped_and_logged_the_rest_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = RuleBook([watchlist("nuclear", "Rosatom")])
    rules = await book(audience(ChatRule(7, ALICE, "Astana AND ("), ChatRule(8, ALICE, "Almaty")))
    assert [h.key for h in rules.matcher.match(entry("Almaty and Astana"))] == [RuleKey(8)]
    assert "personal rule 7 of chat 100 skipped" in caplog.text


async def test_edited_watchlists_replace_the_old_and_keep_personal_rules() -> None:
    book = RuleBook([watchlist("nuclear", "Rosatom")])
    await book(audience(ChatRule(7, ALICE, "Astana")))
    await book.replace_watchlists([watchlist("uranium", "Kazatomprom")])
    rules = await book(audience(ChatRule(7, ALICE, "Astana")))
    keys = {h.key for h in rules.matcher.match(entry("Kazatomprom and Rosatom in Astana"))}
    assert keys == {WatchlistKey("uranium"), RuleKey(7)}
    assert book.names == ["uranium"] and rules.titles == {"uranium": "Uranium"}
    alone = book.watchlists.matcher.match(entry("Kazatomprom in Astana"))
    assert [h.key for h in alone] == [WatchlistKey("uranium")]


async def test_an_exclude_rule_silences_its_watchlist_only() -> None:
    book = RuleBook(
        [watchlist("nuclear", "Rosatom", exclude=("football",)), watchlist("sport", "football")]
    )
    rules = await book(audience())
    assert [h.key for h in rules.matcher.match(entry("Rosatom football cup"))] == [
        WatchlistKey("sport")
    ]


async def test_a_rule_stored_before_tilde_marked_spellings_keeps_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = RuleBook([watchlist("nuclear", "Rosatom")])
    stored = (ChatRule(7, ALICE, "Rosatom ~AND Astana"), ChatRule(8, ALICE, "~~Tokayev"))
    rules = await book(audience(*stored, ChatRule(9, ALICE, "~Tokayev")))
    keys = {h.key for h in rules.matcher.match(entry("Rosatom in Astana, Tokayev says"))}
    assert keys == {WatchlistKey("nuclear"), RuleKey(7), RuleKey(8), RuleKey(9)}
    assert "skipped" not in caplog.text
    # one that does not parse today means what it meant; one that parses, what it says
    assert [h.key for h in rules.matcher.match(entry("Tokaev says"))] == [RuleKey(9)]
