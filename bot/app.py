"""The composition root: load config, build the parts, run one command.

This is the only module that knows every part of newsbot. ``bot.cli`` parses the
command line and imports this module only then, so that parser worker processes,
which import the entry point again, start light.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from bot.config import Config, default_config_path, load_config
from bot.console import ConsoleTransport
from bot.demo.runner import run_demo
from bot.health import print_feeds, stored_advice
from bot.matchcmd import run_match
from bot.pipeline import PollOutcome
from bot.service import assemble


def _config(args: argparse.Namespace) -> Config:
    return load_config(default_config_path(args.config))


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    rules = sum(len(w.match) + len(w.exclude) for w in config.watchlists)
    mode = "console mode (no token)" if config.console_mode else "Telegram"
    for line in asyncio.run(stored_advice(config)):
        print(f"warning: {line}")
    print(
        f"{config.path}: OK: {len(config.feeds)} feeds, {len(config.watchlists)} "
        f"watchlists, {rules} rules; {mode}"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    asyncio.run(_run_until_signal(config))
    return 0


async def _run_until_signal(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from bot.runner import run_service  # python-telegram-bot's app layer: only `run` needs it

    await run_service(config, stop)


def cmd_poll(args: argparse.Namespace) -> int:
    config = _config(args)
    outcomes = asyncio.run(_poll_once(config))
    for outcome in outcomes:
        if args.json:
            print(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            extra = f" ({outcome.error})" if outcome.error else ""
            print(
                f"{outcome.feed}: {outcome.status}, {outcome.new_entries} new, "
                f"{outcome.matches} matched, {outcome.alerts} alerts queued{extra}"
            )
    return 0


async def _poll_once(config: Config) -> list[PollOutcome]:
    # The transport is never used: `poll` only queues, `run` delivers.
    async with assemble(config, ConsoleTransport(), console=config.console_mode) as parts:
        return await parts.pipeline.poll_all()


def cmd_match(args: argparse.Namespace) -> int:
    return run_match(_config(args), args.text, args.input, args.json, sys.stdout)


def cmd_feeds(args: argparse.Namespace) -> int:
    config = _config(args)
    return asyncio.run(print_feeds(config, sys.stdout))


def cmd_demo(args: argparse.Namespace) -> int:
    return asyncio.run(run_demo(sys.stdout))
