"""Several instances on one database, part by part, on a real database server.

- Feed leases (:mod:`bot.store.leases`, :class:`bot.cluster.claims.FeedClaims`): who may
  poll a feed now, on both backends; on PostgreSQL, many claimants at the same moment.
- The poll scheduler with claims: several schedulers over the same feeds, served over
  real HTTP, poll each feed once per interval between them.
- The Telegram lock (:class:`bot.cluster.leader.TelegramLock`): one leader at a time,
  and another within ``failover`` when the leader stops, its session is killed, or it
  hangs.

Waits are bounded (``WAIT``) but never asserted as speed; the takeover bounds asserted
are the failover guarantees themselves, with a margin for a loaded machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url, select
from sqlalchemy.exc import InvalidRequestError
from support.configs import NUCLEAR, write_config
from support.databases import postgres_database, run_apart
from support.feedserver import FeedServer, Item, rss
from support.processes import newsbot_env

from bot.cluster import instance_name
from bot.cluster.claims import RECHECK, FeedClaims
from bot.cluster.leader import LOCK_KEY, TelegramLock
from bot.config import FeedConfig, load_config
from bot.polling.pipeline import PollOutcome
from bot.store import schema as t
from bot.store.engine import async_url
from bot.store.records import FeedUpdate
from bot.store.store import Store, utcnow
from bot.wiring import Mode, Parts, build

WAIT = 20  # seconds: a bound on waiting for what must happen, never an assertion
LEASE = timedelta(seconds=30)


# -- Leases, on both backends ---------------------------------------------------------


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    try:
        await store.sync_feeds([(f, f"https://{f}.example/rss", None) for f in ("a", "b", "c")])
        yield store
    finally:
        await store.close()


@dataclass(frozen=True)
class Lease:
    owner: str | None
    until: datetime | None
    next_poll_at: datetime | None


async def lease(store: Store, feed_id: str) -> Lease:
    f = t.feeds.c
    query = select(f.lease_owner, f.lease_until, f.next_poll_at).where(f.id == feed_id)
    async with store.engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return Lease(row.lease_owner, row.lease_until, row.next_poll_at)


async def polled(store: Store, feed_id: str, next_poll_at: datetime | None) -> None:
    """The feed's last poll stored ``next_poll_at``, as the pipeline stores it."""
    change = FeedUpdate(attempted_at=utcnow(), next_poll_at=next_poll_at, ok=True)
    await store.record_attempt(feed_id, change)


async def test_a_due_free_feed_is_claimed_once(store: Store) -> None:
    now = utcnow()
    await polled(store, "b", now - timedelta(minutes=1))  # overdue; "a": never polled
    assert await store.claim_feed("a", "one", now, now + LEASE) is True
    assert await store.claim_feed("b", "one", now, now + LEASE) is True
    assert await lease(store, "a") == Lease("one", now + LEASE, None)
    assert (await lease(store, "b")).owner == "one"
    # the same owner does not claim twice: the feed is not free while its claim holds
    assert await store.claim_feed("a", "one", now, now + 2 * LEASE) == now + LEASE
    assert (await lease(store, "a")).until == now + LEASE


async def test_a_second_owner_is_told_when_to_try_again(store: Store) -> None:
    now = utcnow()
    assert await store.claim_feed("a", "one", now, now + LEASE) is True
    # the feed is claimed, and due (never polled): try when the claim lapses
    assert await store.claim_feed("a", "two", now, now + LEASE) == now + LEASE
    # the poll stored a next poll time before the claim lapses: still when it lapses
    await polled(store, "a", now + timedelta(seconds=10))
    assert await store.claim_feed("a", "two", now, now + LEASE) == now + LEASE
    # the poll stored its next poll time, later than the claim: try then
    later = now + 3 * LEASE
    await polled(store, "a", later)
    assert await store.claim_feed("a", "two", now, now + LEASE) == later
    # a free feed not yet due: its next poll time
    await polled(store, "b", now + timedelta(minutes=5))
    assert await store.claim_feed("b", "two", now, now + LEASE) == now + timedelta(minutes=5)
    assert await lease(store, "b") == Lease(None, None, now + timedelta(minutes=5))
    assert (await lease(store, "a")).owner == "one"


async def test_an_expired_claim_is_taken_by_another_owner(store: Store) -> None:
    then = utcnow() - timedelta(minutes=2)
    assert await store.claim_feed("a", "dead", then, then + LEASE) is True
    now = utcnow()
    assert await store.claim_feed("a", "alive", now, now + LEASE) is True
    assert await lease(store, "a") == Lease("alive", now + LEASE, None)
    # the dead owner's release and renewal no longer touch it
    await store.release_feed("a", "dead", then, now + timedelta(minutes=5))
    assert await store.renew_leases("dead", ["a"], now + 2 * LEASE) == 0
    assert await lease(store, "a") == Lease("alive", now + LEASE, None)


