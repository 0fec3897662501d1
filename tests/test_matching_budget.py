"""The last guard: a rule set that would take too long on an entry is skipped and reported.

Evaluation is linear in the entry, but a huge entry times a large rule can still cost
seconds. Each rule set gets a budget per entry; past it, that rule set is skipped for
that entry, the evaluation says so, and the service logs it, at most once per rule set
per period. The clocks here are fakes that tick on every reading, so the tests do not
depend on the machine's speed: a reading is a step of bounded work.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Watchlist
from bot.matching import Budget, Matcher, RuleSet
from bot.models import Entry, RuleKey, RuleSetKey, WatchlistKey
from bot.polling.rulebook import RuleBook, SkipLog

HEAVY = '"' + " ".join(["ab*"] * 15) + ' zz" NEAR/1000 ab*'


class Ticks:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def worst_entry(key: str = "e1") -> Entry:
    text = " ".join(["ab"] * 30_000) + " zz Rosatom"
    return Entry("feed-a", key, "Rosatom", f"https://news.example/{key}", key, content=text)


def test_a_rule_set_over_its_budget_is_skipped_and_the_others_still_match() -> None:
    rulesets = [RuleSet(RuleKey(1), (HEAVY,)), RuleSet(WatchlistKey("good"), ("Rosatom",))]
    matcher = Matcher(rulesets, budget=Budget(floor=12, per_word=0, clock=Ticks()))
    evaluation = matcher.evaluate(worst_entry())
    assert [hit.key for hit in evaluation.hits] == [WatchlistKey("good")]
    assert evaluation.skipped == (RuleKey(1),)
    assert evaluation.allowance == 12


def test_without_a_tight_budget_the_same_rule_set_matches() -> None:
    matcher = Matcher([RuleSet(RuleKey(1), (HEAVY,))], budget=Budget(clock=Ticks(), floor=1e9))
    evaluation = matcher.evaluate(worst_entry())
    assert [hit.key for hit in evaluation.hits] == [RuleKey(1)]
    assert evaluation.skipped == ()


def test_the_budget_grows_with_the_entry() -> None:
    matcher = Matcher(
        [RuleSet(WatchlistKey("good"), ("Rosatom",))], budget=Budget(0.5, 0.001, clock=Ticks())
    )
    words = 1 + 30_002 + 4  # the title, the content and the link's words
    assert matcher.evaluate(worst_entry()).allowance == pytest.approx(0.5 + 0.001 * words)


def test_match_reports_each_skip_to_the_callback() -> None:
    seen: list[tuple[str, RuleSetKey, float]] = []
    matcher = Matcher(
        [RuleSet(RuleKey(1), (HEAVY,))],
        budget=Budget(floor=12, per_word=0, clock=Ticks()),
        on_skip=lambda entry, key, seconds: seen.append((entry.key, key, seconds)),
    )
    assert matcher.match(worst_entry()) == []
    assert seen == [("e1", RuleKey(1), 12)]


def test_the_service_logs_a_skip_once_per_rule_set_per_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    skips = SkipLog(period=600, clock=lambda: now[0])
    heavy = Watchlist("heavy", "Heavy", "", (HEAVY,), (), None, Path("heavy.yaml"))
    book = RuleBook([heavy], budget=Budget(floor=12, per_word=0, clock=Ticks()), skips=skips)
    with caplog.at_level(logging.WARNING, logger="bot.polling.rulebook"):
        for number in range(5):
            book.watchlists.matcher.match(worst_entry(f"e{number}"))
        now[0] += 601
        book.watchlists.matcher.match(worst_entry("e9"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert (
        "watchlist heavy skipped" in warnings[0]
        and "'e0'" in warnings[0]
        and "feed-a" in warnings[0]
    )
    assert "https://news.example/e0" in warnings[0]
    assert "'e9'" in warnings[1] and "4 more skips" in warnings[1]


def test_costly_rule_sets_share_one_total_per_entry_and_cheap_ones_still_run() -> None:
    costly = [RuleSet(RuleKey(n), (HEAVY.replace("/1000", f"/{999 - n}"),)) for n in range(5)]
    rulesets = [*costly, RuleSet(RuleKey(99), ("Rosatom",))]
    ticks = Ticks()
    budget = Budget(floor=12, per_word=0, per_entry=2, clock=ticks)
    evaluation = Matcher(rulesets, budget=budget).evaluate(worst_entry())
    assert evaluation.skipped == tuple(RuleKey(n) for n in range(5))
    assert [hit.key for hit in evaluation.hits] == [RuleKey(99)]
    # The first two spend the entry's two allowances; the next three stop at once,
    # where five full allowances would have taken over 60 ticks.
    assert ticks.now < 40
