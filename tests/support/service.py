"""The whole service in-process, its Telegram side talking to the fake Bot API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bot.config import load_config
from bot.wiring import Mode, Parts, build
from support.configs import CSTO, NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer


@contextlib.asynccontextmanager
async def telegram_service(
    folder: Path,
    bot_api: FakeBotAPI,
    feed_server: FeedServer | None = None,
    feed_ids: Sequence[str] = ("kz",),
) -> AsyncIterator[Parts]:
    """``newsbot run`` with the watchlists kz-nuclear and csto-cis, started.

    With ``feed_server``: the feeds ``feed_ids`` (by default one, ``kz``, at
    ``/kz.xml``), whose first poll (done here) records an old entry, so that what is
    published next is new.
    """
    feeds = {}
    if feed_server is not None:
        for feed_id in feed_ids:  # each feed its own outlet: "Kz News" is "Test News"
            name = "Test News" if feed_id == "kz" else f"{feed_id.title()} News"
            old = f"https://{'news' if feed_id == 'kz' else feed_id}.example/old"
            feed_server.publish(
                f"/{feed_id}.xml", "Old news: Rosatom annual report", old, feed_title=name
            )
            feeds[feed_id] = feed_server.url(f"/{feed_id}.xml")
    path = write_config(
        folder,
        feeds,
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    async with build(load_config(path, env={}), Mode.SERVICE) as parts:
        assert parts.telegram is not None
        if feed_server is not None:
            await parts.pipeline.poll_all()
        await parts.telegram.start()
        try:
            yield parts
        finally:
            await parts.telegram.stop()
