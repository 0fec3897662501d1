"""Matching throughput: newsbot's matcher beside a plain regex matcher, in one run.

10,000 rules in 100 watchlists (single words, two-word phrases, AND and OR combinations,
half Latin and half Cyrillic) against 20,000 synthetic entries of about 60 words. The
plain matcher is what a simple bot does: per watchlist, one case-insensitive ``re``
alternation of all its terms, searched in the entry's text. It is timed on the first
entries only (it is about two orders of magnitude slower); the figure compared is entries
per second. Each timing is the median of a few repetitions, since the machine is noisy.

Then a tenth of the rules is timed alone and beside 9,000 rules whose words occur in no
entry, in alternating runs: the presearch should make the two rates about equal.

Last, the adversarial case: the costliest rules the limits accept (a NEAR of two
prefixes, phrases of 16 prefixes, a personal rule of nine 16-word phrases, a watchlist
rule of 50 NEARs, nested booleans) against the worst texts (one word repeated, every
word sharing the prefix, words nested in each other's prefixes, a ligature in every
word) of 2,000, 10,000 and 50,000 words, each beside the same text matched with an
ordinary rule. The time per entry is the worst of the texts, with the budget guard off;
it should grow about 5x from each size to the next, like the baseline's. The guard's
skips, with its default budget, are counted beside, and a 10 MB entry (the most a feed
may send) is timed with an ordinary rule and with each worst rule, the budget on.

    uv run python benchmarks/matching.py            # the full run (about a minute)
    uv run python benchmarks/matching.py --quick    # a smaller run, for a smoke test
    uv run python benchmarks/matching.py --adversarial   # only the adversarial case
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.matching import Budget, Matcher, RuleSet, parse_query
from bot.matching.inflection import cache_clear, dictionary
from bot.models import Entry, RuleKey, WatchlistKey

LATIN_TERM = ["ka", "ro", "ta", "mi", "zu", "ne", "lo", "pa", "ri", "ve", "zo", "ku", "bar", "dem"]
CYRILLIC_TERM = ["ка", "ро", "та", "ми", "зу", "не", "ло", "па", "ри", "ве", "зо", "ку", "бар"]
LATIN_FILLER = ["the", "and", "of", "said", "new", "week", "market", "report", "rail", "oil"]
LATIN_FILLER += ["bank", "price", "talks", "deal", "state", "plan", "year", "data", "growth"]
CYRILLIC_FILLER = ["и", "в", "на", "заявил", "рынок", "неделе", "отчет", "цены", "банк", "план"]
CYRILLIC_FILLER += ["году", "данные", "рост", "переговоры", "сделка", "государство", "нефть"]
ABSENT = ["qu", "xy", "zy", "qo", "щу", "жэ", "цю", "фэ"]  # syllables no entry contains
RUSSIAN_ENDINGS = ["", "", "а", "у", "ом", "е", "ы", "ов"]
LATIN_ENDINGS = ["", "", "s", "'s"]


@dataclass(frozen=True)
class Workload:
    watchlists: list[RuleSet]
    terms: dict[WatchlistKey, list[str]]  # each watchlist's terms, for the plain matcher
    entries: list[Entry]


def pseudo_word(rng: random.Random, syllables: list[str]) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.randint(3, 4)))


def vocabulary(rng: random.Random, count: int) -> list[str]:
    """Distinct capitalized pseudo-words, half Latin, half Cyrillic (consonant-final)."""
    words: set[str] = set()
    while len(words) < count:
        cyrillic = len(words) % 2 == 1
        word = pseudo_word(rng, CYRILLIC_TERM if cyrillic else LATIN_TERM)
        words.add((word + ("н" if cyrillic else "n")).capitalize())
    return sorted(words)


def make_rule(rng: random.Random, latin: list[str], cyrillic: list[str]) -> tuple[str, list[str]]:
    """A rule of a random kind and the plain terms it names."""
    pool = latin if rng.random() < 0.5 else cyrillic
    a, b, c = rng.sample(pool, 3)
    kind = rng.random()
    if kind < 0.35:
        return a, [a]
    if kind < 0.60:
        return f'"{a} {b}"', [f"{a} {b}"]
    if kind < 0.80:
        return f"{a} AND {b}", [a, b]
    if kind < 0.95:
        return f"{a} OR {b} OR {c}", [a, b, c]
    return f"({a} OR {b}) AND {c}", [a, b, c]


def make_workload(
    rules: int, watchlists: int, entries: int, seed: int = 7, russian: list[str] | None = None
) -> Workload:
    """The rules and entries. ``russian``: real Russian words instead of the Cyrillic
    pseudo-words (which the dictionary does not know); an empty list: Latin words only."""
    rng = random.Random(seed)
    words = vocabulary(rng, 8000)
    latin = [word for word in words if word.isascii()]
    cyrillic = [word for word in words if not word.isascii()] if russian is None else russian
    cyrillic = cyrillic or latin
    sets, terms = [], {}
    for number in range(watchlists):
        made = [make_rule(rng, latin, cyrillic) for _ in range(rules // watchlists)]
        key = WatchlistKey(str(number))
        sets.append(RuleSet(key, tuple(rule for rule, _ in made)))
        terms[key] = [term for _, named in made for term in named]
    phrases = [term for named in terms.values() for term in named if " " in term]
    items = [make_entry(rng, number, latin, cyrillic, phrases) for number in range(entries)]
    return Workload(sets, terms, items)


def absent_rules(count: int, seed: int = 11) -> list[RuleSet]:
    """Rule sets of 100 rules each whose words occur in no entry of the workload."""
    rng = random.Random(seed)
    words = sorted({pseudo_word(rng, ABSENT).capitalize() for _ in range(count)})
    rules = [make_rule(rng, words, words)[0] for _ in range(count)]
    return [
        RuleSet(WatchlistKey(f"absent-{n}"), tuple(rules[n : n + 100]))
        for n in range(0, count, 100)
    ]


def make_entry(
    rng: random.Random, number: int, latin: list[str], cyrillic: list[str], phrases: list[str]
) -> Entry:
    """About 60 words: filler, a few watched words (inflected), sometimes a phrase."""
    is_latin = rng.random() < 0.5
    filler = LATIN_FILLER if is_latin else CYRILLIC_FILLER
    words = [rng.choice(filler) for _ in range(60)]
    for _ in range(rng.randint(0, 3)):
        watched = rng.choice(latin if is_latin else cyrillic)
        ending = rng.choice(LATIN_ENDINGS if is_latin else RUSSIAN_ENDINGS)
        words[rng.randrange(60)] = watched + ending
    if rng.random() < 0.2:
        words[rng.randrange(59)] = rng.choice(phrases)
    for position in rng.sample(range(60), 6):
        words[position] += rng.choice([",", ".", ""])
    title, summary = " ".join(words[:10]), " ".join(words[10:])
    return Entry("feed", f"e{number}", title, f"https://x/{number}", f"s{number}", summary)


def plain_matcher(
    terms: dict[WatchlistKey, list[str]],
) -> Callable[[Entry], list[WatchlistKey]]:
    """Per watchlist, one case-insensitive alternation of its terms as whole words."""
    patterns = [
        (key, re.compile(r"\b(?:" + "|".join(map(re.escape, named)) + r")\b", re.IGNORECASE))
        for key, named in terms.items()
    ]

    def match(entry: Entry) -> list[WatchlistKey]:
        text = entry.title + "\n" + entry.summary
        return [key for key, pattern in patterns if pattern.search(text)]

    return match


def dictionary_words(count: int, seed: int = 5) -> list[str]:
    """``count`` distinct Russian nouns and adjectives in their dictionary form, drawn from
    the dictionary itself (common and rare words alike, as rules name them)."""
    morph = dictionary.analyzer()
    rng = random.Random(seed)
    keys = morph.dictionary.words.keys()
    words: set[str] = set()
    while len(words) < count:
        word = rng.choice(keys)
        best = morph.parse(word)[0]
        if "-" not in word and best.normal_form == word and best.tag.POS in {"NOUN", "ADJF"}:
            words.add(word)
    return sorted(words)


def compile_figures(size: Size) -> dict[str, float]:
    """Cold compile times of the same rule shapes over Latin words only, over Russian
    dictionary words and over Cyrillic words the dictionary does not know, taken in turn."""
    latin_only = make_workload(size.rules, size.watchlists, 0, russian=[])
    first = compile_seconds(latin_only.watchlists)[0]
    figures = {"latin-first": first, "loaded-by-latin": float(dictionary.loaded())}
    start = time.perf_counter()
    dictionary.analyzer()
    figures["load"] = time.perf_counter() - start
    known = make_workload(size.rules, size.watchlists, 0, russian=dictionary_words(4000))
    unknown = make_workload(size.rules, size.watchlists, 0)
    runs: dict[str, list[float]] = {"latin": [], "russian": [], "unknown": []}
    for _ in range(size.repeats):
        for name, work in (("latin", latin_only), ("russian", known), ("unknown", unknown)):
            runs[name].append(compile_seconds(work.watchlists)[0])
    figures.update({name: statistics.median(times) for name, times in runs.items()})
    return figures


def report_compile(size: Size, got: dict[str, float]) -> None:
    print(f"compile of {size.rules:,} rules, cold (every word expanded again), median of 3:")
    print(f"  Latin words only:                         {got['latin']:.2f} s", end="")
    loaded = "loaded it" if got["loaded-by-latin"] else "did not load it"
    print(f"  (the first such compile {loaded}: {got['latin-first']:.2f} s)")
    print(f"  half the words Russian, from the dictionary: {got['russian']:.2f} s (target < 2 s)")
    print(f"  half the words Cyrillic, unknown to it:      {got['unknown']:.2f} s")
    print(f"  loading the dictionary, once per process:    {got['load']:.2f} s")


def compile_seconds(watchlists: list[RuleSet]) -> tuple[float, Matcher]:
    cache_clear()  # a cold start: every rule parsed and every word inflected again
    parse_query.cache_clear()
    start = time.perf_counter()
    matcher = Matcher(watchlists)
    return time.perf_counter() - start, matcher


def rate(match: Callable[[Entry], object], entries: Sequence[Entry], repeats: int) -> float:
    """Entries per second, the median of ``repeats`` runs over ``entries``."""
    return rates([match], entries, repeats)[0]


def rates(
    matches: list[Callable[[Entry], object]], entries: Sequence[Entry], repeats: int
) -> list[float]:
    """Entries per second of each matcher, their runs taken in turn so drift hits all."""
    runs: list[list[float]] = [[] for _ in matches]
    for _ in range(repeats):
        for match, times in zip(matches, runs, strict=True):
            start = time.perf_counter()
            for entry in entries:
                match(entry)
            times.append(len(entries) / (time.perf_counter() - start))
    return [statistics.median(times) for times in runs]


@dataclass(frozen=True)
class Size:
    rules: int
    watchlists: int
    entries: int
    sample: int  # entries the plain matcher is timed on
    repeats: int = 3


FULL, QUICK = Size(10000, 100, 20000, 200), Size(2000, 20, 4000, 60)


def measure(size: Size) -> dict[str, float]:
    """Every figure of the report, from one workload, in one process."""
    work = make_workload(size.rules, size.watchlists, size.entries)
    compiles = [compile_seconds(work.watchlists) for _ in range(size.repeats)]
    matcher, entries = compiles[0][1], work.entries
    few = Matcher(few_sets(work, size))
    padded = Matcher([*absent_rules(size.rules - size.rules // 10), *few_sets(work, size)])
    few_rate, padded_rate = rates([few.match, padded.match], entries, size.repeats)
    return {
        "compile": statistics.median(seconds for seconds, _ in compiles),
        "fast": rate(matcher.match, entries, size.repeats),
        "plain": rate(plain_matcher(work.terms), entries[: size.sample], size.repeats),
        "hits": sum(len(matcher.match(entry)) for entry in entries) / len(entries),
        "few": few_rate,
        "padded": padded_rate,
    }


def few_sets(work: Workload, size: Size) -> list[RuleSet]:
    """The first tenth of the watchlists."""
    return work.watchlists[: size.watchlists // 10]


def report(size: Size, got: dict[str, float]) -> None:
    tenth, rest = size.rules // 10, size.rules - size.rules // 10
    target = "  (target >= 100x)" if size == FULL else "  (the target is for the full run)"
    print(f"{size.rules:,} rules in {size.watchlists} watchlists; {size.entries:,} entries")
    print(f"compile (parse, inflect, automaton), median of {size.repeats}: {got['compile']:.2f} s")
    print(f"newsbot matcher: {got['fast']:10,.0f} entries/s  (all {size.entries:,} entries)")
    print(f"plain re matcher: {got['plain']:9,.1f} entries/s  (first {size.sample} entries)")
    print(f"ratio: {got['fast'] / got['plain']:,.0f}x per entry{target}")
    print(f"watchlists matched per entry: {got['hits']:.2f}")
    print(f"presearch: {tenth:,} of the rules alone: {got['few']:,.0f} entries/s;")
    print(f"  with {rest:,} more rules whose words never occur: {got['padded']:,.0f} entries/s")


PHRASE16 = '"' + " ".join(["ab*"] * 16) + '"'
NINE_PHRASES = " OR ".join('"' + " ".join(["ab"] * 15) + f' z{n}"' for n in range(1, 10))
FIFTY_NEARS = " OR ".join(f"ab* NEAR/{1000 - n} abc*" for n in range(50))
WORST_RULES = {
    "ab* NEAR/1000 ab*": "ab* NEAR/1000 ab*",
    "16 prefixes NEAR/1000 ab*": f"{PHRASE16} NEAR/1000 ab*",
    "nine 16-word phrases (/watch)": NINE_PHRASES,
    "50 NEARs (watchlist)": FIFTY_NEARS,
    "nested AND/OR/NOT, fields": "(title:ab* OR content:(abc* NEAR/500 ab*)) AND "
    f"({PHRASE16} OR (ab* -zz (abc* OR ab* NEAR/3 ab*)))",
}
ORDINARY_RULE = 'Rosatom OR "nuclear power" OR Kazakh*'
ADVERSARIAL_SIZES = (2_000, 10_000, 50_000)
UNLIMITED = Budget(floor=float("inf"))


def worst_texts(words: int) -> dict[str, str]:
    """Texts that make the rules above do the most work; each ends with the z words."""
    tail = " " + " ".join(f"z{n}" for n in range(1, 10))
    return {
        "repeated": " ".join(["ab"] * words) + tail,
        "prefixed": " ".join(f"ab{i}" for i in range(words)) + tail,
        "nested": " ".join("abc"[: 2 + i % 2] + "d" * (i % 7) for i in range(words)) + tail,
        "ligatures": " ".join(f"ab{i}\ufb01" for i in range(words)) + tail,  # NFKC: "fi"
    }


def per_entry(matcher: Matcher, entry: Entry, repeats: int) -> float:
    """Seconds to match one entry, the median of ``repeats``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matcher.match(entry)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def adversarial(repeats: int) -> dict[str, list[float]]:
    """Per rule (and the baseline), the worst seconds per entry at each size."""
    names = ["baseline: ordinary rule", *WORST_RULES]
    rules = [ORDINARY_RULE, *WORST_RULES.values()]
    matchers = [Matcher([RuleSet(WatchlistKey("r"), (rule,))], UNLIMITED) for rule in rules]
    worst: dict[str, list[float]] = {name: [] for name in names}
    for words in ADVERSARIAL_SIZES:
        entries = [Entry("f", k, "ab t", "", k, t, t) for k, t in worst_texts(words).items()]
        for name, matcher in zip(names, matchers, strict=True):
            worst[name].append(max(per_entry(matcher, entry, repeats) for entry in entries))
    return worst


