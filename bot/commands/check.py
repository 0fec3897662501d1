"""``newsbot check``: validate config.yaml and every watchlist; change nothing."""

from __future__ import annotations

import argparse

from bot.counts import counted
from bot.polling.health import stored_advice
from bot.wiring import load


def main(args: argparse.Namespace) -> int:
    config = load(args.config)
    rules = sum(len(w.match) + len(w.exclude) for w in config.watchlists)
    mode = "console mode (no token)" if config.console_mode else "Telegram"
    for line in stored_advice(config):
        print(f"warning: {line}")
    print(
        f"{config.path}: OK: {counted(len(config.feeds), 'feed')}, "
        f"{counted(len(config.watchlists), 'watchlist')}, {counted(rules, 'rule')}; {mode}"
    )
    return 0
