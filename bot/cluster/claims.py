"""Claims on feeds: every feed is polled by one instance per interval.

Each instance schedules every feed (:class:`bot.polling.scheduler.PollScheduler`); when
a feed's poll falls due, the instance first claims it in the database. The claim is
taken only when the instance has a free poll slot, so an instance never holds feeds it
cannot poll yet while another stands idle. The instance that loses the race is told
when to try again: at the feed's new next poll time, or when the winner's claim lapses.

A claim lasts ``cluster.failover`` and is renewed every third of it while its poll runs;
an instance that dies loses its feeds to the others within that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Literal

from bot.store.store import Store, utcnow

log = logging.getLogger(__name__)
RECHECK = timedelta(seconds=1)


class FeedClaims:
    """This instance's claims on feeds, renewed while its polls run (:meth:`run`)."""

    def __init__(self, store: Store, owner: str, lease: float, slots: int) -> None:
        self._store = store
        self.owner = owner
        self._lease = timedelta(seconds=lease)
        self._slots = asyncio.Semaphore(slots)
        self._held: dict[str, datetime] = {}  # each claimed feed: when it was claimed
        self.patience = lease / 3  # seconds a release may take before it is left to lapse

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the polls this instance runs at a time: claim and poll inside it."""
        async with self._slots:
            yield

    async def claim(self, feed_id: str) -> Literal[True] | datetime | None:
        """True if this instance now polls the feed; else when to try again, or None
        when the feed is gone."""
        now = utcnow()
        claimed = await self._store.claim_feed(feed_id, self.owner, now, now + self._lease)
        if claimed is True:
            self._held[feed_id] = now
            return True
        # A row locked by a claim still being made reads as due: look again shortly.
        return max(claimed, now + RECHECK) if claimed is not None else None

    async def release(self, feed_id: str, retry_at: datetime) -> None:
        """The poll has ended: free the feed (due at ``retry_at`` if the poll stored no
        next poll time). A failure is logged: the claim then lapses by itself."""
        claimed_at = self._held.pop(feed_id, None)
        if claimed_at is None:
            return
        try:
            await self._store.release_feed(feed_id, self.owner, claimed_at, retry_at)
        except Exception as exc:  # whatever the driver raises: the lease lapses instead
            log.warning("could not release feed %s: %s; its claim lapses", feed_id, exc)

    async def run(self, stop: asyncio.Event) -> None:
        """Renew the claims of the polls running, every third of the lease, until ``stop``."""
        every = self._lease.total_seconds() / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if self._held and not stop.is_set():
                await self._renew()

    async def _renew(self) -> None:
        held = list(self._held)
        try:
            kept = await self._store.renew_leases(self.owner, held, utcnow() + self._lease)
        except Exception as exc:  # the database is away: the polls go on, claims may lapse
            log.warning("could not renew the claims on %d feeds: %s", len(held), exc)
            return
        # a poll that ended meanwhile released its claim: not one lost
        still = sum(1 for feed_id in held if feed_id in self._held)
        if kept < still:  # lapsed (a stall longer than the lease) and maybe taken
            log.warning("%d of %d claimed feeds were lost to lapsed claims", still - kept, still)