async def test_a_gone_or_missing_feed_is_not_claimed(store: Store) -> None:
    now = utcnow()
    gone = FeedUpdate(now, None, ok=False, error="HTTP 410 Gone", gone=True)
    await store.record_attempt("c", gone)
    assert await store.claim_feed("c", "one", now, now + LEASE) is None
    assert await store.claim_feed("nowhere", "one", now, now + LEASE) is None
    assert (await lease(store, "c")).owner is None


async def test_release_keeps_the_next_poll_a_poll_stored_else_sets_the_retry(
    store: Store,
) -> None:
    claimed = utcnow()
    retry = claimed + timedelta(minutes=5)
    for feed_id in ("a", "b", "c"):
        assert await store.claim_feed(feed_id, "one", claimed, claimed + LEASE) is True
    # a: the poll stored its next poll time; b: it crashed before storing any (never
    # polled before); c: it crashed, and an older next poll time is left
    await polled(store, "a", claimed + timedelta(seconds=90))
    await polled(store, "c", claimed - timedelta(minutes=1))
    for feed_id in ("a", "b", "c"):
        await store.release_feed(feed_id, "one", claimed, retry)
    assert await lease(store, "a") == Lease(None, None, claimed + timedelta(seconds=90))
    assert await lease(store, "b") == Lease(None, None, retry)
    assert await lease(store, "c") == Lease(None, None, retry)
    # released: another owner claims it once it is due, not before
    assert await store.claim_feed("b", "two", claimed, claimed + LEASE) == retry
    assert await store.claim_feed("b", "two", retry, retry + LEASE) is True


async def test_a_release_by_another_owner_changes_nothing(store: Store) -> None:
    now = utcnow()
    assert await store.claim_feed("a", "one", now, now + LEASE) is True
    await store.release_feed("a", "two", now, now + timedelta(minutes=5))
    assert await lease(store, "a") == Lease("one", now + LEASE, None)


async def test_renewal_extends_only_the_owners_claims(store: Store) -> None:
    now = utcnow()
    assert await store.claim_feed("a", "one", now, now + LEASE) is True
    assert await store.claim_feed("b", "one", now, now + LEASE) is True
    assert await store.claim_feed("c", "two", now, now + LEASE) is True
    until = now + 2 * LEASE
    assert await store.renew_leases("one", ["a", "b", "c", "nowhere"], until) == 2
    assert [(await lease(store, f)).until for f in ("a", "b", "c")] == [until, until, now + LEASE]
    assert await store.renew_leases("one", [], until) == 0
    assert await store.renew_leases("one", iter(["a"]), until + LEASE) == 1
    assert (await lease(store, "a")).until == until + LEASE
    assert (await lease(store, "b")).until == until


async def test_claims_tell_a_loser_when_the_claim_lapses_and_nothing_of_a_gone_feed(
    store: Store,
) -> None:
    one = FeedClaims(store, "one", lease=30, slots=2)
    two = FeedClaims(store, "two", lease=30, slots=2)
    before = utcnow()
    assert await one.claim("a") is True
    retry = await two.claim("a")
    assert isinstance(retry, datetime)
    assert before + timedelta(seconds=30) <= retry <= utcnow() + timedelta(seconds=30)
    gone = FeedUpdate(utcnow(), None, ok=False, error="HTTP 410 Gone", gone=True)
    await store.record_attempt("c", gone)
    assert await two.claim("c") is None


async def test_claims_release_what_they_claimed_only(store: Store) -> None:
    one = FeedClaims(store, "one", lease=30, slots=2)
    two = FeedClaims(store, "two", lease=30, slots=2)
    assert await one.claim("a") is True
    retry = utcnow() + timedelta(minutes=5)
    await two.release("a", retry)  # never claimed by two: nothing happens
    assert (await lease(store, "a")).owner == "one"
    await one.release("a", retry)
    assert await lease(store, "a") == Lease(None, None, retry)
    await one.release("a", retry + LEASE)  # released already: nothing happens
    assert (await lease(store, "a")).next_poll_at == retry


