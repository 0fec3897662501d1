"""When a chat's alerts are held, and when held alerts are free to go: pure, no I/O.

An alert for a chat is held at send time when, in this order of precedence:

1. the whole chat is muted (a mute of ``"*"`` that has not ended);
2. it matched watchlists only (no personal rule of the chat) and every one of them is
   muted;
3. the chat's clock (its time zone) is inside its daily quiet hours;
4. the chat takes a digest.

A held alert is free when none of 1-3 holds it any more and, for a digest, the period
it was held in has ended: the next top of the hour (``hourly``) or the next ``HH:MM``
(``daily HH:MM``) in the chat's time zone after it was held. Everything is decided from
stored settings, the time an alert was held and now, so a restart changes nothing.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal

WHOLE_CHAT = "*"  # the mute of every alert of a chat
MAX_MUTE = timedelta(days=30)
DEFAULT_MUTE = timedelta(hours=8)
UTC_ZONE = zoneinfo.ZoneInfo("UTC")
_DURATION = re.compile(r"(\d{1,6})([mhd])")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")

Why = Literal["mute", "quiet", "digest"]


@dataclass(frozen=True)
class Window:
    """Daily quiet hours, from ``start`` to ``end`` (the next day when ``end <= start``)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Digest:
    """One message per period: each hour (``at`` is None) or each day at ``at``."""

    at: time | None = None

    def __str__(self) -> str:
        return "hourly" if self.at is None else f"daily {self.at:%H:%M}"


@dataclass(frozen=True)
class Policy:
    """A chat's settings that hold alerts, parsed. ``mutes``: watchlist name (or
    :data:`WHOLE_CHAT`) -> when its mute ends."""

    zone: zoneinfo.ZoneInfo = UTC_ZONE
    quiet: Window | None = None
    digest: Digest | None = None
    mutes: Mapping[str, datetime] = field(default_factory=dict)

    @classmethod
    def stored(
        cls,
        zone: str | None,
        quiet: str | None,
        digest: str | None,
        mutes: Mapping[str, datetime],
    ) -> Policy:
        """The policy of settings as stored; a value that does not parse counts as unset."""
        return cls(
            find_zone(zone or "") or UTC_ZONE,
            parse_window(quiet or ""),
            parse_digest(digest or ""),
            dict(mutes),
        )

    def muted(self, watchlists: Sequence[str], rules: Sequence[int], now: datetime) -> bool:
        """Whether a mute holds an alert that matched ``watchlists`` and personal ``rules``."""
        if self._active(WHOLE_CHAT, now):
            return True
        return bool(watchlists) and not rules and all(self._active(w, now) for w in watchlists)

    def quiet_at(self, now: datetime) -> bool:
        return self.quiet is not None and in_window(self.quiet, now.astimezone(self.zone))

    def holds(self, watchlists: Sequence[str], rules: Sequence[int], now: datetime) -> Why | None:
        """Why an alert due now is held, or None: it goes out as it is."""
        if self.muted(watchlists, rules, now):
            return "mute"
        if self.quiet_at(now):
            return "quiet"
        return "digest" if self.digest is not None else None

    def frees(
        self, watchlists: Sequence[str], rules: Sequence[int], held_at: datetime, now: datetime
    ) -> bool:
        """Whether an alert held since ``held_at`` may go out now, in a summary."""
        if self.muted(watchlists, rules, now) or self.quiet_at(now):
            return False
        return self.digest is None or now >= period_end(self.digest, self.zone, held_at)

    def may_free(self, oldest: datetime, now: datetime) -> bool:
        """Whether any alert of a chat may be free now, its oldest held at ``oldest``.

        False only when :meth:`frees` is False for every held alert: the whole chat is
        muted, it is quiet hours, or even the oldest alert's digest period runs on.
        """
        if self._active(WHOLE_CHAT, now) or self.quiet_at(now):
            return False
        return self.digest is None or now >= period_end(self.digest, self.zone, oldest)

    def next_change(self, oldest: datetime, now: datetime) -> datetime | None:
        """The first moment after ``now`` when a hold of a chat whose oldest alert was
        held at ``oldest`` may end by itself: a mute ends, the quiet hours end, the
        digest period runs out; None if nothing ends by itself."""
        moments = [until for until in self.mutes.values() if until > now]
        if self.quiet is not None and self.quiet_at(now):
            moments.append(_next_local(self.quiet.end, self.zone, now))
        if self.digest is not None:
            moments.append(period_end(self.digest, self.zone, oldest))
        later = [moment for moment in moments if moment > now]
        return min(later) if later else None

    def _active(self, name: str, now: datetime) -> bool:
        until = self.mutes.get(name)
        return until is not None and until > now


