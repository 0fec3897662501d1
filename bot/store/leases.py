"""Feed leases: several instances on one database poll each feed once per interval.

An instance claims a feed that is due and not claimed (or whose claim lapsed) in one
statement that locks the row with ``FOR UPDATE SKIP LOCKED``: of instances claiming
together, one wins and the others move on at once instead of queueing on the row. The
owner renews its claims while it polls and releases each when its poll has stored the
feed's next poll time; an instance that dies keeps its claims only until they lapse.

These statements bypass the process's one writer: a claim must not wait behind a poll's
commit, and each is one row's short transaction. On SQLite (one instance, see
:mod:`bot.store.lock`) they are not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, case, or_, select, update

from bot.store import schema as t
from bot.store.base import Queries

_GONE = "gone"


class LeaseQueries(Queries):
    async def claim_feed(
        self, feed_id: str, owner: str, now: datetime, until: datetime
    ) -> Literal[True] | datetime | None:
        """Claim the feed for ``owner`` until ``until`` if it is due and free.

        True: claimed. Otherwise when it is worth trying again (when its next poll is due,
        or when another instance's claim lapses), or None: the feed is gone or missing.
        """
        f = t.feeds.c
        free = select(f.id).where(
            f.id == feed_id,
            f.status != _GONE,
            or_(f.next_poll_at.is_(None), f.next_poll_at <= now),
            or_(f.lease_until.is_(None), f.lease_until <= now),
        )
        claim = (
            update(t.feeds)
            .where(f.id.in_(free.with_for_update(skip_locked=True).scalar_subquery()))
            .values(lease_owner=owner, lease_until=until)
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(claim)).rowcount == 1:
                return True
            row = (
                await conn.execute(
                    select(f.status, f.next_poll_at, f.lease_until).where(f.id == feed_id)
                )
            ).first()
        if row is None or row.status == _GONE:
            return None
        later = [w for w in (row.next_poll_at, row.lease_until) if w is not None and w > now]
        return max(later, default=now)

    async def renew_leases(self, owner: str, feed_ids: Iterable[str], until: datetime) -> int:
        """Extend ``owner``'s claims on these feeds; returns how many it still held."""
        ids = list(feed_ids)
        if not ids:
            return 0
        f = t.feeds.c
        renew = (
            update(t.feeds).where(f.lease_owner == owner, f.id.in_(ids)).values(lease_until=until)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(renew)).rowcount

    async def release_feed(
        self, feed_id: str, owner: str, claimed_at: datetime, retry_at: datetime
    ) -> None:
        """End ``owner``'s claim, made at ``claimed_at``. A poll that stored no later next
        poll time (it crashed before its commit) leaves the feed due at ``retry_at``, not
        at once."""
        f = t.feeds.c
        stale = or_(f.next_poll_at.is_(None), f.next_poll_at <= claimed_at)
        release = (
            update(t.feeds)
            .where(and_(f.id == feed_id, f.lease_owner == owner))
            .values(
                lease_owner=None,
                lease_until=None,
                next_poll_at=case((stale, retry_at), else_=f.next_poll_at),
            )
        )
        async with self.engine.begin() as conn:
            await conn.execute(release)