async def test_claims_are_renewed_while_held_and_not_after_release(store: Store) -> None:
    lease_seconds = 3.0
    one = FeedClaims(store, "one", lease=lease_seconds, slots=2)
    two = FeedClaims(store, "two", lease=lease_seconds, slots=2)
    stop = asyncio.Event()
    renewing = asyncio.create_task(one.run(stop))
    try:
        assert await one.claim("a") is True
        assert await one.claim("b") is True
        first = await lease(store, "a")
        assert first.until is not None
        # past the first claim's end, renewed every third of it: still held
        while utcnow() < first.until + timedelta(seconds=1):
            await asyncio.sleep(0.2)
        assert isinstance(await two.claim("a"), datetime)
        now = await lease(store, "a")
        assert now.owner == "one"
        assert now.until is not None and now.until > first.until
        await one.release("b", utcnow())
        released = await lease(store, "b")
        assert (released.owner, released.until) == (None, None)
        await asyncio.sleep(lease_seconds * 0.7)  # at least one renewal more
        assert (await lease(store, "b")).until is None
        assert (await lease(store, "a")).owner == "one"
    finally:
        stop.set()
        await asyncio.wait_for(renewing, WAIT)


def test_instance_names_differ_for_every_instance() -> None:
    names = {instance_name() for _ in range(20)}
    assert len(names) == 20
    host, pid, _ = next(iter(names)).split(":")
    assert pid == str(os.getpid()) and host
    assert all(len(name) <= 100 for name in names)  # fits feeds.lease_owner


# -- Claims at the same moment, on PostgreSQL -----------------------------------------

CLAIMANTS = 8


@contextlib.asynccontextmanager
async def stores(url: str, count: int) -> AsyncIterator[list[Store]]:
    """``count`` stores, each with an engine of its own, as each instance has."""
    opened: list[Store] = []
    try:
        for _ in range(count):
            opened.append(await Store.open(url))
        yield opened
    finally:
        for store in opened:
            await store.close()


@contextlib.asynccontextmanager
async def row_locked(url: str, feed_id: str) -> AsyncIterator[None]:
    """The feed's row locked by another transaction (as a claim being made locks it)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT id FROM feeds WHERE id = $1 FOR UPDATE", feed_id)
            yield
    finally:
        await conn.close()


async def test_of_claimants_at_the_same_moment_exactly_one_wins() -> None:
    feeds = [f"f{n}" for n in range(20)]
    with postgres_database() as url:
        async with stores(url, CLAIMANTS) as claimants:
            await claimants[0].sync_feeds([(f, f"https://{f}.example/rss", None) for f in feeds])
            for feed_id in feeds:
                now = utcnow()
                answers = await asyncio.gather(
                    *(
                        s.claim_feed(feed_id, f"owner{n}", now, now + LEASE)
                        for n, s in enumerate(claimants)
                    )
                )
                winners = [n for n, answer in enumerate(answers) if answer is True]
                assert len(winners) == 1, (feed_id, answers)
                assert (await lease(claimants[0], feed_id)).owner == f"owner{winners[0]}"
                # the losers were told to try again at once (the row was being claimed)
                # or when the winner's claim lapses
                assert all(a in (now, now + LEASE) for a in answers if a is not True)


async def test_a_claim_does_not_wait_for_a_row_another_is_claiming() -> None:
    with postgres_database() as url:
        async with stores(url, CLAIMANTS) as claimants:
            await claimants[0].sync_feeds([("a", "https://a.example/rss", None)])
            async with row_locked(url, "a"):
                now = utcnow()
                # were they to queue on the row lock, none would answer while it is held
                answers = await asyncio.wait_for(
                    asyncio.gather(
                        *(
                            s.claim_feed("a", f"o{n}", now, now + LEASE)
                            for n, s in enumerate(claimants)
                        )
                    ),
                    WAIT,
                )
                assert answers == [now] * CLAIMANTS  # due, but being claimed
                retry = await asyncio.wait_for(
                    FeedClaims(claimants[0], "x", 30, 1).claim("a"), WAIT
                )
                assert isinstance(retry, datetime)
                assert now + RECHECK <= retry <= utcnow() + RECHECK  # a moment later
            assert (await lease(claimants[0], "a")).owner is None
            now = utcnow()
            assert await claimants[1].claim_feed("a", "o1", now, now + LEASE) is True


async def waiting_on_a_lock(url: str) -> bool:
    """Whether a session of the database waits for a row lock."""
    conn = await asyncpg.connect(url)
    try:
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(await conn.fetchval(query))
    finally:
        await conn.close()


async def blocked(task: asyncio.Task[None], url: str) -> None:
    """Until ``task`` waits on a row lock (or has ended)."""
    while not task.done() and not await waiting_on_a_lock(url):
        await asyncio.sleep(0.05)


async def test_a_poll_ending_during_a_renewal_is_not_a_lost_claim(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with postgres_database() as url:
        async with stores(url, 1) as [store]:
            await store.sync_feeds([(f, f"https://{f}.example/rss", None) for f in "abc"])
            claims = FeedClaims(store, "one", lease=30, slots=3)
            assert await claims.claim("a") is True
            assert await claims.claim("b") is True
            async with row_locked(url, "a"):  # the renewal waits on a
                renewal = asyncio.create_task(claims._renew())
                await asyncio.wait_for(blocked(renewal, url), WAIT)
                await claims.release("b", utcnow())  # b's poll ends meanwhile
            await asyncio.wait_for(renewal, WAIT)
            assert "lost to lapsed claims" not in caplog.text
            # a claim that did lapse, and was taken, is told
            lapsing = FeedClaims(store, "two", lease=0.01, slots=1)
            assert await lapsing.claim("c") is True
            await asyncio.sleep(0.05)
            assert await claims.claim("c") is True
            await lapsing._renew()
            assert "1 of 1 claimed feeds were lost to lapsed claims" in caplog.text


async def test_many_feeds_and_claimants_each_feed_claimed_once() -> None:
    feeds = [f"f{n:02}" for n in range(60)]
    with postgres_database() as url:
        async with stores(url, 6) as claimants:
            await claimants[0].sync_feeds([(f, f"https://{f}.example/rss", None) for f in feeds])
            now = utcnow()

            async def claim_all(n: int, store: Store) -> list[str]:
                order = list(feeds)
                random.Random(n).shuffle(order)
                won = []
                for feed_id in order:
                    if await store.claim_feed(feed_id, f"owner{n}", now, now + LEASE) is True:
                        won.append(feed_id)
                return won

            won = await asyncio.gather(*(claim_all(n, s) for n, s in enumerate(claimants)))
            assert sorted(f for w in won for f in w) == feeds
            for n, feed_ids in enumerate(won):
                for feed_id in feed_ids:
                    assert (await lease(claimants[0], feed_id)).owner == f"owner{n}"


def race_in_threads(url: str, feed_id: str) -> list[object]:
    """Each of ``CLAIMANTS`` threads, with a store and an event loop of its own, claims
    the feed at the same moment; what each was answered."""
    start = threading.Barrier(CLAIMANTS)
    answers: list[object] = [None] * CLAIMANTS

    async def claim(n: int) -> None:
        store = await Store.open(url)
        try:
            await store.ping()
            start.wait(WAIT)
            now = utcnow()
            answers[n] = await store.claim_feed(feed_id, f"thread{n}", now, now + LEASE)
        finally:
            await store.close()

    threads = [threading.Thread(target=asyncio.run, args=(claim(n),)) for n in range(CLAIMANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    return answers


def test_claimants_in_threads_of_their_own_one_wins() -> None:
    with postgres_database() as url:
        feeds = [f"t{n}" for n in range(5)]
        run_apart(_synced(url, feeds))
        for feed_id in feeds:
            answers = race_in_threads(url, feed_id)
            assert [a is True for a in answers].count(True) == 1, answers
            assert all(isinstance(a, datetime) for a in answers if a is not True), answers


async def _synced(url: str, feeds: list[str]) -> None:
    store = await Store.open(url)
    try:
        await store.sync_feeds([(f, f"https://{f}.example/rss", None) for f in feeds])
    finally:
        await store.close()


CLAIM_PROCESS = """
import asyncio, sys
from datetime import timedelta
from bot.store.store import Store, utcnow

