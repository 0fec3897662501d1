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
from bot.counts import counted
from bot.demo.runner import run_demo
from bot.health import print_feeds, stored_advice
from bot.matchcmd import match_source, run_match
from bot.pipeline import PollOutcome
from bot.service import assemble, register_secrets


def _config(args: argparse.Namespace) -> Config:
    """The validated config; from here on its secrets are masked in all output."""
    config = load_config(default_config_path(args.config))
    register_secrets(config)
    return config


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    rules = sum(len(w.match) + len(w.exclude) for w in config.watchlists)
    mode = "console mode (no token)" if config.console_mode else "Telegram"
    for line in stored_advice(config):
        print(f"warning: {line}")
    print(
        f"{config.path}: OK: {counted(len(config.feeds), 'feed')}, "
        f"{counted(len(config.watchlists), 'watchlist')}, {counted(rules, 'rule')}; {mode}"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    asyncio.run(_run_until_signal(config.in_console_mode() if args.console else config))
    return 0


async def _run_until_signal(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from bot.runner import run_service  # python-telegram-bot's app layer: only `run` needs it

    await run_service(config, stop)


def cmd_poll(args: argparse.Namespace) -> int:
    """Exit status 1 when no feed could be polled (every one failed or is gone, or none)."""
    config = _config(args)
    if not config.feeds:
        print(f"newsbot: no feeds configured in {config.path}: nothing to poll", file=sys.stderr)
        return 1
    outcomes = asyncio.run(_poll_once(config))
    for outcome in outcomes:
        print(json.dumps(outcome.as_json(), ensure_ascii=False) if args.json else _line(outcome))
    if all(o.status in ("error", "skipped") for o in outcomes):
        print("newsbot: no feed could be polled", file=sys.stderr)
        return 1
    return 0


def _line(outcome: PollOutcome) -> str:
    extra = f" ({outcome.error})" if outcome.error else ""
    return (
        f"{outcome.feed}: {outcome.status}, {outcome.new_entries} new, "
        f"{outcome.matches} matched, {counted(outcome.alerts, 'alert')} queued{extra}"
    )


async def _poll_once(config: Config) -> list[PollOutcome]:
    # The transport is never used: `poll` only queues, `run` delivers.
    async with assemble(
        config, ConsoleTransport(), console=config.console_mode, health_notices=False
    ) as parts:
        return await parts.pipeline.poll_all()


def cmd_match(args: argparse.Namespace) -> int:
    source = match_source(args.text, args.input, sys.stdin)
    return run_match(_config(args), args.text, source, args.json, sys.stdout)


def cmd_feeds(args: argparse.Namespace) -> int:
    config = _config(args)
    return asyncio.run(print_feeds(config, sys.stdout, as_json=args.json))


def cmd_demo(args: argparse.Namespace) -> int:
    return asyncio.run(run_demo(sys.stdout))
