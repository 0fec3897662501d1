"""Search benchmark: what /search costs over a full period of stored entries.

Stores --entries synthetic entries (English and Russian news words; a title, a summary
and a content cut as the store cuts them) in a real SQLite file, then times, per run:

* load: reading every entry of the period, page by page, as /search does, no matching;
* substring: the same, plus a plain case-folded ``in`` test of each entry's texts;
* search QUERY: ``Search.run`` (the bounded search of /search and the /watch preview)
  with the time budget lifted, so that every entry is matched.

Reported: the median milliseconds of --runs runs, and each as a ratio to load and to
substring, with how many entries the query's prefilter let through to the matcher; then
what one /search with the default 2 s budget gets through.

    uv run python benchmarks/search.py [--entries 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.matching import Prefilter, parse_query
from bot.models import Entry
from bot.store.records import FeedUpdate
from bot.store.store import Store
from bot.telegram.search import MAX_ENTRIES, PAGE, Search

FEED = "bench"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VOCABULARY = (
    "government minister said on Tuesday that the new agreement on trade and energy "
    "would be signed next month in the capital after talks with regional partners "
    "market prices grain exports pipeline railway corridor port investment bank "
    "правительство министр заявил во вторник что новое соглашение о торговле и энергетике "
    "будет подписано в следующем месяце в столице после переговоров с партнерами "
    "рынок цены экспорт зерна трубопровод железная дорога коридор порт инвестиции банк"
)
WORDS = VOCABULARY.split()
RARE = ("Rosatom", "Росатома", "Aktau", "Middle Corridor", "Астане", "Kazakhstan's")
QUERIES = (
    "Rosatom",
    "Росатом",
    '"Middle Corridor" AND Aktau',
    "Kazakh* OR ~Tokayev",
    "Астана NEAR/5 министр",
    "title:grain -railway",
)


def text(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    if rng.random() < 0.05:
        chosen.insert(rng.randrange(len(chosen)), rng.choice(RARE))
    return " ".join(chosen)


async def fill(store: Store, count: int) -> None:
    """``count`` entries, a thousand per poll, spread over the last six days."""
    rng = random.Random(1)
    for start in range(0, count, 1000):
        entries = [
            Entry(
                FEED,
                f"k{n}",
                text(rng, 10).capitalize(),
                f"https://bench.example/{n}",
                f"https://bench.example/{n}",
                summary=text(rng, 50),
                content=text(rng, 400)[:2000],
            )
            for n in range(start, min(count, start + 1000))
        ]
        at = NOW - timedelta(days=6) + timedelta(seconds=start * 20)
        change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
        await store.commit_poll(FEED, change, entries, [])


async def load_only(store: Store) -> int:
    since, last, count = NOW - timedelta(days=7), None, 0
    while rows := await store.stored_entries(since, PAGE, last):
        count += len(rows)
        last = rows[-1]
    return count


async def substring(store: Store, needle: str) -> int:
    since, last, found = NOW - timedelta(days=7), None, 0
    needle = needle.casefold()
    while rows := await store.stored_entries(since, PAGE, last):
        for row in rows:
            e = row.entry
            found += needle in f"{e.title}\n{e.summary}\n{e.content}".casefold()
        last = rows[-1]
    return found


async def admitted(store: Store, query: str) -> int:
    """How many entries of the period the query's prefilter passes on to the matcher."""
    since, last, passed = NOW - timedelta(days=7), None, 0
    prefilter = Prefilter(parse_query(query))
    while rows := await store.stored_entries(since, PAGE, last):
        passed += sum(prefilter.admits(row.entry) for row in rows)
        last = rows[-1]
    return passed


async def median_ms(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(entries: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        await store.sync_feeds([(FEED, "https://bench.example/feed", "Bench Wire")])
        await fill(store, entries)
        unbounded = Search(store, 7, most=entries, budget=3600, now=lambda: NOW)
        load = await median_ms(runs, lambda: load_only(store))
        scan = await median_ms(runs, lambda: substring(store, "rosatom"))
        print(f"{entries} entries, SQLite, median of {runs} runs")
        print(f"{'load (no matching)':34} {load:8.0f} ms")
        print(f"{'substring scan':34} {scan:8.0f} ms   x{scan / load:.2f} of load")
        for query in QUERIES:
            found = await unbounded.run(query, 10)
            ms = await median_ms(runs, functools.partial(unbounded.run, query, 10))
            passed = await admitted(store, query)
            print(
                f"{'search ' + query:34} {ms:8.0f} ms   x{ms / load:.2f} of load, "
                f"x{ms / scan:.2f} of substring; {found.total} matches, "
                f"prefilter passed {passed}"
            )
        bounded = Search(store, 7, most=MAX_ENTRIES, now=lambda: NOW)
        found = await bounded.run(QUERIES[0], 10)
        print(
            f"default bounds ({MAX_ENTRIES} entries, 2 s): searched {found.searched}, "
            f"partial: {found.partial}"
        )
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.runs))
