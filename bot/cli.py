"""The ``newsbot`` command line: argv -> one of the commands in :data:`COMMANDS`.

Kept light on purpose: worker processes import the entry point again when they start,
so a command's module (``bot.commands.<name>``) is imported only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import ConfigError, NewsbotError
from bot.redact import install_redaction, redacted_output


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsbot`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "run":
        # Until the service has its own handlers, a stop asked for is a clean exit.
        signal.signal(signal.SIGTERM, _stop_before_running)
        signal.signal(signal.SIGINT, _stop_before_running)
    with redacted_output():  # no secret in anything printed, whoever prints it
        _logging(args.command)
        return _command(args)


def _stop_before_running(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _command(args: argparse.Namespace) -> int:
    # python-telegram-bot's announced future: time periods as timedelta, without warnings.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        module = importlib.import_module(COMMANDS[args.command].module)
        return int(module.main(args))
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
    for name, command in COMMANDS.items():
        about = command.about
        sub = commands.add_parser(name, help=about, description=about)
        if name != "demo":
            sub.add_argument(
                "--config", help="config file (default: $NEWSBOT_CONFIG, else ./config.yaml)"
            )
        if name in ("poll", "match", "feeds", "stories"):
            sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if name == "match":
            sub.add_argument("text", nargs="*", help="text to test against the watchlists")
            sub.add_argument(
                "--input",
                help="a JSONL file of entries, or - for standard input (read by default "
                "when it is not a terminal and no TEXT is given)",
            )
            sub.add_argument(
                "--explain",
                metavar="RULE",
                help="show what each term of RULE matches: its forms, and for ~term its "
                "spellings (nothing else is matched)",
            )
        if name == "stories":
            sub.add_argument(
                "--since", default="24h", help="how far back: 90m, 24h, 7d (default 24h)"
            )
        if name == "run":
            sub.add_argument(
                "--console",
                action="store_true",
                help="print alerts in the terminal instead of sending them, whatever the token",
            )
    return parser


def _logging(command: str) -> None:
    level = logging.INFO if command == "run" else logging.WARNING
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "apscheduler", "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if command == "poll":  # `poll` prints each feed's failure in its report: once is enough
        logging.getLogger("bot.polling.pipeline").setLevel(logging.ERROR)
    install_redaction()  # no secret in any log record or traceback, whoever wrote it


def _config_problems(exc: ConfigError) -> str:
    count = len(exc.problems)
    header = f"newsbot: {count} configuration problem{'s' * (count != 1)}:"
    return "\n".join([header, *(f"  {p}" for p in exc.problems)])


@dataclass(frozen=True)
class Command:
    module: str  # its ``main(args) -> exit status``
    about: str


COMMANDS = {
    "demo": Command(
        "bot.commands.demo", "offline demo: bundled sample feeds through the real pipeline"
    ),
    "run": Command("bot.commands.run", "the service: polling + Telegram bot until SIGINT/SIGTERM"),
    "check": Command("bot.commands.check", "validate config.yaml and every watchlist"),
    "poll": Command("bot.commands.poll", "one polling cycle over all feeds now (nothing is sent)"),
    "match": Command(
        "bot.commands.match", "test the watchlists against text or a JSONL file of entries"
    ),
    "feeds": Command("bot.commands.feeds", "feed health: last poll, status, next poll, errors"),
    "stories": Command("bot.commands.stories", "recent stories with the outlets that carried each"),
}
