"""Several ``newsbot run`` instances on one PostgreSQL database.

Each instance polls the feeds it claims (:mod:`bot.cluster.claims`), so every feed is
polled by one instance per interval; one instance at a time takes Telegram updates and
sends the outbox (:mod:`bot.cluster.leader`). PostgreSQL itself coordinates them: row
locks for the claims, an advisory lock for Telegram. Nothing else is shared: alerts and
rules are in the database, which every instance reads.
"""

from __future__ import annotations

import os
import secrets
import socket


def instance_name() -> str:
    """This process's name among the instances: host, pid and a random part (a pid may
    come back after a restart, with claims of the dead process still in the database)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
