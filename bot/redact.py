"""Keep secrets out of everything newsbot writes: log records, tracebacks, messages.

Libraries put the bot token in what they print (python-telegram-bot and httpx name the
request URL, ``{api_url}/bot{token}/{method}``, in exceptions and log records; a proxy
may echo it back), and database drivers may name the URL with its password. Rather than
trust each library, every text newsbot writes passes through one :class:`Redactor`:

- every registered secret, and its URL-encoded forms, becomes ``***``;
- whatever still looks like a Telegram bot token, or a password in a URL
  (``scheme://user:password@host``), is masked too, for texts written before the
  configuration (and so the secrets) is known.

The redactor is process-wide, like logging itself: :func:`install_redaction` puts it on the root
logging handlers and on uncaught exceptions; whoever learns a secret registers it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

MASK = "***"
_MIN_SECRET = 4  # shorter strings are too common in text to be masked everywhere
_ANY_CASE = 8  # shorter secrets are masked as written only: "Test" is not in "pytest"
# no \b before the digits: in a Bot API path the token follows "bot" directly
_TOKEN_SHAPE = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")
# up to the last "@" of the address: a password may hold an unescaped "@" or "/"
_URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s'\"]*):[^\s'\"]*@")
_WHOLE_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:(\S*)@[^@\s]*$")
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)[^&#\s]*", re.IGNORECASE)


class Redactor:
    """Replaces known secrets, and anything shaped like one, with ``***``.

    Known secrets of 8 characters or more are matched in any case: a library may
    lower-case the text it reports (python-telegram-bot does so with some Bot API error
    descriptions).
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        """Mask ``secrets`` from now on, in their plain and URL-encoded forms."""
        forms = {f for s in secrets if s for f in (s, quote(s, safe=""), quote_plus(s))}
        with self._lock:
            self._secrets |= {f for f in forms if len(f) >= _MIN_SECRET}
            # longest first, so that a token is masked whole before its secret part
            ordered = sorted(self._secrets, key=len, reverse=True)
            if ordered:
                self._pattern = re.compile("|".join(map(_alternative, ordered)))

    def add_token(self, token: str) -> None:
        """A bot token ``ID:SECRET``: the whole token and its secret part."""
        token = token.strip()
        self.add(token, token.partition(":")[2])

    def add_url(self, url: str) -> None:
        """The passwords in a database URL: after the user name, and as a query parameter."""
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:  # a URL too broken to split: the shape rule still applies
            return
        if password is None:  # an unescaped "/" in it cuts urlsplit's address short
            found = _WHOLE_PASSWORD.match(url)
            password = found[1] if found else None
        query = parse_qs(parts.query)
        for found in [password or "", *query.get("password", ()), *query.get("sslpassword", ())]:
            if found:
                self.add(found, unquote(found))

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _TOKEN_SHAPE.sub(MASK, text)
        return hide_password(text)


def _alternative(secret: str) -> str:
    """``secret`` as a pattern: in any case once it is long enough not to be a word."""
    escaped = re.escape(secret)
    return f"(?i:{escaped})" if len(secret) >= _ANY_CASE else escaped


SECRETS = Redactor()


def hide_password(url: str) -> str:
    """``scheme://user:password@host/...?password=...`` with both passwords as ``***``."""
    url = _URL_PASSWORD.sub(rf"\1:{MASK}@", url)
    return _QUERY_PASSWORD.sub(rf"\1{MASK}", url)


class RedactingStream:
    """A text stream that writes through ``inner`` with every secret masked.

    Everything else (``isatty``, ``fileno``, ``encoding``...) is ``inner``'s.
    """

    def __init__(self, inner: TextIO, redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor

    def write(self, text: str) -> int:
        self._inner.write(self._redactor(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def redacted_output(redactor: Redactor = SECRETS) -> Iterator[None]:
    """Mask secrets in whatever is printed to standard output and error meanwhile:
    reports, error messages, a library's own prints."""
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0], redactor)
    sys.stderr = RedactingStream(saved[1], redactor)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then redacts the whole text, traceback included."""

    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor(self._inner.format(record))


def install_redaction(
    redactor: Redactor = SECRETS, handlers: Iterable[logging.Handler] = ()
) -> None:
    """Redact every record the root logger's handlers (or ``handlers``) write, and the
    traceback of an exception nobody caught, in the main thread or another."""
    for handler in list(handlers) or logging.getLogger().handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            inner = handler.formatter or logging.Formatter()
            handler.setFormatter(RedactingFormatter(inner, redactor))
    sys.excepthook = _excepthook(redactor)
    threading.excepthook = _thread_excepthook(redactor)


_Hook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def _excepthook(redactor: Redactor) -> _Hook:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(redactor(text))

    return hook


def _thread_excepthook(redactor: Redactor) -> Callable[[threading.ExceptHookArgs], None]:
    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread else "a thread"
        text = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        sys.stderr.write(redactor(f"Exception in {name}:\n{text}"))

    return hook
