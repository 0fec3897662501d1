"""Reply benchmark: how long a private chat waits while a group floods the bot.

One group member sends --flood /help commands to a group, then a private chat sends
one /help. The bot is the real python-telegram-bot Application that `newsbot run`
builds (its rate limiter: 20 messages a minute per group), on the fake Bot API.
Reported: seconds from the private /help to its reply, how many group messages had
gone out by then, and the group's notices. With --sequential the Application handles
one update at a time and has no command budget, as newsbot did before.

    uv run python benchmarks/replies.py [--flood 60] [--sequential]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from telegram.ext import Application

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.fakebotapi import FakeBotAPI  # noqa: E402

from bot.config import load_config  # noqa: E402
from bot.store.store import Store  # noqa: E402
from bot.telegram.application import build_application  # noqa: E402
from bot.telegram.commands import Commands  # noqa: E402
from bot.telegram.gate import Gate  # noqa: E402
from bot.telegram.throttle import CommandBudget  # noqa: E402

PRIVATE, GROUP, MEMBER = 100, -700, 301


async def measure(api: FakeBotAPI, folder: Path, flood: int, sequential: bool) -> None:
    (folder / "watchlists").mkdir()
    config_path = folder / "config.yaml"
    config_path.write_text(
        f"telegram:\n  token: '{api.token}'\n  api_url: {api.api_url}\n"
        "storage:\n  url: sqlite:///newsbot.db\nfeeds: []\n",
        encoding="utf-8",
    )
    config = load_config(config_path, env={})
    store = await Store.open(config.storage.url)
    app = build_application(config)
    if sequential:
        app = _sequential(app)
    budget = CommandBudget(burst=10**9) if sequential else CommandBudget()
    Commands(store, [], Gate(store, frozenset()), budget).install(app)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        for _ in range(flood):
            api.push_message(GROUP, MEMBER, "/help")
        started = time.monotonic()
        api.push_message(PRIVATE, PRIVATE, "/help")
        await api.wait_sent_async(PRIVATE, timeout=flood * 4 + 30)
        waited = time.monotonic() - started
        group_then = len(api.sent(GROUP))
        await app.updater.stop()
        await app.stop()
    await store.close()
    notices = sum("Too many" in m["plain_text"] for m in api.sent(GROUP))
    print(
        f"{'sequential' if sequential else 'newsbot'}: private reply after {waited:.2f} s; "
        f"group messages sent by then {group_then}, in all {len(api.sent(GROUP))} "
        f"({notices} notice) for {flood} /help"
    )


def _sequential(app: Application) -> Application:  # type: ignore[type-arg]
    """The same Application handling one update at a time (python-telegram-bot's default)."""
    from telegram.ext import ApplicationBuilder, SimpleUpdateProcessor

    return ApplicationBuilder().bot(app.bot).concurrent_updates(SimpleUpdateProcessor(1)).build()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=60)
    parser.add_argument("--sequential", action="store_true")
    args = parser.parse_args()
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as folder:
        api.add_user(PRIVATE, "Alice")
        api.add_user(MEMBER, "Member")
        api.add_chat(GROUP, "group", "Desk")
        api.set_member(GROUP, MEMBER, "member")
        asyncio.run(measure(api, Path(folder), args.flood, args.sequential))


if __name__ == "__main__":
    main()