def guarded_skips(words: int) -> tuple[int, int]:
    """With the default budget: rule and text pairs skipped, of all, at ``words``."""
    entries = [Entry("f", k, "ab t", "", k, t, t) for k, t in worst_texts(words).items()]
    matcher = Matcher([RuleSet(WatchlistKey(name), (rule,)) for name, rule in WORST_RULES.items()])
    skipped = sum(len(matcher.evaluate(entry).skipped) for entry in entries)
    return skipped, len(entries) * len(WORST_RULES)


def report_adversarial(worst: dict[str, list[float]], skips: tuple[int, int]) -> None:
    sizes = "".join(f"{words:>10,}" for words in ADVERSARIAL_SIZES)
    print()
    print("adversarial: ms per entry, worst of 4 texts (same text in summary and content),")
    print("budget guard off; growth = time at 50,000 words / time at 10,000 (linear: ~5)")
    print(f"{'words per field':32}{sizes}    growth  x baseline")
    baseline = worst["baseline: ordinary rule"]
    for name, seconds in worst.items():
        cells = "".join(f"{1000 * s:10.1f}" for s in seconds)
        growth, ratio = seconds[-1] / seconds[-2], seconds[-1] / baseline[-1]
        print(f"{name:32}{cells}{growth:10.1f}{ratio:12.1f}")
    words = ADVERSARIAL_SIZES[-1]
    print(f"default budget at {words:,} words: {skips[0]} of {skips[1]} rule/text pairs skipped")


