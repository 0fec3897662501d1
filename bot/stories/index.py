"""The entries of the last ``window`` seconds, and which of them reports the same news as a
new one. Pure: no I/O, no clock (every call says what time it is).

Every entry is filed under its fingerprint's hash keys (``Fingerprint.keys``: its headline's
words, the locality-sensitive bands of its lead). ``find`` looks up the keys that can lead
to the same story (``Fingerprint.search_keys``) and runs ``relation`` on the entries filed
under any of them, so it costs about the same with 100,000 entries as with 1,000; at most
``MAX_COMPARED`` of them, those sharing the most keys, so that a flood of near-identical
entries (one formulaic report from many feeds) cannot make it slow. The best match wins:
the most similar, then the oldest; but not a story with an entry that ``relation`` finds
in conflict (the same text with another detail).

The keys live in two sorted numpy arrays (key, entry number) plus a dict of the keys added
since the arrays were last rebuilt; a forgotten or replaced entry's keys stay behind until
the next rebuild, skipped on lookup. This takes about 16 bytes a key where datasketch's
``MinHashLSH`` (a set per bucket, a bytes object per band) takes about 300; its banding is
the same. A rebuild merges the two sorted runs, so it is linear and rare (when the recent
keys reach a sixteenth of the arrays, or half the arrays are stale).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple, TypeAlias

import numpy as np

from bot.stories.similar import Fingerprint, relation

Key: TypeAlias = tuple[str, str]  # (feed_id, entry key)

MAX_COMPARED = 64  # entries compared by find() at most: those that share the most keys

_MIN_REBUILD = 4096  # recent keys kept in the dict at least, before a rebuild
_RECENT_SHARE = 16  # ... or this share of the sorted keys


class _Seen(NamedTuple):
    """One remembered entry; ordered by when it was seen, then by the order of adding."""

    at: float  # POSIX timestamp
    number: int  # unique, increasing: the entry's number in the key arrays
    key: Key
    story: str
    fp: Fingerprint


class StoryIndex:
    """Recent entries by fingerprint; each belongs to a story id chosen by the caller.
    One caller at a time: it is not safe to use from several threads at once."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._by_key: dict[Key, _Seen] = {}
        self._by_number: dict[int, _Seen] = {}
        self._queue: list[_Seen] = []  # heap by (at, number); replaced entries stay, skipped
        self._next = 0
        self._keys = _Keys()

    def find(self, fp: Fingerprint, at: datetime) -> str | None:
        """The story of the entry in the window (seen at or after ``at - window``) that reports
        the same news as ``fp``: the most similar, ties to the oldest; None: a new story. A
        story with an entry that tells the same text with a conflicting detail is not
        joined, even through another of its entries."""
        oldest = at.timestamp() - self.window
        ranked: list[tuple[float, float, int, str]] = []
        vetoed: set[str] = set()
        compared = 0
        for number in self._keys.lookup(fp.search_keys):
            seen = self._by_number.get(number)
            if seen is None or seen.at < oldest:
                continue
            if compared == MAX_COMPARED:
                break
            compared += 1
            score = relation(fp, seen.fp)
            if score > 0.0:
                ranked.append((-score, seen.at, seen.number, seen.story))
            elif score < 0.0:
                vetoed.add(seen.story)
        allowed = [rank for rank in ranked if rank[3] not in vetoed]
        return min(allowed)[3] if allowed else None

    def add(self, key: Key, fp: Fingerprint, story: str, at: datetime) -> None:
        """Remember an entry seen at ``at`` as part of ``story``; a key already present is
        replaced."""
        self._drop(key)
        seen = _Seen(at.timestamp(), self._next, key, story, fp)
        self._next += 1
        self._by_key[key] = seen
        self._by_number[seen.number] = seen
        heapq.heappush(self._queue, seen)
        self._keys.add(seen.number, fp.keys)
        self._tidy()

    def forget(self, before: datetime) -> int:
        """Drop the entries seen before ``before``; how many were dropped."""
        limit = before.timestamp()
        dropped = 0
        while self._queue and self._queue[0].at < limit:
            seen = heapq.heappop(self._queue)
            if self._by_number.get(seen.number) is seen:
                self._remove(seen)
                dropped += 1
        self._tidy()
        return dropped

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._by_key
        except TypeError:  # unhashable: never a key
            return False

    def _drop(self, key: Key) -> None:
        old = self._by_key.get(key)
        if old is not None:
            self._remove(old)  # its place in the queue is skipped when it comes up

    def _remove(self, seen: _Seen) -> None:
        del self._by_key[seen.key]
        del self._by_number[seen.number]
        self._keys.live -= len(seen.fp.keys)

    def _tidy(self) -> None:
        if len(self._queue) > 2 * len(self._by_key) + _MIN_REBUILD:  # many replaced entries
            self._queue = list(self._by_key.values())
            heapq.heapify(self._queue)
        if self._keys.due():
            self._keys.rebuild(self._by_number.keys())


