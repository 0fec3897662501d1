"""``newsbot feeds``: feed health as a table; advice for ``newsbot check`` too."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import Config
from bot.feeds.discover import advises_another_address
from bot.store.records import FeedState
from bot.store.store import Store

_COLUMNS = ("feed", "status", "last poll", "last success", "next poll", "failures", "error")


async def print_feeds(config: Config, out: TextIO) -> int:
    """Print one row per configured feed; feeds never polled say so."""
    states = await _states(config, register=True)
    now = datetime.now(UTC)
    rows = [_row(states[f.id], f.url, now) for f in config.feeds if f.id in states]
    out.write(_table([_COLUMNS, *rows]))
    for line in _advice(config, states):
        out.write(line + "\n")
    return 0


async def stored_advice(config: Config) -> list[str]:
    """What the last polls taught about the configured addresses, if a database exists.

    A missing SQLite file is not created: ``newsbot check`` stays read-only.
    """
    path = config.storage.url.partition(":///")[2]
    if config.storage.url.startswith("sqlite") and not Path(path).is_file():
        return []
    return _advice(config, await _states(config, register=False))


async def _states(config: Config, register: bool) -> dict[str, FeedState]:
    """Every feed's stored state; ``register`` adds feeds configured since the last run."""
    store = await Store.open(config.storage.url)
    try:
        if register:
            await store.sync_feeds((f.id, f.url, f.title) for f in config.feeds)
        return {s.id: s for s in await store.feed_states()}
    finally:
        await store.close()


def _advice(config: Config, states: dict[str, FeedState]) -> list[str]:
    """A line per feed whose address should change: HTML pages that advertise a feed."""
    lines = []
    for index, feed in enumerate(config.feeds):
        error = states[feed.id].last_error if feed.id in states else None
        if advises_another_address(error):
            lines.append(f"{config.path.name}: feeds[{index}].url: {feed.url} is {error}")
    return lines


def _row(state: FeedState, configured_url: str, now: datetime) -> tuple[str, ...]:
    status = state.status
    if status == "active":
        status = (
            "never polled"
            if state.last_attempt_at is None
            else ("failing" if state.failures else "ok")
        )
    notes = [(state.last_error or "")[:80]]
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
