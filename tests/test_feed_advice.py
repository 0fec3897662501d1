"""Advice on a feed's address, from the feeds its HTML page advertised at the last poll."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.databases import at_revision

from bot.cli import main
from bot.commands.feeds import print_feeds
from bot.config import Config, load_config
from bot.polling.health import stored_advice
from bot.store.records import FeedUpdate
from bot.store.store import Store

ONE = ("https://one.example/feed/",)
MANY = ("https://many.example/rss", "https://many.example/atom", "https://many.example/rdf")
PAGE_ERROR = "an HTML page, not a feed; it advertises https://text.example/rss: use that address"


def configured(folder: Path, feeds: dict[str, str]) -> Config:
    return load_config(write_config(folder, feeds, {"kz-nuclear": NUCLEAR}), env={})


async def polled(
    config: Config, advertised: dict[str, tuple[str, ...]], errors: dict[str, str]
) -> None:
    """The feeds of ``config`` stored, and failed as these pages and errors say."""
    store = await Store.open(config.storage.url)
    now = datetime.now(UTC)
    try:
        await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        for feed_id, found in advertised.items():
            change = FeedUpdate(now, None, ok=False, error="an HTML page", advertised=found)
            await store.record_attempt(feed_id, change)
        for feed_id, error in errors.items():
            await store.record_attempt(feed_id, FeedUpdate(now, None, ok=False, error=error))
    finally:
        await store.close()


FEEDS = {
    "one": "https://one.example/",
    "many": "https://many.example/",
    "text": "https://text.example/",
    "fine": "https://fine.example/rss",
}


async def test_advice_names_the_stored_addresses(tmp_path: Path) -> None:
    config = configured(tmp_path, FEEDS)
    # "text" failed with a message that reads like advice: only the stored addresses count
    await polled(config, {"one": ONE, "many": MANY}, {"text": PAGE_ERROR})
    expected = [
        "config.yaml: feeds[0].url: https://one.example/ is an HTML page, not a feed; "
        "it advertises https://one.example/feed/: use that address",
        "config.yaml: feeds[1].url: https://many.example/ is an HTML page, not a feed; "
        f"it advertises {', '.join(MANY)}: use one of those addresses",
    ]
    assert stored_advice(config) == expected
    out = io.StringIO()
    assert await print_feeds(config, out) == 0
    assert out.getvalue().splitlines()[-2:] == expected


async def test_no_advice_once_the_address_changed_in_config(tmp_path: Path) -> None:
    config = configured(tmp_path, FEEDS)
    await polled(config, {"one": ONE, "many": MANY}, {})
    edited = configured(tmp_path, {**FEEDS, "one": "https://one.example/feed/"})
    # check reads without taking up the new address: what was found at the old one is moot
    assert [line.split(": ")[1] for line in stored_advice(edited)] == ["feeds[1].url"]
    out = io.StringIO()
    await print_feeds(edited, out)  # takes up the new address, forgetting the old one's
    assert [line.split(": ")[1] for line in out.getvalue().splitlines()[-1:]] == ["feeds[1].url"]
    store = await Store.open(config.storage.url)
    try:
        assert {s.id: s.advertised for s in await store.feed_states()}["one"] == ()
    finally:
        await store.close()


def test_a_database_from_before_the_advertised_column_gives_no_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "newsbot.db"
    at_revision(path, "0003")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO feeds (id, config_url, url, initialized, status, failures, last_error)"
            " VALUES ('text', 'https://text.example/', 'https://text.example/', 1, 'active',"
            " 1, ?)",
            (PAGE_ERROR,),
        )
    before = path.read_bytes()
    config = configured(tmp_path, FEEDS)
    assert stored_advice(config) == []
    assert main(["check", "--config", str(config.path)]) == 0
    assert "warning" not in capsys.readouterr().out
    assert path.read_bytes() == before  # neither migrated nor written