async def main(url, owner, feeds):
    store = await Store.open(url)
    try:
        await store.ping()
        print("ready", flush=True)
        for feed_id in feeds:
            sys.stdin.readline()
            now = utcnow()
            won = await store.claim_feed(feed_id, owner, now, now + timedelta(seconds=30))
            print(feed_id, won is True, flush=True)
    finally:
        await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
"""


def test_claimants_in_processes_of_their_own_one_wins(tmp_path: Path) -> None:
    feeds = [f"p{n}" for n in range(3)]
    with postgres_database() as url:
        run_apart(_synced(url, feeds))
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", CLAIM_PROCESS, url, f"process{n}", *feeds],
                env=newsbot_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        try:
            for process in processes:
                assert process.stdout is not None and process.stdout.readline() == "ready\n"
            for feed_id in feeds:
                for process in processes:  # go, all at once
                    assert process.stdin is not None
                    process.stdin.write("\n")
                    process.stdin.flush()
                lines = []
                for process in processes:
                    assert process.stdout is not None
                    lines.append(process.stdout.readline().split())
                assert all(line[0] == feed_id for line in lines), lines
                assert [line[1] for line in lines].count("True") == 1, lines
            for process in processes:
                assert process.wait(WAIT) == 0
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait()
                for pipe in (process.stdin, process.stdout):
                    if pipe is not None:
                        pipe.close()


# -- Schedulers with claims over the same feeds, on PostgreSQL -------------------------

INTERVAL = 2.0  # seconds between polls of a feed


@dataclass
class Poll:
    instance: int
    feed_id: str
    began: datetime
    ended: datetime | None = None


@dataclass
class Served:
    """Feeds served over HTTP, each request's arrival time recorded."""

    server: FeedServer
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def feed(self, feed_id: str) -> str:
        path = f"/{feed_id}.xml"
        body = rss(
            f"News {feed_id}", [Item(f"Story of {feed_id}", f"https://news.example/{feed_id}")]
        )

        def answer(request: BaseHTTPRequestHandler) -> None:
            with self.lock:
                self.arrivals.setdefault(feed_id, []).append(time.time())
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        self.server.reply(path, answer)
        return self.server.url(path)

    def times(self, feed_id: str) -> list[float]:
        with self.lock:
            return sorted(self.arrivals.get(feed_id, []))


