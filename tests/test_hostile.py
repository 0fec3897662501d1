"""Hostile feeds beside a healthy one, through the real pipeline and a local HTTP server.

Each hostile case asserts its bound (seconds, bytes received, requests made) and that
the healthy feed, polled at the same time, still delivers its entries quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from support.configs import CSTO, NUCLEAR, write_config
from support.feedserver import FeedServer, Reply, chunks, gzip_bomb

from bot.config import FeedConfig, load_config
from bot.feeds.fetch import MAX_REDIRECTS
from bot.feeds.inflate import PIECE
from bot.feeds.parse import MAX_ENTRIES
from bot.polling.pipeline import PollOutcome
from bot.wiring import Mode, Parts, build

HOSTILE, HEALTHY, WARM = "/hostile.xml", "/healthy.xml", "/warm.xml"
TIMEOUT = 1.0
MAX_BYTES = 1_000_000
QUICK = 0.75  # seconds the healthy feed's poll may take, whatever its neighbour does
HEALTHY_POLL = {"feed": "healthy", "status": "ok", "new_entries": 2, "matches": 2}


@dataclass(frozen=True)
class Bench:
    """The assembled parts; their fetcher counts the body bytes it received."""

    parts: Parts

    @property
    def received(self) -> int:
        return self.parts.fetcher.received


@dataclass(frozen=True)
class Polled:
    outcome: PollOutcome
    seconds: float


@pytest.fixture
async def bench(
    tmp_path: Path, feed_server: FeedServer
) -> AsyncIterator[Callable[..., Awaitable[Bench]]]:
    """``await bench(max_bytes=..., parse_workers=...)``: a pipeline over the feeds.

    The healthy feed is polled once first, beside a third feed, so the poll a test times
    runs in the steady state (parser workers started, the feed's old entries recorded)
    and brings two new entries, both matching a watchlist.
    """
    feed_server.publish(HEALTHY, "Weather in Almaty", "https://news.example/0")
    feed_server.publish(WARM, "Weather in Astana", "https://news.example/00")
    feeds = {name: feed_server.url(f"/{name}.xml") for name in ("hostile", "healthy", "warm")}
    async with contextlib.AsyncExitStack() as stack:

        async def make(max_bytes: int = MAX_BYTES, parse_workers: int = 0) -> Bench:
            watchlists = {"kz-nuclear": NUCLEAR, "csto-cis": CSTO}
            path = write_config(tmp_path, feeds, watchlists, parse_workers=parse_workers)
            limits = f"timeout: {TIMEOUT:g}s\n  max_bytes: {max_bytes}\n"
            path.write_text(path.read_text(encoding="utf-8").replace("timeout: 3s\n", limits))
            config = load_config(path, env={})
            parts = await stack.enter_async_context(
                build(config, Mode.DEMO)  # every entry new: matched, to see its text arrived
            )
            await asyncio.gather(
                *(parts.pipeline.poll(feed(parts, f)) for f in ("healthy", "warm"))
            )
            feed_server.publish(HEALTHY, "Rosatom signs Kazakhstan deal", "https://news.example/1")
            feed_server.publish(HEALTHY, "CSTO drills near Dushanbe", "https://news.example/2")
            parts.fetcher.received = 0
            return Bench(parts)

        yield make


def feed(parts: Parts, feed_id: str) -> FeedConfig:
    (found,) = [f for f in parts.config.feeds if f.id == feed_id]
    return found


async def poll_beside_healthy(parts: Parts, quick: float = QUICK) -> Polled:
    """Poll both feeds at once; assert the healthy one arrived within ``quick`` seconds.

    Returns the hostile feed's poll.
    """

    async def timed(feed_id: str) -> Polled:
        started = time.monotonic()
        outcome = await parts.pipeline.poll(feed(parts, feed_id))
        return Polled(outcome, time.monotonic() - started)

    hostile, healthy = await asyncio.gather(timed("hostile"), timed("healthy"))
    assert healthy.outcome.as_json() == HEALTHY_POLL
    assert healthy.seconds < quick
    return hostile


async def last_error(parts: Parts) -> str:
    state = await parts.store.feed_state("hostile")
    assert state is not None and state.last_error is not None
    return state.last_error


def rss(items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Hostile</title>'
        f"<link>https://hostile.example/</link>{items}</channel></rss>"
    )


# --- the network ------------------------------------------------------------------------------


async def test_a_server_that_stalls_mid_body(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    silence = itertools.repeat(b"")
    head = rss("<item><title>never finished").encode()
    feed_server.stream(HOSTILE, itertools.chain([head], silence), {"Content-Length": "99999"}, 0.05)
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    assert hostile.outcome.status == "error"
    assert hostile.outcome.error == f"timed out after {TIMEOUT:g}s"
    assert TIMEOUT <= hostile.seconds < TIMEOUT + 0.5
    assert len(feed_server.hits(HOSTILE)) == 1


async def test_an_endless_body(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    feed_server.stream(HOSTILE, itertools.repeat(b"<item><title>more</title></item>" * 2000))
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    assert hostile.outcome.error == f"body larger than {MAX_BYTES} bytes"
    assert built.received < MAX_BYTES + 2 * PIECE + 10_000  # the healthy feed's too
    assert hostile.seconds < 1


async def test_a_gigabyte_decompression_bomb(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    bomb = gzip_bomb(10**9)
    feed_server.stream(HOSTILE, chunks(bomb), {"Content-Encoding": "gzip"})
    max_bytes = 10_000_000
    built = await bench(max_bytes=max_bytes)
    tracemalloc.start()
    try:
        hostile = await poll_beside_healthy(built.parts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert hostile.outcome.error == f"body larger than {max_bytes} bytes"
    assert peak < 1.5 * max_bytes  # one decoded network chunk alone would be 16 MB or more
    assert built.received < 100_000  # of a 1 MB body: it was dropped early
    assert hostile.seconds < 1


async def test_a_redirect_loop(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    feed_server.reply(HOSTILE, Reply(301, headers={"Location": HOSTILE}))
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    assert hostile.outcome.error == f"more than {MAX_REDIRECTS} redirects"
    assert len(feed_server.hits(HOSTILE)) <= 6
    assert hostile.seconds < 1


# --- the content ------------------------------------------------------------------------------


async def test_an_html_page_that_advertises_a_feed(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    page = (
        b"<!doctype html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss/all.xml">'
        b"</head><body>" + b"<p>story</p>" * 5000 + b"</body></html>"
    )
    feed_server.reply(HOSTILE, Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    advice = f"it advertises {feed_server.url('/rss/all.xml')}: use that address"
    assert hostile.outcome.error == f"an HTML page, not a feed; {advice}"
    assert advice in await last_error(built.parts)
    assert hostile.seconds < 0.3  # feedparser's fallback parser would take 0.4 s for this page


async def test_an_entity_bomb(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    laughs = ['<!ENTITY l0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    ]
    body = rss(
        "<item><title>Rosatom &l9;</title><guid>bomb</guid></item>",
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(laughs) + "]>",
    )
    feed_server.reply(HOSTILE, Reply(200, body.encode(), {"Content-Type": "application/rss+xml"}))
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    assert (hostile.outcome.status, hostile.outcome.new_entries) == ("ok", 1)
    assert hostile.seconds < 0.5  # expat alone would spend 0.4-2 s expanding it


@pytest.mark.parametrize(
    ("declaration", "content_type"),
    [
        ('<?xml version="1.0" encoding="utf-8"?>', "application/rss+xml; charset=utf-8"),
        ("", "text/xml"),
    ],
)
async def test_a_cp1251_feed_that_says_otherwise(
    bench: Callable[..., Awaitable[Bench]],
    feed_server: FeedServer,
    declaration: str,
    content_type: str,
) -> None:
    body = rss(
        "<item><title>Росатом построит АЭС в Казахстане</title><guid>a</guid></item>", declaration
    )
    feed_server.reply(HOSTILE, Reply(200, body.encode("cp1251"), {"Content-Type": content_type}))
    built = await bench()
    hostile = await poll_beside_healthy(built.parts)
    assert hostile.outcome.as_json() == {
        "feed": "hostile",
        "status": "ok",
        "new_entries": 1,
        "matches": 1,
    }
    assert hostile.seconds < 1


async def test_dates_missing_or_in_the_future(
    bench: Callable[..., Awaitable[Bench]], feed_server: FeedServer
) -> None:
    items = (
        "<item><title>undated</title><guid>a</guid></item>"
        "<item><title>from 2999</title><guid>b</guid>"
        "<pubDate>Tue, 01 Jan 2999 00:00:00 GMT</pubDate></item>"
        f"<item><title>next week</title><guid>c</guid><pubDate>"
        f"{format_datetime(datetime.now(UTC) + timedelta(days=7), usegmt=True)}</pubDate></item>"
    )
    feed_server.reply(
        HOSTILE, Reply(200, rss(items).encode(), {"Content-Type": "application/rss+xml"})
    )
    built = await bench()
    started = datetime.now(UTC)
    hostile = await poll_beside_healthy(built.parts)
    assert (hostile.outcome.status, hostile.outcome.new_entries) == ("ok", 3)
    published = await built.parts.store.recent_published("hostile")
    assert len(published) == 2
    assert all(started <= when <= datetime.now(UTC) for when in published)  # clamped to now
    assert hostile.seconds < 1


@pytest.mark.parametrize(
    ("parse_workers", "quick"),
    [
        (2, QUICK),  # the default on a machine with cores to spare: parsing in processes
        (0, 2.0),  # a parsing thread holds the interpreter lock, but only while MAX_ENTRIES last
    ],
)
async def test_twenty_thousand_entries(
    bench: Callable[..., Awaitable[Bench]],
    feed_server: FeedServer,
    parse_workers: int,
    quick: float,
) -> None:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Story {n}</title><link>https://hostile.example/{n}</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n), usegmt=True)}</pubDate></item>"
        for n in range(20_000)
    )
    feed_server.reply(
        HOSTILE, Reply(200, rss(items).encode(), {"Content-Type": "application/rss+xml"})
    )
    built = await bench(max_bytes=10_000_000, parse_workers=parse_workers)
    hostile = await poll_beside_healthy(built.parts, quick)
    assert (hostile.outcome.status, hostile.outcome.new_entries) == ("ok", MAX_ENTRIES)
    assert hostile.seconds < 5  # feedparser alone needs ~9 s for all 20,000
