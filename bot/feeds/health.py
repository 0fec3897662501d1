"""When to tell admins about a feed: pure, from the feed's stored state.

Admins hear once per bad spell: when a feed has been failing for ``UNHEALTHY_AFTER``
without a success, or when it answered 410 Gone and polling stopped. A success clears
the spell (the store resets ``failing_since`` and ``health_notice_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.records import FeedState

UNHEALTHY_AFTER = timedelta(hours=24)


def notice_due(state: FeedState, now: datetime) -> str | None:
    """``"gone"`` or ``"failing"`` when admins should be told now, else None."""
    if state.health_notice_at is not None:
        return None
    if state.status == "gone":
        return "gone"
    if state.failing_since is not None and now - state.failing_since >= UNHEALTHY_AFTER:
        return "failing"
    return None
