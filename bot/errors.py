"""The one exception tree of newsbot.

    NewsbotError
    ├── ConfigError        config.yaml or a watchlist is invalid (carries every problem)
    ├── QueryError         a rule in the query language does not parse (carries the position)
    ├── FetchError         a feed could not be fetched (a bound passed, a bad address)
    ├── FeedParseError     fetched bytes are not a readable feed
    │   └── NotAFeed       an HTML page (carries the feed addresses it advertises)
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


class NotAFeed(FeedParseError):
    """An HTML page where a feed was expected; ``alternates`` are the feeds it advertises.

    The message names them, so whoever shows the feed's last error tells the operator
    which address to configure instead.
    """

    def __init__(self, message: str, alternates: tuple[str, ...] = ()) -> None:
        self.alternates = tuple(alternates)
        super().__init__(message)

    def __reduce__(self) -> tuple[type[NotAFeed], tuple[str, tuple[str, ...]]]:
        # Parsing may run in a worker process: the addresses must survive pickling.
        return (type(self), (str(self), self.alternates))


class StoreError(NewsbotError):
    """The database could not be opened or migrated."""
