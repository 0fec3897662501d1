"""The one exception tree of newsbot.

    NewsbotError
    ├── ConfigError        config.yaml or a watchlist is invalid (carries every problem)
    ├── QueryError         a rule in the query language does not parse (carries the position)
    ├── FetchError         a feed could not be fetched (wraps httpx errors)
    ├── FeedParseError     fetched bytes are not a readable feed
    └── StoreError         the database could not be opened or migrated

Library errors are wrapped at the adapter that calls the library, with ``raise ... from exc``.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """Invalid configuration; ``problems`` lists each one as "file: field: what is wrong"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class QueryError(NewsbotError):
    """A query that does not parse; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.message = message
        self.query = query
        self.position = position
        super().__init__(f"{message} at {position}")


class FetchError(NewsbotError):
    """A feed fetch failed (network, timeout, size cap, too many redirects)."""


class FeedParseError(NewsbotError):
    """The fetched bytes are not a feed newsbot can read."""


class StoreError(NewsbotError):
    """The database could not be opened or migrated."""
