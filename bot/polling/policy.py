"""When to poll a feed next: a pure function of its configuration and history.

Precedence, highest first:
1. a feed that answered 410 Gone is not polled again (``None``);
2. never sooner than the server asked (``Retry-After``), up to ``MAX_RETRY_AFTER``: a
   hostile or broken server can neither stop polling nor push the next poll off the clock;
3. after failures, exponential back-off from the base interval, capped at
   ``max_interval``, with jitter so that failing feeds do not fire in step;
4. the feed's fixed ``interval`` when configured (the operator's word is final);
5. otherwise the median gap between its recent entries, within
   [``min_interval``, ``max_interval``], and never sooner than the feed's own ``<ttl>``
   or the response's ``Cache-Control: max-age`` (``cache_for``), up to
   ``MAX_CACHE_FLOOR``.

:func:`feed_update` turns one poll's findings into the feed's new state, the next poll
time included.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.records import KEEP, FeedUpdate, Keep

DEFAULT_ADAPTIVE = 30 * 60.0
MAX_BACKOFF_STEPS = 8
MAX_RETRY_AFTER = 7 * 24 * 3600.0
MAX_CACHE_FLOOR = 24 * 3600.0


@dataclass(frozen=True)
class Schedule:
    interval: float | None  # a fixed interval wins over adaptation
    min_interval: float
    max_interval: float


def base_interval(schedule: Schedule, published: Sequence[datetime]) -> float:
    """The interval when all is well: fixed, or adapted to how often the feed publishes."""
    if schedule.interval is not None:
        return schedule.interval
    times = sorted(published)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    gaps = [g for g in gaps if g > 0]
    guess = statistics.median(gaps) if gaps else DEFAULT_ADAPTIVE
    return min(schedule.max_interval, max(schedule.min_interval, guess))


def next_delay(
    schedule: Schedule,
    published: Sequence[datetime],
    failures: int,
    retry_after: float | None,
    gone: bool,
    jitter: float = 0.0,
    cache_for: float | None = None,
) -> float | None:
    """Seconds until the next poll, or None to stop polling; ``jitter`` is in [0, 1).

    ``cache_for``: how long the publisher says the feed stays fresh (``<ttl>``,
    ``Cache-Control: max-age``), in seconds.
    """
    if gone:
        return None
    delay = base_interval(schedule, published)
    if schedule.interval is None and cache_for is not None:
        delay = max(delay, min(cache_for, MAX_CACHE_FLOOR))
    if failures > 0:
        steps = min(failures - 1, MAX_BACKOFF_STEPS)
        ceiling = max(delay, schedule.max_interval)
        delay = min(ceiling, delay * 2**steps) * (1 + 0.25 * jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


@dataclass(frozen=True)
class Attempt:
    """What one poll of a feed found, as :func:`feed_update` needs it."""

    at: datetime
    ok: bool
    error: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait
    gone: bool = False
    cache_for: float | None = None  # seconds the publisher says the feed stays fresh
    moved_to: str | None = None  # the feed's new address, after a permanent redirect
    title: str | None = None  # from a full response: the feed's own title,
    etag: str | None = None  # its validators,
    last_modified: str | None = None
    ttl: float | Keep | None = KEEP  # and its <ttl> in seconds (None: it has none)
    advertised: tuple[str, ...] = ()  # feeds advertised by an HTML page found instead


def feed_update(
    attempt: Attempt,
    schedule: Schedule,
    failures: int,
    published: Sequence[datetime] = (),
    jitter: float = 0.0,
) -> FeedUpdate:
    """The feed's new state after ``attempt``: pure.

    ``failures``: the feed's failures in a row before this attempt; ``published``: the
    publication times of its newest entries, those just found included (for adaptive
    schedules); ``jitter`` in [0, 1).
    """
    failed = 0 if attempt.ok else failures + 1
    delay = next_delay(
        schedule, published, failed, attempt.retry_after, attempt.gone, jitter, attempt.cache_for
    )
    return FeedUpdate(
        attempted_at=attempt.at,
        next_poll_at=attempt.at + timedelta(seconds=delay) if delay is not None else None,
        ok=attempt.ok,
        error=attempt.error,
        gone=attempt.gone,
        url=attempt.moved_to,
        title=attempt.title,
        etag=attempt.etag,
        last_modified=attempt.last_modified,
        ttl=attempt.ttl,
        advertised=attempt.advertised,
    )
