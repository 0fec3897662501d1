"""``newsbot demo``: the real pipeline on bundled feeds, offline, alerts printed.

The bundled feeds are served over HTTP on a free loopback port, so fetching, parsing,
matching, storing (in a temporary SQLite file) and rendering are the same code as
``newsbot run``; every bundled entry counts as new.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

from bot.config import (
    Config,
    DeliveryConfig,
    FeedConfig,
    PollingConfig,
    StorageConfig,
    TelegramConfig,
    default_config_path,
    load_watchlists,
    watchlists_folder_of,
)
from bot.counts import counted
from bot.errors import ConfigError
from bot.wiring import Mode, build

FEEDS = Path(__file__).parent / "demo_feeds"


def main(args: argparse.Namespace) -> int:
    return asyncio.run(run_demo(sys.stdout))


def demo_feeds(base_url: str) -> tuple[FeedConfig, ...]:
    return tuple(
        FeedConfig(id=p.stem, url=f"{base_url}/{p.name}") for p in sorted(FEEDS.glob("*.xml"))
    )


@contextlib.asynccontextmanager
async def serve_bundled() -> AsyncIterator[str]:
    """Serve the bundled feeds on a free port of 127.0.0.1; yield the server's address.

    Only the files of the feeds folder are served (404 for any other path), nothing is
    logged, and the server is shut down and closed on the way out.
    """

    class _BundledFeeds(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as feed servers do

        def do_GET(self) -> None:
            name = unquote(urlsplit(self.path).path).removeprefix("/")
            path = FEEDS / name
            found = path.parent == FEEDS and path.is_file()
            body = path.read_bytes() if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header(
                "Content-Type", "application/xml; charset=utf-8" if found else "text/plain"
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the demo's output is its alerts

    server = ThreadingHTTPServer(("127.0.0.1", 0), _BundledFeeds)
    server.daemon_threads = True
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        serving.join()


def watchlists_folder() -> Path:
    """The shipped watchlists: those of ./config.yaml (or $NEWSBOT_CONFIG), else ./watchlists.

    The config's token and its other settings play no part: the demo needs neither.
    """
    path = default_config_path(None)
    if path.is_file():
        try:
            return watchlists_folder_of(path)
        except ConfigError:
            pass
    return Path("watchlists")


def demo_config(db_folder: Path, base_url: str) -> Config:
    feeds = demo_feeds(base_url)
    lists, problems = load_watchlists(watchlists_folder(), {f.id for f in feeds})
    if problems:
        raise ConfigError(problems)
    return Config(
        path=Path("demo"),
        telegram=TelegramConfig(),
        storage=StorageConfig(url=f"sqlite:///{db_folder / 'demo.db'}"),
        polling=PollingConfig(),
        delivery=DeliveryConfig(),
        feeds=feeds,
        watchlists=tuple(lists),
    )


async def run_demo(out: TextIO) -> int:
    """Poll every bundled feed once, print the alerts and a summary; exit status."""
    with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as folder:
        async with serve_bundled() as base_url:
            config = demo_config(Path(folder), base_url)
            async with build(config, Mode.DEMO, out=out) as parts:
                # One feed after another, in name order: a story two feeds share is
                # credited to the same outlet every run (`run` polls them concurrently).
                outcomes = [await parts.pipeline.poll(feed) for feed in config.feeds]
                sent = await parts.sender.drain()
                stories = await parts.store.stories_since(datetime.min.replace(tzinfo=UTC))
    retold = sum(1 for s in stories if len({o.feed_id for o in s.outlets}) > 1)
    entries = sum(o.new_entries for o in outcomes)
    matched = sum(o.matches for o in outcomes)
    errors = [f"{o.feed}: {o.error}" for o in outcomes if o.status == "error"]
    out.write(
        f"\n{counted(len(outcomes), 'feed')}, {counted(entries, 'entry', 'entries')}, "
        f"{matched} matched, {counted(sent, 'alert')} (one per story; "
        f"{counted(retold, 'story', 'stories')} told by several outlets), "
        f"{counted(len(config.watchlists), 'watchlist')}\n"
    )
    for error in errors:
        out.write(f"error: {error}\n")
    return 1 if errors else 0