class _Keys:
    """Hash key -> entry numbers, with stale entries skipped by the caller."""

    def __init__(self) -> None:
        self.sorted = np.zeros(0, dtype=np.uint64)
        self.numbers = np.zeros(0, dtype=np.int64)
        self.recent: dict[int, int | list[int]] = {}  # the keys added since the rebuild ...
        self.added: list[tuple[int, np.ndarray]] = []  # ... and in the order of adding
        self.recent_count = 0
        self.live = 0  # keys of entries still remembered

    def add(self, number: int, keys: np.ndarray) -> None:
        for key in keys.tolist():
            present = self.recent.get(key)
            if present is None:
                self.recent[key] = number
            elif isinstance(present, int):
                self.recent[key] = [present, number]
            else:
                present.append(number)
        self.added.append((number, keys))
        self.recent_count += len(keys)
        self.live += len(keys)

    def lookup(self, keys: np.ndarray) -> list[int]:
        """The entry numbers filed under any of ``keys``, most keys shared first, then the
        oldest first."""
        found: list[int] = []
        filed = self.sorted
        if len(filed):
            at = filed.searchsorted(keys)
            hit = keys == filed[np.minimum(at, len(filed) - 1)]
            if hit.any():
                ends = filed.searchsorted(keys[hit], side="right")
                for start, end in zip(at[hit].tolist(), ends.tolist(), strict=True):
                    found += self.numbers[start:end].tolist()
        for key in keys.tolist():
            present = self.recent.get(key)
            if isinstance(present, int):
                found.append(present)
            elif present is not None:
                found += present
        if len(found) < 2:
            return found
        shared = Counter(found)
        return sorted(shared, key=lambda number: (-shared[number], number))

    def due(self) -> bool:
        if self.recent_count > max(_MIN_REBUILD, len(self.sorted) // _RECENT_SHARE):
            return True
        return len(self.sorted) > _MIN_REBUILD and len(self.sorted) > 2 * self.live

    def rebuild(self, alive: Iterable[int]) -> None:
        """Merge the recent keys into the sorted arrays, leaving out the dead entries'."""
        living = np.fromiter(alive, dtype=np.int64)
        first = int(living.min()) if len(living) else 0
        flags = np.zeros(int(living.max()) - first + 1 if len(living) else 0, dtype=bool)
        flags[living - first] = True
        recent = np.concatenate([keys for _, keys in self.added] or [self.sorted[:0]])
        numbers = np.repeat(
            np.array([number for number, _ in self.added], dtype=np.int64),
            [len(keys) for _, keys in self.added],
        )
        order = np.argsort(recent, kind="stable")
        recent, numbers = recent[order], numbers[order]
        kept, fresh = _alive(self.numbers, flags, first), _alive(numbers, flags, first)
        keys = np.concatenate((self.sorted[kept], recent[fresh]))
        numbers = np.concatenate((self.numbers[kept], numbers[fresh]))
        order = np.argsort(keys, kind="stable")  # two sorted runs: a linear merge
        self.sorted, self.numbers = keys[order], numbers[order]
        self.recent, self.added, self.recent_count = {}, [], 0


def _alive(numbers: np.ndarray, flags: np.ndarray, first: int) -> np.ndarray:
    """Which of ``numbers`` are alive: ``flags[n - first]`` says it for each n."""
    index = numbers - first
    inside = (index >= 0) & (index < len(flags))
    alive = np.zeros(len(numbers), dtype=bool)
    alive[inside] = flags[index[inside]]
    return alive
