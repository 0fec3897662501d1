"""One poll through the real pipeline: local HTTP feeds, a real SQLite file, no Telegram."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from support.configs import CSTO, NUCLEAR, write_config
from support.feedserver import FeedServer, Item, Reply, rss
from support.transport import FakeTransport

from bot.config import load_config
from bot.store.records import FeedUpdate
from bot.wiring import Mode, Parts, build

ALICE, BOB = 100, 200


@pytest.fixture
async def parts(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Parts]:
    feed_server.publish("/a.xml", "Old: Rosatom report", "https://news.example/old")
    feed_server.publish("/b.xml", "Weather in Almaty", "https://news.example/weather")
    path = write_config(
        tmp_path,
        {"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
    )
    config = load_config(path, env={})
    async with build(config, Mode.SERVICE, FakeTransport()) as built:
        await built.store.upsert_chat(ALICE, "private", "Alice")
        await built.store.upsert_chat(BOB, "private", "Bob")
        await built.store.subscribe(ALICE, ["kz-nuclear"])
        await built.store.subscribe(BOB, ["csto-cis"])
        yield built


async def pending(parts: Parts) -> list[tuple[int, str]]:
    from bot.store.store import utcnow

    return [(r.chat_id, r.title) for r in await parts.store.due(utcnow())]


async def test_first_poll_records_without_alerting(parts: Parts) -> None:
    outcomes = await parts.pipeline.poll_all()
    assert [o.as_json() for o in outcomes] == [
        {"feed": "a", "status": "ok", "new_entries": 1, "matches": 0},
        {"feed": "b", "status": "ok", "new_entries": 1, "matches": 0},
    ]
    assert await pending(parts) == []


async def test_new_entries_alert_only_their_subscribers(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    feed_server.publish("/a.xml", "Rosatom signs Kazakhstan deal", "https://news.example/1")
    feed_server.publish("/a.xml", "CSTO drills near Dushanbe", "https://news.example/2")
    feed_server.publish("/a.xml", "Football: Rosatom cup final", "https://news.example/3")
    [a, b] = await parts.pipeline.poll_all()
    assert (a.status, a.new_entries, a.matches, a.alerts) == ("ok", 3, 2, 2)
    assert b.status == "not_modified"
    assert sorted(await pending(parts)) == [
        (ALICE, "Rosatom signs Kazakhstan deal"),
        (BOB, "CSTO drills near Dushanbe"),
    ]


async def test_unchanged_feed_is_fetched_conditionally(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    [a, _] = await parts.pipeline.poll_all()
    assert a.status == "not_modified"
    second = feed_server.hits("/a.xml")[1]
    assert second.headers.get("If-None-Match", "").startswith('"')
    assert "If-Modified-Since" in second.headers


async def test_a_story_reaches_a_chat_once_across_feeds(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    feed_server.publish("/a.xml", "Rosatom wins tender", "https://News.example/story/?utm_source=x")
    feed_server.publish("/b.xml", "Rosatom wins the tender", "https://news.example/story")
    await parts.pipeline.poll_all()
    [(chat, title)] = await pending(parts)  # whichever feed was stored first
    assert chat == ALICE and title.startswith("Rosatom wins")


async def test_entries_repeated_within_a_feed_are_stored_once(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    twice = [
        Item("Rosatom A", "https://news.example/x", guid="g1"),
        Item("Rosatom A (again)", "https://news.example/x", guid="g1"),
    ]
    feed_server.set_feed("/a.xml", twice)
    [a, _] = await parts.pipeline.poll_all()
    assert (a.status, a.new_entries, a.alerts) == ("ok", 1, 1)


async def test_a_broken_feed_does_not_stop_the_others(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    page = b"<!doctype html><html><head><title>Not a feed</title></head><body>Hi</body></html>"
    feed_server.reply("/a.xml", Reply(200, page, {"Content-Type": "text/html"}))
    feed_server.publish("/b.xml", "CSTO summit opens", "https://news.example/csto")
    [a, b] = await parts.pipeline.poll_all()
    assert a.status == "error" and "HTML page" in (a.error or "")
    assert (b.status, b.alerts) == ("ok", 1)
    state = await parts.store.feed_state("a")
    assert state is not None and state.failures == 1 and state.next_poll_at is not None


async def test_an_html_page_leaves_the_feeds_it_advertises_until_a_feed_is_back(
    parts: Parts, feed_server: FeedServer
) -> None:
    page = (
        b"<!doctype html><html><head>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss">'
        b'<link rel="alternate" type="application/atom+xml" href="https://x.example/atom">'
        b"</head><body>News</body></html>"
    )
    feed_server.reply("/a.xml", Reply(200, page, {"Content-Type": "text/html"}))
    [a, _] = await parts.pipeline.poll_all()
    state = await parts.store.feed_state("a")
    assert state is not None and state.last_error == a.error
    assert state.advertised == (feed_server.url("/rss"), "https://x.example/atom")
    feed_server.reply("/a.xml", Reply(200, rss("A", [Item("Back", "https://news.example/b")])))
    [a, _] = await parts.pipeline.poll_all()
    state = await parts.store.feed_state("a")
    assert a.status == "ok" and state is not None and state.advertised == ()


async def test_permanent_redirect_updates_the_address(
    parts: Parts, feed_server: FeedServer
) -> None:
    feed_server.publish("/new.xml", "Rosatom moved", "https://news.example/m")
    feed_server.reply("/a.xml", Reply(301, headers={"Location": feed_server.url("/new.xml")}))
    [a, _] = await parts.pipeline.poll_all()
    assert a.status == "ok"
    state = await parts.store.feed_state("a")
    assert state is not None and state.url == feed_server.url("/new.xml")
    await parts.pipeline.poll_all()
    assert len(feed_server.hits("/a.xml")) == 1
    assert len(feed_server.hits("/new.xml")) == 2


async def test_gone_feed_is_no_longer_polled(parts: Parts, feed_server: FeedServer) -> None:
    feed_server.reply("/a.xml", Reply(410))
    [a, _] = await parts.pipeline.poll_all()
    assert a.status == "error" and a.next_poll_at is None
    [a, _] = await parts.pipeline.poll_all()
    assert a.status == "skipped"
    assert len(feed_server.hits("/a.xml")) == 1


async def test_rate_limited_feed_waits_as_asked(parts: Parts, feed_server: FeedServer) -> None:
    feed_server.reply("/a.xml", Reply(429, headers={"Retry-After": "7200"}))
    [a, _] = await parts.pipeline.poll_all()
    assert a.status == "error" and a.next_poll_at is not None
    state = await parts.store.feed_state("a")
    assert state is not None and state.last_attempt_at is not None
    assert (a.next_poll_at - state.last_attempt_at).total_seconds() >= 7200


async def test_admins_hear_once_about_a_feed_failing_for_a_day(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.reply("/a.xml", Reply(500, b"down"))
    feed_server.reply("/b.xml", Reply(410))
    feeds = {"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")}
    config = load_config(write_config(tmp_path, feeds, {"kz-nuclear": NUCLEAR}), env={})
    out = io.StringIO()
    async with build(config, Mode.CONSOLE, out=out) as parts:
        day_ago = datetime.now(UTC) - timedelta(hours=25)
        failed = FeedUpdate(attempted_at=day_ago, next_poll_at=None, ok=False, error="HTTP 500")
        await parts.store.record_attempt("a", failed)  # the spell began a day ago
        for _ in range(3):
            await parts.pipeline.poll_all()
            await parts.sender.drain()
        told = await parts.store.feed_state("a")
        ok = FeedUpdate(attempted_at=datetime.now(UTC), next_poll_at=None, ok=True)
        await parts.store.record_attempt("a", ok)
        recovered = await parts.store.feed_state("a")
    text = out.getvalue()
    assert text.count("Feed a") == 1 and "has failed for 24 h" in text
    assert text.count("Feed b") == 1 and "is gone (HTTP 410)" in text
    assert told is not None and told.failures == 4 and told.health_notice_at is not None
    assert recovered is not None and recovered.failing_since is None
    assert recovered.health_notice_at is None and recovered.failures == 0


async def test_publishers_freshness_hints_delay_the_next_poll(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.set_feed("/ttl.xml", [Item("Weekly digest", "https://news.example/w")], ttl=180)
    cached = {"Cache-Control": "public, max-age=7200"}
    feed_server.reply("/cc.xml", Reply(200, rss("Cached", []), cached))
    feeds = {"ttl": feed_server.url("/ttl.xml"), "cc": feed_server.url("/cc.xml")}
    config = load_config(
        write_config(tmp_path, feeds, {"kz-nuclear": NUCLEAR}, interval=None), env={}
    )
    async with build(config, Mode.CONSOLE, out=io.StringIO()) as parts:
        outcomes = {o.feed: o for o in await parts.pipeline.poll_all()}
        states = {s.id: s for s in await parts.store.feed_states()}
    for feed, floor in (("ttl", 180 * 60), ("cc", 7200)):
        outcome, state = outcomes[feed], states[feed]
        assert outcome.status == "ok" and outcome.next_poll_at and state.last_attempt_at
        assert (outcome.next_poll_at - state.last_attempt_at).total_seconds() >= floor


async def test_a_feeds_ttl_outlasts_a_restart_and_goes_when_the_feed_drops_it(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    item = [Item("Weekly digest", "https://news.example/w")]
    config = load_config(
        write_config(
            tmp_path, {"slow": feed_server.url("/slow.xml")}, {"x": NUCLEAR}, interval=None
        ),
        env={},
    )

    async def poll() -> float:
        async with build(config, Mode.CONSOLE, out=io.StringIO()) as parts:
            [outcome] = await parts.pipeline.poll_all()
            state = await parts.store.feed_state("slow")
        assert outcome.next_poll_at and state and state.last_attempt_at
        return (outcome.next_poll_at - state.last_attempt_at).total_seconds()

    feed_server.set_feed("/slow.xml", item, ttl=180)
    assert await poll() >= 180 * 60  # a 200 with its <ttl>
    assert await poll() >= 180 * 60  # a 304, after a restart
    feed_server.set_feed("/slow.xml", item)
    assert await poll() < 180 * 60  # a 200 without one
    assert await poll() < 180 * 60  # and its 304s


async def test_the_first_poll_schedules_by_the_entries_it_found(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    every_two_hours = [
        Item(f"Report {h}", f"https://news.example/r{h}", published=format_datetime(now - h))
        for h in (timedelta(hours=2 * n + 1) for n in range(6))
    ]
    feed_server.set_feed("/slow.xml", every_two_hours)
    feeds = {"slow": feed_server.url("/slow.xml")}
    config = load_config(
        write_config(tmp_path, feeds, {"kz-nuclear": NUCLEAR}, interval=None), env={}
    )
    async with build(config, Mode.CONSOLE, out=io.StringIO()) as parts:
        [first] = await parts.pipeline.poll_all()
        state = await parts.store.feed_state("slow")
        feed_server.set_feed("/slow.xml", [Item("Report new", "https://news.example/new")])
        [second] = await parts.pipeline.poll_all()  # its history now comes from the store
        again = await parts.store.feed_state("slow")
    assert (first.status, first.new_entries) == ("ok", 6)
    assert state is not None and state.last_attempt_at and first.next_poll_at
    assert (first.next_poll_at - state.last_attempt_at).total_seconds() == 2 * 3600
    assert (second.status, second.new_entries) == ("ok", 1)
    assert again is not None and again.last_attempt_at and second.next_poll_at
    assert (second.next_poll_at - again.last_attempt_at).total_seconds() == 2 * 3600


async def test_two_processes_polling_a_new_feed_at_once_store_it_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.publish("/a.xml", "Rosatom report", "https://news.example/1")
    feed_server.publish("/a.xml", "CSTO summit", "https://news.example/2")
    path = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR})
    config = load_config(path, env={})
    async with (
        build(config, Mode.CONSOLE, out=io.StringIO()) as one,
        build(config, Mode.CONSOLE, out=io.StringIO()) as other,
    ):
        states = [await parts.store.feed_state("a") for parts in (one, other)]
        assert all(s is not None and not s.initialized for s in states)
        outcomes = await asyncio.gather(
            *(
                p.pipeline.poll(p.config.feeds[0], s)
                for p, s in zip((one, other), states, strict=True)
            )
        )
        stored = await one.store.recent_published("a")
        state = await one.store.feed_state("a")
    assert [(o.status, o.new_entries) for o in outcomes] == [("ok", 2), ("ok", 2)]
    assert len(stored) == 2  # once, whichever process stored them first
    assert state is not None and state.initialized and state.failures == 0


async def test_an_unexpected_error_is_that_feeds_failure_only(
    parts: Parts, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await parts.pipeline.poll_all()
    feed_server.publish("/a.xml", "Rosatom again", "https://news.example/again")
    feed_server.publish("/b.xml", "CSTO again", "https://news.example/csto-again")
    real = parts.store.commit_poll

    async def broken(feed_id: str, *args: object) -> int:
        if feed_id == "a":
            raise RuntimeError("disk full")
        return await real(feed_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parts.store, "commit_poll", broken)
    a, b = await parts.pipeline.poll_all()
    assert a.status == "error" and a.error == "internal error: RuntimeError: disk full"
    assert (b.status, b.alerts) == ("ok", 1)
    state = await parts.store.feed_state("a")
    assert state is not None and state.failures == 1 and state.next_poll_at is not None


@pytest.mark.parametrize(
    ("link", "whole_feed"),
    [
        ("https://news.example/", True),  # the feed's own site link, in every item
        ("https://news.example/live", True),  # one link shared by every item
        ("https://news.example/live", False),  # only the newest item is ever served
    ],
    ids=["site-link", "shared-link", "one-item-at-a-time"],
)
async def test_a_feed_linking_every_item_to_one_page_alerts_each_new_item(
    parts: Parts, feed_server: FeedServer, link: str, whole_feed: bool
) -> None:
    items = [Item("Old: Rosatom report", link, guid="g0")]
    feed_server.set_feed("/a.xml", items)
    await parts.pipeline.poll_all()
    for n in range(1, 4):
        new = Item(
            f"Rosatom update {n}", link, guid=f"g{n}", published=f"Fri, 27 Nov 2026 1{n}:00:00 GMT"
        )
        items = [new, *items] if whole_feed else [new]
        feed_server.set_feed("/a.xml", items)
        [a, _] = await parts.pipeline.poll_all()
        assert (a.status, a.new_entries, a.alerts) == ("ok", 1, 1)
    assert sorted(await pending(parts)) == [(ALICE, f"Rosatom update {n}") for n in (1, 2, 3)]


async def test_a_shared_link_does_not_stop_dedupe_across_feeds(
    parts: Parts, feed_server: FeedServer
) -> None:
    await parts.pipeline.poll_all()
    feed_server.set_feed("/a.xml", [Item("Rosatom wins tender", "https://other.example/story")])
    feed_server.set_feed(
        "/b.xml", [Item("Rosatom wins the tender", "https://other.example/story/")]
    )
    await parts.pipeline.poll_all()
    [(chat, _)] = await pending(parts)
    assert chat == ALICE
