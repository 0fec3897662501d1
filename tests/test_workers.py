"""Parsing in worker processes: the same result as in-process, and survival of a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.processes import Service

from bot.errors import FeedParseError
from bot.feeds.parse import parse_feed
from bot.feeds.workers import Parsers

FEED = (
    Path(__file__).parent.parent / "bot" / "commands" / "demo_feeds" / "ru-news.xml"
).read_bytes()
URL = "https://ru-news.example/rss"


async def test_workers_parse_like_the_main_process() -> None:
    parsers = Parsers(workers=1)
    try:
        parsed = await parsers.parse("ru", FEED, URL, "application/rss+xml")
    finally:
        parsers.close()
    here = parse_feed("ru", FEED, URL, "application/rss+xml")
    assert parsed.title == here.title
    assert [e.key for e in parsed.entries] == [e.key for e in here.entries]
    assert [e.summary for e in parsed.entries] == [e.summary for e in here.entries]


async def test_zero_workers_parse_in_a_thread() -> None:
    parsed = await Parsers(workers=0).parse("ru", FEED, URL, "")
    assert len(parsed.entries) == len(parse_feed("ru", FEED, URL).entries)


async def test_errors_cross_the_process_boundary() -> None:
    parsers = Parsers(workers=1)
    try:
        with pytest.raises(FeedParseError, match="HTML page"):
            await parsers.parse("x", b"<!doctype html><html><body>hi</body></html>", URL, "")
    finally:
        parsers.close()


async def test_a_parse_that_takes_too_much_cpu_fails_and_the_worker_goes_on() -> None:
    dense = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        + b"<x/>" * 250_000  # a megabyte of elements: about 7 s of feedparser's time
        + b"<item><title>a</title><link>https://x.example/1</link></item></channel></rss>"
    )
    parsers = Parsers(workers=1, cpu_limit=0.5)
    try:
        await parsers.parse("ru", FEED, URL, "")  # the worker is up
        workers = set(parsers._started()._processes)
        started = time.monotonic()
        with pytest.raises(FeedParseError, match=r"more than 0.5 s of CPU"):
            await parsers.parse("dense", dense, URL, "")
        took = time.monotonic() - started
        again = await parsers.parse("ru", FEED, URL, "")
        assert set(parsers._started()._processes) == workers  # the same worker, not a new one
    finally:
        parsers.close()
    assert took < 3
    assert len(again.entries) > 5


async def test_a_dead_worker_costs_one_feed_then_parsing_goes_on() -> None:
    parsers = Parsers(workers=1)
    try:
        await parsers.parse("ru", FEED, URL, "")
        pool = parsers._started()
        for pid in list(pool._processes):  # the OOM killer, say
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(FeedParseError, match="crashed"):
            await parsers.parse("ru", FEED, URL, "")
        again = await parsers.parse("ru", FEED, URL, "")
    finally:
        parsers.close()
    assert len(again.entries) > 5


async def test_close_does_not_wait_for_a_long_parse() -> None:
    parsers = Parsers(workers=1)
    # element-dense: about 10 s of feedparser's time, and no entries to trim it by
    huge = b"<rss><channel>" + b"<x/>" * 300_000 + b"</channel></rss>"
    task = asyncio.ensure_future(parsers.parse("big", huge, URL, ""))
    await asyncio.sleep(1.0)  # the worker is busy with it now
    began = time.monotonic()
    parsers.close()
    with pytest.raises((FeedParseError, asyncio.CancelledError, CancelledError)):
        await task
    assert time.monotonic() - began < 2


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_the_service_is_killed(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, {"kz": "http://127.0.0.1:9/kz.xml"}, {"kz-nuclear": NUCLEAR}, parse_workers=2
    )
    service = Service(config)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = {p for p in _children(service.process.pid) if "spawn_main" in _cmdline(p)}
            time.sleep(0.1)
        assert len(workers) == 2, "the parse workers did not start"
    finally:
        service.kill()
    deadline = time.monotonic() + 30  # a bound on a hang, not a speed requirement
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "parse workers outlived a kill -9 of the service"


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
