"""``newsbot poll``: one polling cycle over every feed now; alerts are queued, not sent."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.config import Config
from bot.counts import counted
from bot.polling.pipeline import PollOutcome
from bot.wiring import Mode, build, load


def main(args: argparse.Namespace) -> int:
    """Exit status 1 when no feed could be polled (every one failed or is gone, or none)."""
    config = load(args.config)
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
    async with build(config, Mode.POLL) as parts:
        return await parts.pipeline.poll_all()