def in_window(window: Window, local: datetime) -> bool:
    """Whether the local time ``local`` is inside the daily ``window``."""
    clock = local.time()
    if window.start < window.end:
        return window.start <= clock < window.end
    return clock >= window.start or clock < window.end  # crosses midnight


def period_end(digest: Digest, zone: zoneinfo.ZoneInfo, held_at: datetime) -> datetime:
    """The end (UTC) of the digest period an alert held at ``held_at`` belongs to."""
    local = held_at.astimezone(zone)
    if digest.at is None:
        top = local.replace(minute=0, second=0, microsecond=0)
        # hours are counted in UTC: a local hour repeated by DST is still one hour
        return top.astimezone(UTC_ZONE) + timedelta(hours=1)
    day = local.date()
    for _ in range(3):
        end = _local(datetime.combine(day, digest.at), zone).astimezone(UTC_ZONE)
        if end > held_at:
            return end
        day += timedelta(days=1)
    raise AssertionError("a day has no such time")  # unreachable: three days cover a DST gap


def _next_local(clock: time, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    """The first time after ``now`` that the clocks of ``zone`` show ``clock`` (UTC)."""
    day = now.astimezone(zone).date()
    for _ in range(3):
        moment = _local(datetime.combine(day, clock), zone).astimezone(UTC_ZONE)
        if moment > now:
            return moment
        day += timedelta(days=1)
    raise AssertionError("a day has no such time")  # unreachable: three days cover a DST gap


def _local(naive: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """A wall-clock time in ``zone``; a time skipped by DST counts as the one after the gap."""
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC_ZONE).astimezone(zone)
    return aware if back.replace(tzinfo=None) == naive else back


def parse_duration(text: str) -> timedelta | None:
    """``30m``, ``8h``, ``2d`` (or combined: ``1h30m``) -> a duration; None if it is not one."""
    text = text.strip().lower()
    if not text or len(text) > 20 or _DURATION.sub("", text):
        return None
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    return timedelta(seconds=seconds) if seconds > 0 else None


def parse_clock(text: str) -> time | None:
    found = _CLOCK.fullmatch(text.strip())
    return time(int(found[1]), int(found[2])) if found else None


def parse_window(text: str) -> Window | None:
    """``HH:MM-HH:MM`` -> quiet hours; None if it is not that (or starts where it ends)."""
    start, dash, end = text.strip().partition("-")
    begins, ends = parse_clock(start), parse_clock(end)
    if not dash or begins is None or ends is None or begins == ends:
        return None
    return Window(begins, ends)


def parse_digest(text: str) -> Digest | None:
    """``hourly`` or ``daily HH:MM`` -> a digest; None if it is neither."""
    words = text.strip().lower().split()
    if words == ["hourly"]:
        return Digest()
    if len(words) == 2 and words[0] == "daily" and (at := parse_clock(words[1])):
        return Digest(at)
    return None


def find_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA time zone ``name`` (any case), or None if there is none such."""
    key = _zones().get(name.strip().lower()) if len(name) <= 64 else None
    return zoneinfo.ZoneInfo(key) if key else None


@functools.cache
def _zones() -> dict[str, str]:
    """Every known zone by its lowercased name: only these are ever opened."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}
