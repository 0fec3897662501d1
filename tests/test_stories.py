"""Which story a new entry tells, across feeds, restarts and processes; ``newsbot stories``.

Entries go through the real pipeline where it matters (feeds served over HTTP, parsed,
stored in a SQLite file); the story book is also driven directly against a real store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.feedserver import FeedServer

from bot.cli import main
from bot.config import StoriesConfig
from bot.models import Entry
from bot.polling import stories as stories_module
from bot.polling.stories import StoryBook
from bot.store.records import FeedUpdate
from bot.store.store import Store

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
LEAD = (
    "Rosatom and the Kazakh government signed an agreement in Astana on Tuesday to build "
    "the country's first nuclear power plant near the village of Ulken on Lake Balkhash, "
    "with two VVER-1200 reactors due to start in 2035, the state corporation said."
)
OTHER = (
    "The CSTO defence ministers met in Minsk on Wednesday to discuss joint exercises in "
    "Tajikistan next spring and the supply of air defence systems to the member states, "
    "the organisation's press service said after the meeting."
)


def entry(feed: str, key: str, title: str, summary: str, link: str | None = None) -> Entry:
    link = link or f"https://{feed}.example/{key}"
    return Entry(feed, key, title, link, story=link, summary=summary)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.sync_feeds([(f, f"https://{f}.example/rss", None) for f in "abcd"])
    try:
        yield store
    finally:
        await store.close()


async def commit(store: Store, feed: str, entries: list[Entry], at: datetime) -> None:
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    await store.commit_poll(feed, change, entries, [])


async def test_the_same_news_from_another_outlet_joins_the_first_story(store: Store) -> None:
    book = StoryBook(store, StoriesConfig())
    [first] = await book.place([entry("a", "1", "Rosatom to build a plant", LEAD)], T0)
    assert first.same_as is None
    [again, other] = await book.place(
        [
            entry("b", "1", "Kazakhstan picks Rosatom for its first plant", LEAD + " — Trend"),
            entry("b", "2", "CSTO defence ministers meet", OTHER),
        ],
        T0,
    )
    assert again.same_as == first.story and again.told == first.story
    assert (other.same_as, other.told) == (None, other.story)
    # the same link is the same story, whatever its text
    [linked] = await book.place([entry("c", "9", "Update", "Nothing alike.", link=again.link)], T0)
    assert linked.told == first.story
    assert book.story_of(again.story) == first.story


async def test_a_restart_remembers_the_stories_of_the_window(store: Store) -> None:
    await commit(store, "a", [entry("a", "1", "Rosatom to build a plant", LEAD)], T0)
    book = StoryBook(store, StoriesConfig(window=3600))
    [joined] = await book.place(
        [entry("b", "1", "Rosatom signs deal", LEAD)], T0 + timedelta(minutes=50)
    )
    assert joined.same_as == "https://a.example/1"
    later = StoryBook(store, StoriesConfig(window=3600))
    [apart] = await later.place(
        [entry("c", "1", "Rosatom signs deal", LEAD)], T0 + timedelta(hours=2)
    )
    assert apart.same_as is None  # the first telling left the window


async def test_a_story_stays_open_while_outlets_keep_telling_it(store: Store) -> None:
    book = StoryBook(store, StoriesConfig(window=3600))
    at = T0
    titles = ("Rosatom deal", "Rosatom deal signed", "Rosatom plant deal", "Deal with Rosatom")
    for feed, title in zip("abcd", titles, strict=True):  # a telling every 50 minutes
        [told] = await book.place([entry(feed, "1", title, LEAD)], at)
        assert told.told == "https://a.example/1"
        at += timedelta(minutes=50)


async def test_what_another_process_stored_is_read_before_placing(store: Store) -> None:
    mine = StoryBook(store, StoriesConfig())
    theirs = StoryBook(store, StoriesConfig())
    await mine.place([entry("a", "0", "CSTO defence ministers meet", OTHER)], T0)
    [told] = await theirs.place([entry("b", "1", "Rosatom to build a plant", LEAD)], T0)
    # stored late, by a poll that began an hour before the last read
    await commit(store, "b", [told], T0 - timedelta(hours=1))
    [read] = await mine.place([entry("d", "1", "Rosatom, Kazakhstan agree", LEAD)], T0)
    assert read.same_as == "https://b.example/1"


async def test_one_text_repeated_a_thousand_times_is_one_story(store: Store) -> None:
    book = StoryBook(store, StoriesConfig())
    same = [entry("a", f"{n}", "Rosatom to build a plant", LEAD) for n in range(1000)]
    placed = await book.place(same, T0)
    assert {e.told for e in placed} == {"https://a.example/0"}
    assert len(book._index) == stories_module.INDEXED  # a few fingerprints, not a thousand


async def test_grouping_can_be_turned_off(store: Store) -> None:
    book = StoryBook(store, StoriesConfig(enabled=False))
    placed = await book.place(
        [entry("a", "1", "Rosatom to build", LEAD), entry("b", "1", "Rosatom deal", LEAD)], T0
    )
    assert [p.same_as for p in placed] == [None, None]


# --- newsbot stories -----------------------------------------------------------------


@pytest.fixture
def grouped(tmp_path: Path, feed_server: FeedServer) -> Path:
    """Three feeds: two tell the Rosatom story, one tells another."""
    path = write_config(
        tmp_path,
        {f: feed_server.url(f"/{f}.xml") for f in ("tass", "ria", "trend")},
        {"kz-nuclear": NUCLEAR},
    )
    text = path.read_text().replace("  - id: ria\n", "  - id: ria\n    title: RIA Novosti\n")
    path.write_text(text)
    published = (
        ("tass", "Rosatom to build a plant", LEAD),
        ("ria", "Kazakhstan picks Rosatom", LEAD),
        ("trend", "CSTO ministers meet", OTHER),
    )
    for feed, title, text in published:  # one after another: tass first
        feed_server.publish(f"/{feed}.xml", title, f"https://{feed}.example/1", text)
        assert main(["poll", "--config", str(path)]) == 0
    return path


def test_stories_lists_each_story_with_its_outlets(
    grouped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["stories", "--config", str(grouped)]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head.startswith("2 stories since ") and "1 told by more than one outlet" in head
    block = out[out.index("Rosatom to build a plant") :].splitlines()
    assert block[0].endswith("[2 outlets]")
    assert "Test News" in block[1] and "https://tass.example/1" in block[1]
    assert "RIA Novosti" in block[2] and "https://ria.example/1" in block[2]
    assert "CSTO ministers meet — Test News" in out


def test_stories_json_and_since(grouped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["stories", "--config", str(grouped), "--json"]) == 0
    stories = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rosatom = next(s for s in stories if s["title"] == "Rosatom to build a plant")
    assert [o["name"] for o in rosatom["outlets"]] == ["Test News", "RIA Novosti"]
    assert rosatom["story"] == "https://tass.example/1"
    assert main(["stories", "--config", str(grouped), "--since", "1ms", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_stories_refuses_a_bad_since(grouped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--config", str(grouped), "--since", "yesterday"]) == 1
    assert "--since" in capsys.readouterr().err