def cluster_config(folder: Path, url: str, feeds: dict[str, str], failover: str = "3s") -> Path:
    path = write_config(
        folder,
        feeds,
        {"kz-nuclear": NUCLEAR},
        interval=f"{INTERVAL:g}s",
        extra=f"  concurrency: 2\ncluster:\n  failover: {failover}\n",
    )
    text = path.read_text(encoding="utf-8").replace("sqlite:///newsbot.db", f"'{url}'")
    path.write_text(text, encoding="utf-8")
    return path


def recording(
    parts: Parts, instance: int, polls: list[Poll], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record every poll the instance's scheduler runs, as it runs it."""
    poll = parts.pipeline.poll

    async def recorded(feed: FeedConfig) -> PollOutcome:
        record = Poll(instance, feed.id, utcnow())
        polls.append(record)
        try:
            return await poll(feed)
        finally:
            record.ended = utcnow()

    monkeypatch.setattr(parts.pipeline, "poll", recorded)


class Instance:
    """One instance as ``newsbot run`` wires it: it polls the feeds it claims."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._stop = asyncio.Event()
        self._renewing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        assert self.parts.claims is not None
        self._renewing = asyncio.create_task(self.parts.claims.run(self._stop))
        await self.parts.scheduler.start()

    async def stop(self, grace: float = WAIT) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        await self.parts.scheduler.stop(grace)
        if self._renewing is not None:
            await asyncio.wait_for(self._renewing, WAIT)


@contextlib.asynccontextmanager
async def instance(
    config: Path,
    number: int,
    polls: list[Poll],
    monkeypatch: pytest.MonkeyPatch,
    start: bool = True,
) -> AsyncIterator[Instance]:
    """Instance ``number`` on the database of ``config``, started unless told not to;
    stopped after."""
    async with build(load_config(config, env={}), Mode.CONSOLE, out=io.StringIO()) as parts:
        assert parts.claims is not None and parts.leader is not None
        recording(parts, number, polls, monkeypatch)
        one = Instance(parts)
        if start:
            await one.start()
        try:
            yield one
        finally:
            await one.stop()


async def until(done: Callable[[], bool], bound: float = WAIT) -> None:
    deadline = time.monotonic() + bound
    while not done():
        assert time.monotonic() < deadline, "it did not happen in time"
        await asyncio.sleep(0.05)


async def test_schedulers_with_claims_poll_each_feed_once_an_interval(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = Served(feed_server)
    feed_ids = [f"feed{n}" for n in range(6)]
    rounds = 3
    polls: list[Poll] = []
    with postgres_database() as url:
        config = cluster_config(tmp_path, url, {f: served.feed(f) for f in feed_ids})
        async with contextlib.AsyncExitStack() as stack:
            for number in range(3):
                await stack.enter_async_context(instance(config, number, polls, monkeypatch))
            await until(lambda: all(len(served.times(f)) >= rounds for f in feed_ids))
    for feed_id in feed_ids:
        mine = sorted((p for p in polls if p.feed_id == feed_id), key=lambda p: p.began)
        arrivals = served.times(feed_id)
        assert len(mine) >= rounds
        assert len(arrivals) == len(mine)  # one fetch a poll, none without a claim
        for before, after in itertools.pairwise(mine):
            assert before.ended is not None and before.ended <= after.began  # never at once
            # the next poll waited for the time the last one stored, whoever made it
            assert after.began >= before.began + timedelta(seconds=INTERVAL), (before, after)
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        assert min(gaps) > INTERVAL / 2, (feed_id, gaps)  # never two fetches in one interval


async def test_the_feeds_of_an_instance_that_died_are_polled_once_its_claims_lapse(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = Served(feed_server)
    polls: list[Poll] = []
    with postgres_database() as url:
        config = cluster_config(tmp_path, url, {f: served.feed(f) for f in ("held", "free")})
        async with instance(config, 0, polls, monkeypatch, start=False) as alive:
            now = utcnow()
            lapses = now + timedelta(seconds=3)
            assert await alive.parts.store.claim_feed("held", "dead", now, lapses) is True
            await alive.start()
            await until(lambda: len(served.times("held")) >= 1)
    held = min(p.began for p in polls if p.feed_id == "held")
    assert held >= lapses  # not while the dead instance's claim held
    assert min(p.began for p in polls if p.feed_id == "free") < held


async def test_a_poll_cut_short_by_a_stop_leaves_its_feed_to_the_others(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance that stops mid-poll frees the feed, due at once: another instance
    polls it within ``failover``, as a restarted instance polls it at once."""
    served = Served(feed_server)
    url_of_slow = served.feed("slow")
    stalled, release = threading.Event(), threading.Event()
    body = rss("Slow", [Item("Story", "https://news.example/slow")])

    def stall_once(request: BaseHTTPRequestHandler) -> None:
        with served.lock:
            served.arrivals.setdefault("slow", []).append(time.time())
        if not stalled.is_set():
            stalled.set()
            release.wait(WAIT * 3)
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    feed_server.reply("/slow.xml", stall_once)
    failover = 3.0
    polls: list[Poll] = []
    try:
        with postgres_database() as url:
            config = cluster_config(tmp_path, url, {"slow": url_of_slow}, f"{failover:g}s")
            config.write_text(config.read_text().replace("timeout: 3s", "timeout: 60s"))
            async with instance(config, 0, polls, monkeypatch) as first:
                await until(stalled.is_set)
                async with instance(config, 1, polls, monkeypatch):
                    await asyncio.sleep(0.5)  # the second is told the feed is taken
                    stopped = utcnow()
                    await first.stop(grace=0)
                    assert [p.instance for p in polls] == [0]
                    await until(lambda: len(polls) >= 2, failover + 2)
            assert polls[1].instance == 1
            assert polls[1].began - stopped < timedelta(seconds=failover + 2)
    finally:
        release.set()


# -- The Telegram lock, on PostgreSQL --------------------------------------------------

FAILOVER = 3.0  # seconds: the smallest cluster.failover
TAKEOVER = FAILOVER + 2  # the failover bound, with a margin for a loaded machine
# Where no leader is to fail: on a loaded machine a stall of a second may end the
# leader's session (idle for half the failover time) before the leader sees the lock
# go, and another leads for that moment too; by design, but not what those tests test.
STEADY = 6.0


class Board:
    """Who leads, as each contender's ``lead`` says: at most one at a time."""

    def __init__(self) -> None:
        self.leading: set[str] = set()
        self.most = 0
        self.began: list[tuple[str, float]] = []
        self.ended: list[tuple[str, float]] = []

    def start(self, name: str) -> None:
        self.leading.add(name)
        self.most = max(self.most, len(self.leading))
        self.began.append((name, time.monotonic()))

    def end(self, name: str) -> None:
        self.leading.discard(name)
        self.ended.append((name, time.monotonic()))

    async def leader(self, after: float = 0.0, bound: float = WAIT) -> tuple[str, float]:
        """The first contender to begin leading at ``after`` or later, and when."""

        def found() -> list[tuple[str, float]]:
            return [(name, at) for name, at in self.began if at >= after]

        await until(lambda: bool(found()), bound)
        return found()[0]


class Contender:
    """One instance's Telegram lock, its ``lead`` reporting to the board."""

    def __init__(
        self,
        name: str,
        url: str,
        board: Board,
        fail: Exception | None = None,
        failover: float = FAILOVER,
    ) -> None:
        self.name = name
        self.lock = TelegramLock(make_url(async_url(url)), failover, name)
        self.board = board
        self.fail = fail
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Contender:
        self.task = asyncio.create_task(self.lock.run(self.stop, self.lead))
        return self

    async def lead(self, lost: asyncio.Event) -> None:
        self.board.start(self.name)
        try:
            assert self.lock.leading
            if self.fail is not None:
                raise self.fail
            await lost.wait()
        finally:
            self.board.end(self.name)

    async def finish(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, WAIT)


@contextlib.asynccontextmanager
async def contenders(
    url: str, board: Board, *names: str, failover: float = FAILOVER
) -> AsyncIterator[dict[str, Contender]]:
    started = {name: Contender(name, url, board, failover=failover).start() for name in names}
    try:
        yield started
    finally:
        for one in started.values():
            one.stop.set()
        for one in started.values():
            await one.finish()


async def sessions(url: str) -> dict[str, tuple[int, bool]]:
    """Each lock's session on the server: application name -> (backend pid, holds the lock)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """
            SELECT a.application_name, a.pid,
                   EXISTS (SELECT 1 FROM pg_locks l
                           WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
                             AND l.classid::bigint = $1 AND l.objid::bigint = $2) AS holds
            FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.application_name LIKE 'newsbot %'
            """,
            LOCK_KEY >> 32,
            LOCK_KEY & 0xFFFFFFFF,
        )
    finally:
        await conn.close()
    return {r["application_name"]: (r["pid"], r["holds"]) for r in rows}


async def holder(url: str) -> str | None:
    """The name of the lock's holder, from the server's side."""
    held = [name for name, (_, holds) in (await sessions(url)).items() if holds]
    assert len(held) <= 1
    return held[0].removeprefix("newsbot ") if held else None


async def state(url: str, application_name: str) -> str | None:
    """What the server says the session is doing (None: there is no such session)."""
    conn = await asyncpg.connect(url)
    try:
        query = "SELECT state FROM pg_stat_activity WHERE application_name = $1"
        found: str | None = await conn.fetchval(query, application_name)
        return found
    finally:
        await conn.close()


async def terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid) is True
    finally:
        await conn.close()


async def test_one_lock_leads_at_a_time_and_another_within_failover_when_it_stops() -> None:
    board = Board()
    with postgres_database() as url:
        async with contenders(url, board, "a", "b", "c", failover=STEADY) as locks:
            first, _ = await board.leader()
            await asyncio.sleep(STEADY / 2)  # the others keep trying meanwhile
            assert board.leading == {first}
            assert await holder(url) == first
            assert [one.lock.leading for one in locks.values()].count(True) == 1
            names = {name for name, _ in board.began}
            assert names == {first}
            stopped = time.monotonic()
            await locks[first].finish()
            assert board.leading == set()  # its lead returned before run did
            second, at = await board.leader(after=stopped)
            assert second != first
            assert at - stopped < STEADY + 2
            assert await holder(url) == second
            stopped = time.monotonic()
            await locks[second].finish()
            third, at = await board.leader(after=stopped)
            assert third not in (first, second)
            assert at - stopped < STEADY + 2
        assert board.most == 1
        assert [name for name, _ in board.began] == [first, second, third]
        assert [name for name, _ in board.ended] == [first, second, third]


async def test_a_leader_whose_session_is_killed_stops_and_another_leads() -> None:
    board = Board()
    with postgres_database() as url:
        async with contenders(url, board, "a", "b", "c") as locks:
            first, _ = await board.leader()
            pid, holds = (await sessions(url))[f"newsbot {first}"]
            assert holds
            killed = time.monotonic()
            await terminate(url, pid)
            await until(lambda: first not in board.leading, TAKEOVER)
            _, ended = board.ended[0]
            assert ended - killed < TAKEOVER  # it saw the lock go, and stopped leading
            assert not locks[first].lock.leading
            _, at = await board.leader(after=killed)
            assert at - killed < TAKEOVER
            now = await sessions(url)
            held = [(name, p) for name, (p, holds) in now.items() if holds]
            assert len(held) == 1 and held[0][1] != pid  # a new session holds it
            assert locks[first].task is not None and not locks[first].task.done()  # contends


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("Telegram refused"),
        # errors like the lock's own session's, which do not end run
        ConnectionResetError("Telegram hung up"),
        TimeoutError("Telegram did not answer"),
        InvalidRequestError("the outbox query failed"),
    ],
    ids=type,
)
async def test_an_error_in_lead_ends_run_with_it_and_frees_the_lock(error: Exception) -> None:
    board = Board()
    with postgres_database() as url:
        failing = Contender("failing", url, board, fail=error)
        with pytest.raises(type(error)) as raised:
            await asyncio.wait_for(failing.lock.run(failing.stop, failing.lead), WAIT)
        assert raised.value is error
        assert [name for name, _ in board.began] == ["failing"]  # not led again
        assert not failing.lock.leading
        ended = time.monotonic()
        async with contenders(url, board, "next"):
            name, at = await board.leader(after=ended)
            assert name == "next" and at - ended < TAKEOVER


async def test_an_error_in_lead_while_another_waits_hands_it_the_lead() -> None:
    board = Board()
    with postgres_database() as url:
        failing = Contender("failing", url, board, fail=RuntimeError("Telegram refused"))
        failing.start()
        await board.leader()
        async with contenders(url, board, "next"):
            assert failing.task is not None
            with pytest.raises(RuntimeError, match="Telegram refused"):
                await asyncio.wait_for(failing.task, WAIT)
            name, _ = await board.leader(after=board.ended[0][1])
            assert name == "next"
        assert board.most == 1


HOLDER = """
import asyncio, os, signal, sys
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from bot.cluster.leader import TelegramLock

url, failover, owner, hang = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
leading = False

if hang == "in-transaction":
    @event.listens_for(Engine, "commit")
    def _hang(conn):
        # the lock's ping has run, its transaction is open: the process hangs here
        if leading:
            print("hanging", flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)

async def main():
    stop = asyncio.Event()

    async def lead(lost):
        global leading
        leading = True
        print("leading", flush=True)
        await lost.wait()
        leading = False
        print("lost", flush=True)
        stop.set()

    await TelegramLock(make_url(url), failover, owner).run(stop, lead)
    print("stopped", flush=True)

asyncio.run(main())
"""


@contextlib.asynccontextmanager
async def holding_process(url: str, hang: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """A lock in a process of its own, leading: its lead prints "leading" and "lost"."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        async_url(url),
        str(FAILOVER),
        "hung",
        hang,
        env=newsbot_env(),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await line(process) == "leading"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode().strip()


async def test_a_hung_leader_loses_the_lock_to_another_within_failover() -> None:
    board = Board()
    with postgres_database() as url:
        async with holding_process(url, "none") as hung:
            assert await holder(url) == "hung"
            async with contenders(url, board, "b"):
                await asyncio.sleep(FAILOVER / 2)  # b tries, and fails, meanwhile
                assert board.began == []
                hung.send_signal(signal.SIGSTOP)
                stopped = time.monotonic()
                name, at = await board.leader(after=stopped)
                assert name == "b" and at - stopped < TAKEOVER
                assert "newsbot hung" not in await sessions(url)  # the server ended it
                hung.send_signal(signal.SIGCONT)
                assert await line(hung) == "lost"  # it knows, once it runs again
                assert await line(hung) == "stopped"
                assert await asyncio.wait_for(hung.wait(), WAIT) == 0
                assert await holder(url) == "b"


async def test_a_leader_hung_inside_its_ping_loses_the_lock_within_failover() -> None:
    """Hung between the ping's query and its commit, the session is idle in a
    transaction, where ``idle_session_timeout`` does not end it."""
    board = Board()
    with postgres_database() as url:
        async with holding_process(url, "in-transaction") as hung, contenders(url, board, "b"):
            assert await line(hung) == "hanging"
            stopped = time.monotonic()
            assert await state(url, "newsbot hung") == "idle in transaction"
            name, at = await board.leader(after=stopped, bound=TAKEOVER + WAIT)
            assert name == "b" and at - stopped < TAKEOVER
            assert await holder(url) == "b"


async def test_a_leader_whose_database_stops_answering_stops_leading() -> None:
    """The holder's session stops answering (its server process is stopped): the
    holder stops leading once its ping gets no answer; nobody leads while the silent
    session holds the lock, and once it goes on, another leads."""
    board = Board()
    with postgres_database() as url:
        async with contenders(url, board, "a", "b", failover=STEADY) as locks:
            first, _ = await board.leader()
            pid, holds = (await sessions(url))[f"newsbot {first}"]
            assert holds
            try:
                os.kill(pid, signal.SIGSTOP)
            except PermissionError:
                pytest.skip("the PostgreSQL server's processes are not ours to stop")
            try:
                silent = time.monotonic()
                await until(lambda: first not in board.leading, STEADY + 2)
                assert board.ended[0][1] - silent < STEADY + 2
                assert not locks[first].lock.leading
                await asyncio.sleep(STEADY / 2)
                assert board.leading == set()
            finally:
                os.kill(pid, signal.SIGCONT)
            resumed = time.monotonic()
            _, at = await board.leader(after=resumed)
            assert at - resumed < STEADY + 2
        assert board.most == 1


async def test_a_console_instance_takes_turns_only_with_consoles_never_with_services(
    tmp_path: Path,
) -> None:
    """``run --console`` (or an empty token) on the services' database prints alerts: it
    must not hold the lock that decides which service sends to Telegram."""
    from bot.delivery.terminal import TerminalTransport

    leading: set[str] = set()

    def lead_as(name: str) -> Callable[[asyncio.Event], Any]:
        async def lead(lost: asyncio.Event) -> None:
            leading.add(name)
            await lost.wait()
            leading.discard(name)

        return lead

    with postgres_database() as url:
        config = load_config(cluster_config(tmp_path, url, {}), env={})
        stop = asyncio.Event()
        console = build(config, Mode.CONSOLE, out=io.StringIO())
        service = build(config, Mode.SERVICE, transport=TerminalTransport(io.StringIO()))
        async with console as printing, service as sending:
            assert printing.leader is not None and sending.leader is not None
            runs = [
                asyncio.create_task(printing.leader.run(stop, lead_as("console"))),
                asyncio.create_task(sending.leader.run(stop, lead_as("service"))),
            ]
            try:
                await until(lambda: leading == {"console", "service"}, WAIT)
            finally:
                stop.set()
                await asyncio.gather(*runs)
