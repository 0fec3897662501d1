"""Compiling ``~Name`` rules: what spellings in other scripts cost when rules load.

1,000 personal-rule-sized rules ``~Name`` (distinct made-up surnames, half Latin as
Tokayev, half Cyrillic as Токаев) are compiled into one matcher, first cold (every
cache of parsing, spellings and inflection emptied, as at start-up), then warm (the
same rules again, as when one rule of many changed). Beside them, the same names
without ``~``, and 10,000 plain rules (single words and phrases) as the bound a
recompile must stay under. Last, entries per second through the 1,000 ``~`` rules and
through the plain ones, on entries that carry four of the names, each in another
spelling than the one written: the ``~`` rules find them, the plain ones do not.

    uv run python benchmarks/variants.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from bot.matching import Matcher, RuleSet, parse_query, presearch, variants
from bot.matching.inflection import cache_clear
from bot.models import Entry, RuleKey

LATIN = ["to", "ka", "na", "zar", "ba", "mir", "zi", "yo", "mu", "kan", "sul", "ta", "bek", "ras"]
CYRILLIC = ["то", "ка", "на", "зар", "ба", "мир", "зи", "ё", "му", "кан", "сул", "та", "бек"]
LATIN_ENDS = ["yev", "ev", "ov", "bayev", "in", "ova"]
CYRILLIC_ENDS = ["ев", "ов", "баев", "ин", "ова"]
FILLER = ["the", "said", "talks", "in", "Astana", "и", "заявил", "в", "переговоры", "о"]


def names(count: int, seed: int = 5) -> list[str]:
    """``count`` distinct surnames, alternately Latin and Cyrillic."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        latin = len(found) % 2 == 0
        syllables, ends = (LATIN, LATIN_ENDS) if latin else (CYRILLIC, CYRILLIC_ENDS)
        stem = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))
        found[(stem + rng.choice(ends)).capitalize()] = None
    return list(found)


def cold() -> None:
    """Empty every cache a compile fills, as at start-up."""
    parse_query.cache_clear()
    cache_clear()
    variants.spellings.cache_clear()
    variants._romanized.cache_clear()
    presearch._spelling_stems.cache_clear()


def compile_seconds(rules: list[str], *, warm: bool) -> float:
    """The median time to compile ``rules`` (one rule set each, as personal rules)."""
    times = []
    for _ in range(3):
        if not warm:
            cold()
        start = time.perf_counter()
        Matcher([RuleSet(RuleKey(i), (rule,)) for i, rule in enumerate(rules)])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plain_rules(count: int, seed: int = 9) -> list[str]:
    rng = random.Random(seed)
    words = [w.lower() for w in names(2000, seed=seed)]
    return [
        rng.choice(words) if i % 2 else f'"{rng.choice(words)} {rng.choice(words)}"'
        for i in range(count)
    ]


def entries(spelled: list[str], count: int, seed: int = 3) -> list[Entry]:
    """Entries of about 40 words, each with a few of ``spelled`` among the filler."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        words = [rng.choice(FILLER) for _ in range(36)] + rng.sample(spelled, 4)
        rng.shuffle(words)
        made.append(Entry("f", str(i), title=" ".join(words), link="", story=str(i)))
    return made


def rate(match: Callable[[Entry], object], items: list[Entry]) -> float:
    start = time.perf_counter()
    for item in items:
        match(item)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    people = names(1000)
    tilde = [f"~{name}" for name in people]
    print(f"1,000 ~Name rules, cold:  {compile_seconds(tilde, warm=False):.3f} s")
    print(f"1,000 ~Name rules, warm:  {compile_seconds(tilde, warm=True):.3f} s")
    print(f"1,000 Name rules, cold:   {compile_seconds(people, warm=False):.3f} s")
    print(f"10,000 plain rules, cold: {compile_seconds(plain_rules(10_000), warm=False):.3f} s")
    counts = [len(variants.spellings(name.lower())) for name in people]
    print(f"spellings per name: median {statistics.median(counts)}, most {max(counts)}")
    spelled = [variants.spellings(name.lower())[-1] for name in people]  # another spelling
    items = entries(spelled, 5000)
    with_tilde = Matcher([RuleSet(RuleKey(i), (rule,)) for i, rule in enumerate(tilde)])
    plain = Matcher([RuleSet(RuleKey(i), (rule,)) for i, rule in enumerate(people)])
    for label, matcher in (("~Name", with_tilde), ("Name", plain)):
        hits = sum(len(matcher.match(item)) for item in items)
        speed = rate(matcher.match, items)
        print(f"1,000 {label} rules: {speed:,.0f} entries/s, {hits / len(items):.1f} hits an entry")


if __name__ == "__main__":
    main()