def huge_entry() -> list[tuple[str, float, int]]:
    """Seconds and rule sets skipped, for each rule alone, on one 10 MB entry."""
    text = " ".join(f"ab{i}" for i in range(1_250_000))[:10_000_000]
    entry = Entry("f", "huge", "ab t", "", "huge", "", text)
    results = []
    for name, rule in [("baseline: ordinary rule", ORDINARY_RULE), *WORST_RULES.items()]:
        matcher = Matcher([RuleSet(WatchlistKey(name), (rule,))])
        start = time.perf_counter()
        skipped = len(matcher.evaluate(entry).skipped)
        results.append((name, time.perf_counter() - start, skipped))
    return results


def fifty_rules() -> tuple[float, float, int, float]:
    """Fifty ``ab* NEAR/n ab*`` rules as fifty rule sets, on an entry of 4,300 words half
    of which start with "ab": seconds with the guard off, on, rule sets skipped, and the
    seconds of one ordinary rule on the same entry."""
    rng = random.Random(5)
    words = [f"ab{rng.randrange(5000)}" if i % 2 else rng.choice(LATIN_FILLER) for i in range(4300)]
    entry = Entry("f", "ordinary", "ab t", "", "ordinary", "", " ".join(words))
    rulesets = [RuleSet(RuleKey(n), (f"ab* NEAR/{1000 - n} ab*",)) for n in range(50)]
    seconds = []
    for budget in (UNLIMITED, None):
        matcher = Matcher(rulesets, budget)
        start = time.perf_counter()
        skipped = len(matcher.evaluate(entry).skipped)
        seconds.append(time.perf_counter() - start)
    plain = per_entry(Matcher([RuleSet(WatchlistKey("r"), (ORDINARY_RULE,))]), entry, 3)
    return seconds[0], seconds[1], skipped, plain


def report_fifty(off: float, on: float, skipped: int, plain: float) -> None:
    print(f"fifty ab* NEAR/n ab* rules, one 4,300-word entry: {off:.2f} s (guard off),", end="")
    print(f" {on:.2f} s ({skipped} skipped); one ordinary rule: {plain * 1000:.1f} ms")


def report_huge(results: list[tuple[str, float, int]]) -> None:
    print("one 10 MB entry (1.25 million words), default budget:")
    for name, seconds, skipped in results:
        print(f"  {name:32}{seconds:8.2f} s{'  (skipped)' if skipped else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rules, 4,000 entries")
    parser.add_argument("--adversarial", action="store_true", help="only the adversarial case")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    if not args.adversarial:
        report_compile(size, compile_figures(size))
        report(size, measure(size))
    skips = guarded_skips(ADVERSARIAL_SIZES[-1])
    report_adversarial(adversarial(1 if args.quick else 3), skips)
    report_fifty(*fifty_rules())
    report_huge(huge_entry())


if __name__ == "__main__":
    main()
