"""The labelled corpus: texts in English, Russian and Kazakh, and the watchlists each must
and must not match. The cases live in tests/corpus/*.yaml; the watchlists are here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.matching import Matcher, RuleSet, html_to_text
from bot.models import Entry

CORPUS = Path(__file__).parent / "corpus"
LANGUAGES = ("en", "ru", "kk")

# name -> (match rules, exclude rules)
WATCHLISTS: dict[str, tuple[list[str], list[str]]] = {
    "rosatom": (["Rosatom OR Росатом"], []),
    "title-rosatom": (["title:Rosatom OR title:Росатом"], []),
    "csto": (["CSTO OR ОДКБ OR ҰҚШҰ"], []),
    "cis": (["CIS OR СНГ OR ТМД"], []),
    "eaeu": (["EAEU OR ЕАЭС OR ЕАЭО"], []),
    "ots": (["OTS OR ОТГ OR ТМҰ"], []),
    "tokayev": (["Tokayev OR Токаев OR Тоқаев"], []),
    "putin": (["Putin OR Путин"], []),
    "summit": (["Putin NEAR/5 Tokayev", "Путин NEAR/5 Токаев", "Путин NEAR/5 Тоқаев"], []),
    "astana": (["Astana OR Астана"], []),
    "astana-exact": (["=Astana OR =Астана"], []),
    "aktau": (["Aktau OR Актау OR Ақтау"], []),
    "kazakhstan": (["Kazakhstan OR Казахстан OR Қазақстан"], []),
    "kazakh-prefix": (["Kazakh* OR Казах*"], []),
    "russia-kk": (["Ресей"], []),
    "kremlin": (["Kremlin OR Кремль"], []),
    "corridor": (['"Middle Corridor" OR "Средний коридор" OR "Орта дәліз"'], []),
    "npp": (
        ['"nuclear power plant" OR "атомная электростанция" OR "атом электр станциясы" OR АЭС'],
        [],
    ),
    "sanctions": (
        ["(sanction OR sanctions) AND (Russia OR Moscow)", "санкции AND (Россия OR Москва)"],
        ["football OR футбол OR UEFA"],
    ),
    "drones": (["drone OR беспилотник OR дрон"], []),
    "uranium": (["uranium OR уран OR Kazatomprom OR Казатомпром OR Қазатомөнеркәсіп"], []),
}


def load(language: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((CORPUS / f"{language}.yaml").read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    return cases


CASES = [(language, case) for language in LANGUAGES for case in load(language)]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(
        RuleSet(name, tuple(match), tuple(exclude)) for name, (match, exclude) in WATCHLISTS.items()
    )


def as_entry(case: dict[str, Any]) -> Entry:
    convert = html_to_text if case.get("html") else str
    title, summary = convert(case["text"]), convert(case.get("summary", ""))
    return Entry("feed", "key", title=title, link="https://x/1", story="s", summary=summary)


@pytest.mark.parametrize(
    ("language", "case"), CASES, ids=[f"{lang}-{case['text'][:40]}" for lang, case in CASES]
)
def test_case(matcher: Matcher, language: str, case: dict[str, Any]) -> None:
    matched = {hit.key for hit in matcher.match(as_entry(case))}
    must, must_not = set(case.get("match", [])), set(case.get("not", []))
    assert must | must_not, "a case names at least one watchlist"
    assert (must | must_not) <= WATCHLISTS.keys(), "unknown watchlist"
    assert must <= matched, f"missed {sorted(must - matched)}; matched {sorted(matched)}"
    assert not must_not & matched, f"wrongly matched {sorted(must_not & matched)}"


def test_corpus_size() -> None:
    counts = {language: len(load(language)) for language in LANGUAGES}
    assert sum(counts.values()) >= 150
    assert min(counts.values()) >= 40, counts


def test_every_watchlist_is_exercised_both_ways() -> None:
    cases = [case for _, case in CASES]
    named = {name for case in cases for name in case.get("match", [])}
    refused = {name for case in cases for name in case.get("not", [])}
    assert named == WATCHLISTS.keys()
    assert len(refused) >= len(WATCHLISTS) // 2
