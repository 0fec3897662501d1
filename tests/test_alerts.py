"""Alert decisions on their own: which chats hear of an entry, and why (pure)."""

from __future__ import annotations

from bot.models import Entry, Hit, RuleKey, Span, WatchlistKey
from bot.polling.alerts import Listeners, decide
from bot.store.records import Audience, ChatRule

ALICE, BOB, GROUP = 100, 200, -500
ENTRY = Entry("kz", "k1", "Rosatom signs in Astana", "https://news.example/1", "news.example/1")
TITLES = {"kz-nuclear": "Kazakhstan nuclear power", "csto": "CSTO & CIS"}


def listeners(subscribers: dict[str, set[int]], rules: tuple[ChatRule, ...] = ()) -> Listeners:
    audience = Audience({name: frozenset(chats) for name, chats in subscribers.items()}, rules)
    return Listeners(audience, TITLES)


def test_every_subscriber_of_a_matched_watchlist_hears_once_by_chat_order() -> None:
    hit = Hit(WatchlistKey("kz-nuclear"), (Span("title", 0, 7),))
    alerts = decide(ENTRY, [hit], listeners({"kz-nuclear": {GROUP, BOB, ALICE}}))
    assert [a.chat_id for a in alerts] == [GROUP, ALICE, BOB]
    assert all(a.reasons == ("Kazakhstan nuclear power",) for a in alerts)
    assert all(a.spans == (Span("title", 0, 7),) and a.entry is ENTRY for a in alerts)


def test_nobody_hears_of_a_watchlist_without_subscribers() -> None:
    hit = Hit(WatchlistKey("csto"))
    assert decide(ENTRY, [hit], listeners({"kz-nuclear": {ALICE}})) == []


def test_one_alert_per_chat_lists_every_reason_and_merges_the_spans() -> None:
    rule = ChatRule(7, ALICE, "Rosatom NEAR/3 Astana")
    hits = [
        Hit(WatchlistKey("kz-nuclear"), (Span("title", 0, 7), Span("summary", 4, 9))),
        Hit(WatchlistKey("csto"), (Span("title", 3, 12),)),
        Hit(RuleKey(7), (Span("title", 17, 23), Span("title", 0, 7))),
    ]
    heard = listeners({"kz-nuclear": {ALICE, BOB}, "csto": {ALICE}}, (rule,))
    alice, bob = decide(ENTRY, hits, heard)
    assert alice.reasons == ("Kazakhstan nuclear power", "CSTO & CIS", "“Rosatom NEAR/3 Astana”")
    assert alice.spans == (Span("title", 0, 12), Span("title", 17, 23), Span("summary", 4, 9))
    assert bob.reasons == ("Kazakhstan nuclear power",)
    assert bob.spans == (Span("title", 0, 7), Span("summary", 4, 9))


def test_a_personal_rule_is_heard_by_its_chat_only() -> None:
    rules = (ChatRule(7, ALICE, "Rosatom"), ChatRule(8, BOB, "Kazatomprom"))
    [alert] = decide(ENTRY, [Hit(RuleKey(7))], listeners({}, rules))
    assert (alert.chat_id, alert.reasons) == (ALICE, ("“Rosatom”",))


def test_a_rule_the_audience_no_longer_has_alerts_nobody() -> None:
    """A rule removed (/unwatch, chat gone) while a batch was matched against it."""
    assert decide(ENTRY, [Hit(RuleKey(99))], listeners({}, (ChatRule(7, ALICE, "x"),))) == []


def test_a_watchlist_without_a_title_is_named() -> None:
    [alert] = decide(ENTRY, [Hit(WatchlistKey("new-list"))], listeners({"new-list": {ALICE}}))
    assert alert.reasons == ("new-list",)


def test_the_same_reason_twice_is_listed_once() -> None:
    hits = [Hit(WatchlistKey("csto"), (Span("title", 3, 5),))] * 2
    [alert] = decide(ENTRY, hits, listeners({"csto": {ALICE}}))
    assert alert.reasons == ("CSTO & CIS",) and alert.spans == (Span("title", 3, 5),)
