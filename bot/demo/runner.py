"""``newsbot demo``: the real pipeline on bundled feeds, offline, alerts printed.

The bundled feeds are served to the real fetcher by an in-process HTTP transport, so
fetching, parsing, matching, storing (in a temporary SQLite file) and rendering are the
same code as ``newsbot run``; every bundled entry counts as new.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TextIO

import httpx

from bot.config import (
    Config,
    DeliveryConfig,
    FeedConfig,
    PollingConfig,
    StorageConfig,
    TelegramConfig,
    default_config_path,
    load_config,
    load_watchlists,
)
from bot.console import ConsoleTransport
from bot.errors import ConfigError
from bot.feeds.fetch import make_client
from bot.service import assemble

FEEDS = Path(__file__).parent / "feeds"
DEMO_HOST = "demo.newsbot.invalid"


def demo_feeds() -> tuple[FeedConfig, ...]:
    return tuple(
        FeedConfig(id=p.stem, url=f"https://{DEMO_HOST}/{p.name}")
        for p in sorted(FEEDS.glob("*.xml"))
    )


def serve_bundled(request: httpx.Request) -> httpx.Response:
    """The in-process 'server' of the bundled feeds."""
    path = FEEDS / Path(request.url.path).name
    if request.url.host != DEMO_HOST or not path.is_file():
        return httpx.Response(404)
    return httpx.Response(
        200, content=path.read_bytes(), headers={"content-type": "application/xml; charset=utf-8"}
    )


def watchlists_folder() -> Path:
    """The shipped watchlists: those of ./config.yaml (or $NEWSBOT_CONFIG), else ./watchlists."""
    path = default_config_path(None)
    if path.is_file():
        try:
            config = load_config(path, env={})
        except ConfigError:
            return Path("watchlists")
        folder = {w.path.parent for w in config.watchlists}
        return folder.pop() if len(folder) == 1 else Path("watchlists")
    return Path("watchlists")


def demo_config(db_folder: Path) -> Config:
    feeds = demo_feeds()
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
        config = demo_config(Path(folder))
        client = make_client(config.polling.timeout, transport=httpx.MockTransport(serve_bundled))
        transport = ConsoleTransport(out)
        async with assemble(
            config, transport, console=True, client=client, alert_on_first_poll=True
        ) as parts:
            outcomes = await parts.pipeline.poll_all()
            sent = await parts.sender.drain()
    entries = sum(o.new_entries for o in outcomes)
    matched = sum(o.matches for o in outcomes)
    errors = [f"{o.feed}: {o.error}" for o in outcomes if o.status == "error"]
    out.write(
        f"\n{len(outcomes)} feeds, {entries} entries, {matched} matched, "
        f"{sent} alerts (one per story), {len(config.watchlists)} watchlists\n"
    )
    for error in errors:
        out.write(f"error: {error}\n")
    return 1 if errors else 0
