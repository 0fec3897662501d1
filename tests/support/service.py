"""The whole service in-process, its Telegram side talking to the fake Bot API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.config import load_config
from bot.wiring import Mode, Parts, build
from support.configs import CSTO, NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer


@contextlib.asynccontextmanager
async def telegram_service(
    folder: Path, bot_api: FakeBotAPI, feed_server: FeedServer | None = None
) -> AsyncIterator[Parts]:
    """``newsbot run`` with the watchlists kz-nuclear and csto-cis, started.

    With ``feed_server``: one feed, ``kz`` at ``/kz.xml``, whose first poll (done here)
    records an old entry, so that what is published next is new.
    """
    feeds = {}
    if feed_server is not None:
        feed_server.publish(
            "/kz.xml", "Old news: Rosatom annual report", "https://news.example/old"
        )
        feeds["kz"] = feed_server.url("/kz.xml")
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
