"""/recent, /search and the /watch preview, through a real python-telegram-bot Application
and the fake Bot API; the bounded search and its config beside them."""

from __future__ import annotations

import itertools
import re
import string
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update
from support.configs import CSTO, NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI, say

from bot.config import load_config
from bot.errors import ConfigError
from bot.messages import FeedNotice, alert_message
from bot.models import Alert, Entry
from bot.store import schema as t
from bot.store.outbox import HELD, SUMMARISED
from bot.store.records import ChatFilter, FeedUpdate
from bot.store.store import Store
from bot.telegram.application import build_application
from bot.telegram.commands import Commands
from bot.telegram.gate import Gate
from bot.telegram.history import HistoryCommands, render_found
from bot.telegram.personal import PersonalCommands
from bot.telegram.search import Found, Search
from bot.telegram.texts import LOCALES

ALICE, IVAN, ASEL, GROUP, CAROL = 100, 200, 300, -700, 400
FEED, FEED_TITLE = "astana-daily", "Astana <Daily> & Co"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
_keys = itertools.count()


@pytest.fixture
async def store(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[Store]:
    path = write_config(
        tmp_path,
        {},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    config = load_config(path, env={})
    opened = await Store.open(config.storage.url)
    await opened.sync_feeds([(FEED, "https://astana.example/feed", FEED_TITLE)])
    app = build_application(config)
    gate = Gate(opened, config.telegram.admins)
    commands = Commands(opened, config.watchlists, gate)
    commands.install(app)
    search = Search(opened, config.telegram.search_days, now=lambda: NOW)
    PersonalCommands(opened, gate, search).install(app)
    HistoryCommands(opened, gate, search, lambda: [w.name for w in config.watchlists]).install(app)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_user(IVAN, "Иван", language_code="ru")
    bot_api.add_user(ASEL, "Әсел", language_code="kk")
    bot_api.add_user(CAROL, "Carol")
    bot_api.add_chat(GROUP, "group", "Desk")
    bot_api.set_member(GROUP, CAROL, "member")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield opened
        finally:
            await app.updater.stop()
            await app.stop()
            await opened.close()


async def said_html(api: FakeBotAPI, chat: int, user: int, text: str, count: int) -> str:
    """The reply as sent: Telegram HTML (the fake API has checked that it parses)."""
    api.push_message(chat, user, text)
    return str((await api.wait_sent_async(chat, count))[count - 1]["text"])


def entry(title: str, summary: str = "", link: str | None = None) -> Entry:
    key = f"key-{next(_keys)}"
    return Entry(FEED, key, title, link or f"https://astana.example/{key}", key, summary)


async def stored(store: Store, at: datetime, *entries: Entry) -> None:
    """Entries a poll at ``at`` stored, without alerts."""
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    await store.commit_poll(FEED, change, entries, [])


async def alerted(
    store: Store,
    chat: int,
    at: datetime,
    title: str,
    watchlists: Sequence[str] = ("kz-nuclear",),
    sent: bool = True,
) -> int:
    """An alert about a new entry titled ``title``, queued for ``chat`` by a poll at ``at``,
    then sent unless ``sent`` is false; returns its outbox row id."""
    new = entry(title)
    alert = Alert(chat, new, ("Kazakhstan nuclear power",), watchlists=tuple(watchlists))
    change = FeedUpdate(attempted_at=at, next_poll_at=None, ok=True)
    assert await store.commit_poll(
        FEED, change, [new], [(alert, alert_message(alert, FEED_TITLE, at))]
    )
    row = (await store.due(at, chats=ChatFilter(only=chat)))[-1]  # the newest
    if sent:
        await store.mark_sent(row.id)
    return row.id


async def set_status(store: Store, row_id: int, status: str) -> None:
    async with store.writing() as conn:
        await conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(status=status))


async def set_time_zone(store: Store, chat: int, zone: str) -> None:
    async with store.writing() as conn:
        await conn.execute(update(t.chats).where(t.chats.c.id == chat).values(time_zone=zone))


# /recent


async def test_recent_lists_sent_summarised_and_held_alerts_in_the_chats_time_zone(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await say(bot_api, ALICE, ALICE, "/recent", 1)  # the chat is recorded
    await set_time_zone(store, ALICE, "Asia/Almaty")  # UTC+5
    base = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    await alerted(store, ALICE, base, "Rosatom signs the <plant> deal")
    summarised = await alerted(store, ALICE, base + timedelta(minutes=1), "Uranium & exports")
    held = await alerted(store, ALICE, base + timedelta(minutes=2), "Referendum date", sent=False)
    await alerted(store, ALICE, base + timedelta(minutes=3), "Still pending", sent=False)
    await alerted(store, IVAN, base, "Another chat's alert")
    await set_status(store, summarised, SUMMARISED)
    await set_status(store, held, HELD)
    notice = FeedNotice(FEED, "https://astana.example/feed", "gone")
    await store.queue_notice(notice, [ALICE], base, base)

    html = await said_html(bot_api, ALICE, ALICE, "/recent", 2)
    lines = html.splitlines()
    assert lines[0] == "<b>Latest alerts in this chat</b>"
    assert len(lines) == 4  # pending alerts, notices and other chats' alerts are not listed
    assert lines[1].startswith("• 01 Dec 14:07 · <a href=")
    assert "Referendum date</a>" in lines[1] and lines[1].endswith("<b>held</b>")
    assert "Uranium &amp; exports" in lines[2] and "held" not in lines[2]
    assert lines[3].startswith("• 01 Dec 14:05 · ")
    assert "Rosatom signs the &lt;plant&gt; deal" in lines[3]
    assert "<i>Astana &lt;Daily&gt; &amp; Co</i>" in lines[3]


async def test_recent_shows_the_last_ten(store: Store, bot_api: FakeBotAPI) -> None:
    for n in range(12):
        await alerted(store, ALICE, NOW + timedelta(minutes=n), f"Story number {n}")
    reply = await say(bot_api, ALICE, ALICE, "/recent", 1)
    shown = re.findall(r"Story number \d+", reply)
    assert shown == [f"Story number {n}" for n in range(11, 1, -1)]  # newest first


async def test_recent_of_one_watchlist(store: Store, bot_api: FakeBotAPI) -> None:
    await alerted(store, ALICE, NOW, "Nuclear news", ("kz-nuclear",))
    await alerted(store, ALICE, NOW + timedelta(minutes=1), "CSTO news", ("csto-cis",))
    await alerted(store, ALICE, NOW + timedelta(minutes=2), "Both", ("csto-cis", "kz-nuclear"))
    reply = await say(bot_api, ALICE, ALICE, "/recent kz-nuclear", 1)
    assert reply.startswith("Latest alerts of kz-nuclear")
    assert "Nuclear news" in reply and "Both" in reply and "CSTO news" not in reply
    none = await say(bot_api, IVAN, IVAN, "/recent csto-cis", 1)
    assert none == "Уведомлений по csto-cis в этом чате за последние 7 дн. не было."


async def test_recent_of_an_unknown_watchlist_lists_the_known_ones(
    store: Store, bot_api: FakeBotAPI
) -> None:
    reply = await say(bot_api, ALICE, ALICE, "/recent <b>nope%", 1)
    assert reply == "Unknown watchlist: <b>nope%. Known: csto-cis, kz-nuclear"


async def test_recent_with_nothing_yet(store: Store, bot_api: FakeBotAPI) -> None:
    reply = await say(bot_api, ALICE, ALICE, "/recent", 1)
    assert reply.startswith("No alerts in this chat in the last 7 days.")
    kazakh = await say(bot_api, ASEL, ASEL, "/recent", 1)
    assert kazakh.startswith("Соңғы 7 күнде бұл чатта хабарлама болған жоқ.")


async def test_recent_looks_back_search_days(store: Store, bot_api: FakeBotAPI) -> None:
    await alerted(store, ALICE, NOW - timedelta(days=7, minutes=1), "Last week's story")
    await alerted(store, ALICE, NOW - timedelta(days=6), "This week's story")
    reply = await say(bot_api, ALICE, ALICE, "/recent", 1)
    assert "This week's story" in reply and "Last week" not in reply


async def test_anyone_in_a_group_may_look_back(store: Store, bot_api: FakeBotAPI) -> None:
    await alerted(store, GROUP, NOW, "Group story")
    assert "Group story" in await say(bot_api, GROUP, CAROL, "/recent", 1)
    await stored(store, NOW, entry("Rosatom in the group"))
    assert "Found: 1" in await say(bot_api, GROUP, CAROL, "/search Rosatom", 2)


# /search


async def test_search_lists_the_newest_ten_matches_with_the_total(
    store: Store, bot_api: FakeBotAPI
) -> None:
    for n in range(12):
        await stored(store, NOW - timedelta(hours=12 - n), entry(f"Rosatom report {n}"))
    await stored(store, NOW, entry("Football results"), entry("Other", summary="by Rosatom"))
    await stored(store, NOW - timedelta(days=8), entry("Rosatom, too old to be searched"))
    html = await said_html(bot_api, ALICE, ALICE, "/search Rosatom", 1)
    lines = html.splitlines()
    assert lines[0] == "Found: <b>13</b> (last 7 days). The newest:"
    assert len(lines) == 11
    assert ">Other</a>" in lines[1]  # matched in its summary, and the newest
    assert re.findall(r"Rosatom report \d+", html) == [
        f"Rosatom report {n}" for n in range(11, 2, -1)
    ]
    assert "<i>Astana &lt;Daily&gt; &amp; Co · 01 Dec 12:00</i>" in lines[1]
    assert "too old" not in html


async def test_search_without_a_match(store: Store, bot_api: FakeBotAPI) -> None:
    await stored(store, NOW, entry("Rosatom report"))
    reply = await say(bot_api, ALICE, ALICE, "/search Gazprom", 1)
    assert reply == "Nothing stored in the last 7 days matches this query."


async def test_search_refuses_bad_and_long_queries(store: Store, bot_api: FakeBotAPI) -> None:
    bad = await say(bot_api, ALICE, ALICE, "/search Rosatom AND (", 1)
    assert bad.startswith("This query does not parse") and "Rosatom AND (\n" in bad
    long_query = " OR ".join(f"w{n}" for n in range(130))
    too_long = await say(bot_api, ALICE, ALICE, f"/search {long_query}", 2)
    assert too_long == f"A search may have at most 500 characters; this one has {len(long_query)}."
    many = " OR ".join(f"t{n}" for n in range(21))
    assert "at most 20 terms; this one has 21" in await say(
        bot_api, ALICE, ALICE, f"/search {many}", 3
    )
    assert (await say(bot_api, ALICE, ALICE, "/search", 4)).startswith("Usage: /search QUERY")


async def test_search_finds_inflected_russian_and_replies_in_russian(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await stored(store, NOW, entry("Визит президента в Астану"), entry("Астанинский форум"))
    reply = await say(bot_api, IVAN, IVAN, "/search Астана", 1)
    assert reply.startswith("Найдено: 1 (за 7 дн.). Самые новые:")
    assert "Визит президента в Астану" in reply and "форум" not in reply
    assert "01 дек 12:00" in reply


async def test_search_escapes_feed_text_and_links_only_web_addresses(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await stored(
        store,
        NOW,
        entry('Rosatom <b>"bold"</b> & co', link='https://x.example/?a=1&b="2"'),
        entry("Rosatom scripted", link="javascript:alert(1)"),
    )
    html = await said_html(bot_api, ALICE, ALICE, "/search Rosatom", 1)
    assert 'href="https://x.example/?a=1&amp;b=&quot;2&quot;"' in html
    assert "Rosatom &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co</a>" in html
    assert "javascript" not in html and "• Rosatom scripted · " in html


# the /watch preview


async def test_watch_previews_what_the_rule_would_have_matched(
    store: Store, bot_api: FakeBotAPI
) -> None:
    for n in range(5):
        await stored(store, NOW - timedelta(hours=5 - n), entry(f"CSTO summit day {n}"))
    await stored(store, NOW - timedelta(days=9), entry("CSTO, long ago"))
    html = await said_html(bot_api, ALICE, ALICE, "/watch CSTO", 1)
    lines = html.splitlines()
    assert lines[0] == "Rule 1 added: <code>CSTO</code>"
    assert lines[2] == (
        "It would have matched <b>5</b> of the entries of the last 7 days, such as:"
    )
    assert re.findall(r"CSTO summit day \d", html) == [f"CSTO summit day {n}" for n in (4, 3, 2)]
    assert len(lines) == 6


async def test_watch_preview_of_a_rule_that_matches_nothing(
    store: Store, bot_api: FakeBotAPI
) -> None:
    await stored(store, NOW, entry("CSTO summit"))
    reply = await say(bot_api, ASEL, ASEL, "/watch Rosatom", 1)
    assert "Бұл ереже соңғы 7 күнде сақталған ештеңені таппас еді" in reply
    assert [r.query for r in await store.rules(ASEL)] == ["Rosatom"]


# the bounded search


@pytest.fixture
async def plain_store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    await opened.sync_feeds([(FEED, "https://astana.example/feed", FEED_TITLE)])
    try:
        yield opened
    finally:
        await opened.close()


async def eight_entries(store: Store) -> None:
    """Eight entries, four matching ``Rosatom`` (the even ones), one a minute, the
    last stored at NOW; entry 7 shares its second with entry 6."""
    for n in range(8):
        seen = NOW - timedelta(minutes=7 - n) if n < 7 else NOW - timedelta(minutes=1)
        title = f"Rosatom item {n}" if n % 2 == 0 else f"Other item {n}"
        await stored(store, seen, entry(title))


def titles(found: Found) -> list[str]:
    return [e.entry.title for e in found.newest]


async def test_search_reads_every_page_of_the_period(plain_store: Store) -> None:
    await eight_entries(plain_store)
    search = Search(plain_store, 7, page=3, now=lambda: NOW)
    found = await search.run("Rosatom", keep=3)
    assert (found.total, found.searched, found.partial) == (4, 8, False)
    assert titles(found) == ["Rosatom item 6", "Rosatom item 4", "Rosatom item 2"]


async def test_search_of_exactly_the_cap_is_complete(plain_store: Store) -> None:
    await eight_entries(plain_store)
    found = await Search(plain_store, 7, most=8, page=3, now=lambda: NOW).run("Rosatom", 10)
    assert (found.total, found.searched, found.partial) == (4, 8, False)


async def test_search_stops_at_the_cap_and_says_so(plain_store: Store) -> None:
    await eight_entries(plain_store)
    found = await Search(plain_store, 7, most=5, page=3, now=lambda: NOW).run("Rosatom", 10)
    assert (found.total, found.searched, found.partial) == (2, 5, True)
    assert titles(found) == ["Rosatom item 6", "Rosatom item 4"]


async def test_search_stops_at_its_time_budget_and_says_so(plain_store: Store) -> None:
    await eight_entries(plain_store)
    ticks = itertools.count()

    def clock() -> float:  # one second per look at the clock
        return float(next(ticks))

    search = Search(plain_store, 7, page=3, budget=4.5, clock=clock, now=lambda: NOW)
    found = await search.run("Rosatom", 10)
    # the deadline is 0 + 4.5; the clock reads 1 to 4 before the four newest entries,
    # over two pages, and 5 before the fifth
    assert found.partial and found.searched == 4
    assert titles(found) == ["Rosatom item 6", "Rosatom item 4"] and found.total == 2


async def test_search_matches_in_worker_threads_not_on_the_event_loop(
    plain_store: Store,
) -> None:
    await eight_entries(plain_store)
    readers: set[int] = set()

    def clock() -> float:  # read once to start, then before each entry, where it matches
        readers.add(threading.get_ident())
        return 0.0

    found = await Search(plain_store, 7, page=3, clock=clock, now=lambda: NOW).run("Rosatom", 1)
    assert found.total == 4
    assert readers and threading.get_ident() in readers  # the start, on the loop
    assert len(readers - {threading.get_ident()}) >= 1  # the entries, in worker threads


async def test_search_looks_back_search_days_only(plain_store: Store) -> None:
    await stored(plain_store, NOW - timedelta(days=2, minutes=1), entry("Rosatom old"))
    await stored(plain_store, NOW - timedelta(days=1), entry("Rosatom new"))
    found = await Search(plain_store, 2, now=lambda: NOW).run("Rosatom", 10)
    assert titles(found) == ["Rosatom new"] and not found.partial


def test_a_partial_search_says_how_many_it_searched() -> None:
    found = Found(3, (), 20_000, True)
    lines = render_found(found, 7, UTC, "en").splitlines()
    assert lines[1] == "<i>Searched only the newest 20000 entries: older ones may match too.</i>"


# config and texts


def test_search_days_defaults_to_a_week_and_is_bounded(tmp_path: Path) -> None:
    path = write_config(tmp_path, {}, {})
    assert load_config(path, env={}).telegram.search_days == 7
    for value, fault in (
        ("0", "greater than or equal to 1"),
        ("91", "less than or equal to 90"),
        ("true", "whole number of days"),
        ("7.5", "fractional part"),
        ("week", "valid integer"),
    ):
        text = path.read_text().replace("admins: [999]", f"admins: [999]\n  search_days: {value}")
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, env={})
        assert "config.yaml: telegram.search_days: " in str(caught.value)
        assert fault in str(caught.value)
        path = write_config(tmp_path, {}, {})
    path.write_text(path.read_text().replace("admins: [999]", "admins: [999]\n  search_days: 30"))
    assert load_config(path, env={}).telegram.search_days == 30


def test_every_language_has_every_history_text_with_the_same_fields() -> None:
    def fields(message: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}

    catalogs = {}
    for lang in ("en", "ru", "kk"):
        with (LOCALES / lang / "LC_MESSAGES" / "history.po").open("rb") as source:
            catalogs[lang] = {m.id: m.string for m in read_po(source) if m.id}
    english = catalogs["en"]
    for lang in ("ru", "kk"):
        assert catalogs[lang].keys() == english.keys()
        for key, message in english.items():
            assert fields(catalogs[lang][key]) == fields(message), (lang, key)
    for lang, texts in catalogs.items():
        assert len(texts["months"].split()) == 12, lang
