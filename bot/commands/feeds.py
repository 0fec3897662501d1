"""``newsbot feeds``: feed health as a table or JSON lines."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import Config
from bot.polling.health import advice, feed_status
from bot.store.records import FeedState
from bot.wiring import load, opened_store

_COLUMNS = ("feed", "status", "last poll", "last success", "next poll", "failures", "error")
ERROR_WIDTH = 80  # of the error column; the rest is cut at a word boundary, with "…"


def main(args: argparse.Namespace) -> int:
    return asyncio.run(print_feeds(load(args.config), sys.stdout, as_json=args.json))


async def print_feeds(config: Config, out: TextIO, as_json: bool = False) -> int:
    """Print one row (or JSON object) per configured feed; feeds never polled say so."""
    states = await _states(config)
    now = datetime.now(UTC)
    feeds = [(states[f.id], f.url) for f in config.feeds if f.id in states]
    if as_json:
        for state, url in feeds:
            out.write(json.dumps(_json(state, url), ensure_ascii=False) + "\n")
        return 0
    out.write(_table([_COLUMNS, *(_row(state, url, now) for state, url in feeds)]))
    advertised = {feed_id: state.advertised for feed_id, state in states.items()}
    for line in advice(config, advertised):
        out.write(line + "\n")
    return 0


async def _states(config: Config) -> dict[str, FeedState]:
    """Every feed's stored state, feeds configured since the last run added."""
    async with opened_store(config) as store:
        return {s.id: s for s in await store.feed_states()}


def _json(state: FeedState, configured_url: str) -> dict[str, Any]:
    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when else None

    return {
        "id": state.id,
        "url": configured_url,
        "status": feed_status(state),
        "last_poll": iso(state.last_attempt_at),
        "last_success": iso(state.last_success_at),
        "next_poll": iso(state.next_poll_at),
        "failures": state.failures,
        "error": state.last_error,
        "moved_to": state.url if state.url != configured_url else None,
    }


def shorten(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters at a word boundary, ending with "…"."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:  # a word longer than half the column is cut inside
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _row(state: FeedState, configured_url: str, now: datetime) -> tuple[str, ...]:
    status = feed_status(state)
    notes = [shorten(state.last_error or "", ERROR_WIDTH)]
    if state.url != configured_url:
        notes.append(f"moved permanently to {state.url}")
    return (
        state.id,
        status,
        _ago(state.last_attempt_at, now),
        _ago(state.last_success_at, now),
        _ago(state.next_poll_at, now),
        str(state.failures),
        "; ".join(n for n in notes if n),
    )


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    span = _span(abs(seconds))
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
