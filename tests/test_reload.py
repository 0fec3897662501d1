"""Edited watchlists take effect without a restart; a bad edit changes nothing."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import NUCLEAR, write_config
from feedserver import FeedServer

from bot.config import Watchlist, load_config
from bot.console import ConsoleTransport
from bot.models import Entry
from bot.reload import WatchlistReloader
from bot.service import assemble, console_audience


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
    async with assemble(config, ConsoleTransport(io.StringIO()), console=True) as parts:

        async def apply(watchlists: Sequence[Watchlist]) -> None:
            await parts.rulebook.replace_watchlists(watchlists)
            applied.append([w.name for w in watchlists])

        reloader = WatchlistReloader(tmp_path / "watchlists", {"a"}, apply)
        assert await reloader.check() is False  # nothing changed yet
        touch_later(tmp_path / "watchlists" / "csto.yaml", "match: [CSTO]\n")
        assert await reloader.check() is True
        rules = await parts.rulebook(console_audience(parts.rulebook.names))
        assert [h.key for h in rules.matcher.match(entry("CSTO meets"))] == ["wl:csto"]
        assert rules.titles["csto"] == "csto"

        with caplog.at_level(logging.ERROR):
            touch_later(tmp_path / "watchlists" / "csto.yaml", "match: ['\"CSTO']\n")
            assert await reloader.check() is False
        assert "watchlists/csto.yaml: match[0]: unclosed quote" in caplog.text
        rules = await parts.rulebook(console_audience(parts.rulebook.names))
        assert [h.key for h in rules.matcher.match(entry("CSTO meets"))] == ["wl:csto"]
    assert applied == [["csto", "kz-nuclear"]]
