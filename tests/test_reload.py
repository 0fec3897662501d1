"""Edited watchlists take effect without a restart; a bad edit changes nothing."""

from __future__ import annotations

import io
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pytest
from support.configs import NUCLEAR, ROOT, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.processes import Service

from bot.config import Watchlist, load_config
from bot.models import Entry, WatchlistKey
from bot.polling.reloader import WatchlistReloader
from bot.wiring import Mode, build, console_audience

ALICE = 100


def entry(title: str) -> Entry:
    return Entry("a", title, title=title, link="", story=title)


def touch_later(path: Path, text: str) -> None:
    """Write ``text`` with a modification time that surely differs from before."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


async def test_watchlist_edits_apply_and_bad_ones_are_refused(
    tmp_path: Path, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR})
    config = load_config(path, env={})
    applied: list[list[str]] = []
    async with build(config, Mode.CONSOLE, out=io.StringIO()) as parts:

        async def apply(watchlists: Sequence[Watchlist]) -> None:
            await parts.rulebook.replace_watchlists(watchlists)
            applied.append([w.name for w in watchlists])

        reloader = WatchlistReloader(tmp_path / "watchlists", {"a"}, apply)
        assert await reloader.check() is False  # nothing changed yet
        touch_later(tmp_path / "watchlists" / "csto.yaml", "match: [CSTO]\n")
        assert await reloader.check() is True
        rules = await parts.rulebook(console_audience(parts.rulebook.names))
        assert [h.key for h in rules.matcher.match(entry("CSTO meets"))] == [WatchlistKey("csto")]
        assert rules.titles["csto"] == "csto"

        with caplog.at_level(logging.ERROR):
            touch_later(tmp_path / "watchlists" / "csto.yaml", "match: ['\"CSTO']\n")
            assert await reloader.check() is False
        assert "watchlists/csto.yaml: match[0]: unclosed quote" in caplog.text
        rules = await parts.rulebook(console_audience(parts.rulebook.names))
        assert [h.key for h in rules.matcher.match(entry("CSTO meets"))] == [WatchlistKey("csto")]
    assert applied == [["csto", "kz-nuclear"]]


BOMB = "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


class Output:
    """The lines a process writes, collected as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        self._stream = process.stdout
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, fragment: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(fragment in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {fragment!r} in:\n{''.join(self.lines)}"
            time.sleep(0.1)

    def text(self) -> str:
        self._reader.join(timeout=15)
        self._stream.close()
        return "".join(self.lines)


def test_an_alias_bomb_dropped_into_a_running_service_is_refused(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    """In a process capped at 1.5 GB: an expanding bomb fails there, not on this machine."""
    path = write_config(
        tmp_path,
        {"a": feed_server.url("/a.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29)),
    )
    output = Output(process)
    try:
        bot_api.wait_calls("getUpdates", timeout=30)
        (tmp_path / "watchlists" / "bomb.yaml").write_text(
            "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB + "match: *i\n"
        )
        output.wait_for("watchlists not reloaded")
        bot_api.add_user(ALICE, "Alice")
        bot_api.add_chat(ALICE)
        bot_api.push_message(ALICE, ALICE, "/lists")
        [reply] = bot_api.wait_sent(ALICE, timeout=30)
        assert "Kazakhstan nuclear power" in str(reply["reply_markup"])  # still served
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.text()
    assert code == 0, text
    assert "watchlists/bomb.yaml: line 2: YAML aliases (*a) are not accepted" in text
    assert "Traceback" not in text


def test_sigterm_stops_the_service_while_it_reads_large_watchlists(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Four files of 1 MB of rules take half a minute to read: a stop does not wait."""
    path = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR})
    service = Service(path)
    try:
        service.wait_output("newsbot running")
        rules = "".join(f"  - word{i}\n" for i in range(70_000))
        for n in range(4):
            (tmp_path / "watchlists" / f"big{n}.yaml").write_text(f"match:\n{rules}")
        service.wait_output("watchlists changed: reading")
        time.sleep(1)  # well into the reading
        began = time.monotonic()
        code = service.stop()
        took = time.monotonic() - began
    finally:
        service.kill()
    text = service.output
    assert code == 0, text
    assert "watchlists reloaded" not in text  # stopped before the reading ended
    assert took < 15, text
