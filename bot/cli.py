"""The composition root: parse argv, load config, build the parts, run.

This is the only module that knows every part of newsbot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Config, default_config_path, load_config
from bot.console import ConsoleTransport
from bot.demo.runner import run_demo
from bot.errors import ConfigError, NewsbotError
from bot.health import print_feeds, stored_advice
from bot.matchcmd import run_match
from bot.pipeline import PollOutcome
from bot.service import assemble


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsbot`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    _logging(args.command)
    # python-telegram-bot's announced future: time periods as timedelta, without warnings.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(_config_problems(exc), file=sys.stderr)
        return 1
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description=(
            "News-monitoring alerts: RSS/Atom feeds matched against keyword watchlists, "
            "alerts sent to Telegram."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, about in _COMMANDS:
        sub = commands.add_parser(name, help=about, description=about)
        sub.set_defaults(handler=handler)
        if name != "demo":
            sub.add_argument(
                "--config", help="config file (default: $NEWSBOT_CONFIG, else ./config.yaml)"
            )
        if name in ("poll", "match"):
            sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if name == "match":
            sub.add_argument("text", nargs="*", help="text to test against the watchlists")
            sub.add_argument("--input", type=Path, help="a JSONL file of entries")
    return parser


def _logging(command: str) -> None:
    level = logging.INFO if command == "run" else logging.WARNING
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "apscheduler", "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _config(args: argparse.Namespace) -> Config:
    return load_config(default_config_path(args.config))


def _config_problems(exc: ConfigError) -> str:
    count = len(exc.problems)
    header = f"newsbot: {count} configuration problem{'s' * (count != 1)}:"
    return "\n".join([header, *(f"  {p}" for p in exc.problems)])


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


_COMMANDS = (
    ("demo", cmd_demo, "offline demo: bundled sample feeds through the real pipeline"),
    ("run", cmd_run, "the service: polling + Telegram bot until SIGINT/SIGTERM"),
    ("check", cmd_check, "validate config.yaml and every watchlist"),
    ("poll", cmd_poll, "one polling cycle over all feeds now (nothing is sent)"),
    ("match", cmd_match, "test the watchlists against text or a JSONL file of entries"),
    ("feeds", cmd_feeds, "feed health: last poll, status, next poll, errors"),
)
