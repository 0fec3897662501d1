"""A clock that moves only when a test moves it, for the parts that take one."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **delta: float) -> None:
        """Move on by ``seconds`` and any other ``timedelta`` fields (``hours=1``)."""
        self.now += timedelta(seconds=seconds, **delta)
