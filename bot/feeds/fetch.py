"""Fetch a feed over HTTP and sort the response into one of a few cases.

:class:`Fetched` (new content), :class:`NotModified` (304), :class:`Gone` (410),
:class:`RateLimited` (429/503) and :class:`Failed` (everything else, including network
errors, the whole-request time bound and the body size cap). A permanent redirect
(every hop 301/308) is reported as ``moved_to`` on Fetched and NotModified so the caller
stores the new address. The caller handles each case; the fetcher never raises for a
feed's misbehaviour.

Bounds, whatever the server does: one ``timeout`` covers the whole request, redirects
and body included; at most :data:`MAX_REDIRECTS` redirects are followed (so at most six
requests per fetch) and a redirect's own body is never read; the body is decoded here,
a piece at a time (:mod:`bot.feeds.inflate`), and abandoned as soon as the decoded size
passes ``max_bytes``, so a compression bomb costs about ``max_bytes`` of memory.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import re
import ssl
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import certifi
from yarl import URL

from bot import __version__
from bot.errors import FetchError
from bot.feeds.inflate import ACCEPT_ENCODING, PIECE, Decoder

USER_AGENT = f"newsbot/{__version__} (RSS/Atom keyword alerts; polite conditional polling)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, */*;q=0.1"
)
MAX_REDIRECTS = 5
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})", re.IGNORECASE)
KEEP_ALIVE = 15.0  # seconds an idle connection is kept for the next feed on its host
_PERMANENT = frozenset({301, 308})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SCHEMES = frozenset({"http", "https"})
_ENCODED = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


@dataclass(frozen=True)
class Fetched:
    content: bytes
    url: str  # where the content came from, after redirects
    content_type: str
    etag: str | None
    last_modified: str | None
    moved_to: str | None = None
    max_age: float | None = None  # Cache-Control: how long the publisher says it is fresh


@dataclass(frozen=True)
class NotModified:
    moved_to: str | None = None
    max_age: float | None = None


@dataclass(frozen=True)
class Gone:
    status: int = 410


@dataclass(frozen=True)
class RateLimited:
    status: int
    retry_after: float | None  # seconds, when the server said


@dataclass(frozen=True)
class Failed:
    error: str
    retry_after: float | None = None


FetchResult = Fetched | NotModified | Gone | RateLimited | Failed


def make_session(direct: bool = False) -> aiohttp.ClientSession:
    """The one HTTP session shared by all feeds; create it inside the running event loop.

    How many fetches run at once is the pipeline's business (``polling.concurrency`` and
    ``per_host``), so the connector sets no limit of its own. Idle connections are kept
    :data:`KEEP_ALIVE` seconds, for the next feed on the same host. Bodies arrive as sent
    (the :class:`Fetcher` decodes them within bounds) with at most about ``PIECE``
    bytes buffered ahead of the reader; the header block is bounded (128 fields of at
    most 8 KB each); no cookie is kept between feeds. Proxy settings come from the
    environment (``HTTPS_PROXY``, ``NO_PROXY``), read for each request only when a proxy
    is set: that reading costs two trips to a thread per request. ``direct``: ignore
    them, and connect straight to every host. Certificates are checked as in
    :func:`tls_context`.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEP_ALIVE, ssl=tls_context()),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),  # the Fetcher bounds the whole request
        auto_decompress=False,
        read_bufsize=PIECE,  # what is buffered ahead of the reader, per connection
        trust_env=not direct and bool(urllib.request.getproxies()),
    )


def tls_context() -> ssl.SSLContext:
    """Certificates are checked against certifi's CA bundle, as the Telegram client does.

    ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` in the environment name other CAs instead (a
    company's own, say). The bundle does not depend on the system's, which a slim
    container image may lack.
    """
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()  # OpenSSL reads both variables
    return ssl.create_default_context(cafile=certifi.where())


class Fetcher:
    """Conditional GET with a bound on the whole request and on the decoded body size.

    ``received`` counts the body bytes read off the network, as sent, over all fetches.
    """

    def __init__(self, session: aiohttp.ClientSession, timeout: float, max_bytes: int) -> None:
        self._session = session
        self._timeout = timeout
        self._max_bytes = max_bytes
        self.received = 0

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``, sending the stored validators; never raises for the feed's faults."""
        headers = _conditional_headers(etag, last_modified)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(_address(url), headers)
        except TimeoutError:
            return Failed(f"timed out after {self._timeout:g}s")
        except (aiohttp.InvalidURL, UnicodeError) as exc:  # the latter: a host name's IDNA
            return Failed(f"invalid URL: {exc}")
        except aiohttp.ClientError as exc:
            return Failed(_describe(exc))
        except FetchError as exc:
            return Failed(str(exc))

    async def _follow(self, url: URL, headers: dict[str, str]) -> FetchResult:
        """GET ``url``, following redirects without reading their bodies."""
        hops: list[int] = []
        for _ in range(MAX_REDIRECTS + 1):
            async with self._session.get(url, headers=headers, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status not in _REDIRECTS or location is None:
                    return await self._answer(response, url, hops)
                response.close()  # its body is never read
            hops.append(response.status)
            url = _address(location, url)
        return Failed(f"more than {MAX_REDIRECTS} redirects")

    async def _answer(
        self, response: aiohttp.ClientResponse, url: URL, hops: list[int]
    ) -> FetchResult:
        moved_to = str(url) if hops and _PERMANENT.issuperset(hops) else None
        max_age = parse_max_age(_header(response, "Cache-Control"))
        if response.status == 304:
            return NotModified(moved_to=moved_to, max_age=max_age)
        if response.status != 200:
            return _classify(response)
        content = await self._read(response)
        if content is None:
            response.close()  # drop the connection: the server may still be writing
            return Failed(f"body larger than {self._max_bytes} bytes")
        return Fetched(
            content=content,
            url=str(url),
            content_type=_header(response, "Content-Type") or "",
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            moved_to=moved_to,
            max_age=max_age,
        )

    async def _read(self, response: aiohttp.ClientResponse) -> bytes | None:
        """The decoded body, or None as soon as it grows past ``max_bytes``."""
        decoder = Decoder(_header(response, "Content-Encoding") or "")
        pieces: list[bytes] = []
        size = 0
        async for raw in response.content.iter_chunked(PIECE):
            self.received += len(raw)
            for piece in decoder.decode(raw):
                size += len(piece)
                if size > self._max_bytes:
                    return None
                pieces.append(piece)
        return b"".join(pieces)


def _address(text: str, base: URL | None = None) -> URL:
    """``text`` as an absolute http(s) URL (resolved against ``base``); FetchError if not.

    A URL already in its encoded form is sent exactly as written: re-encoding would turn
    ``%2F`` into ``/`` in a query, and break a signed address. Anything else (spaces,
    non-ASCII paths and host names) is encoded here.
    """
    try:
        url = URL(text, encoded=bool(_ENCODED.fullmatch(text)))
        url = base.join(url) if base is not None else url
        host = url.host or ""
        host.encode("idna")  # empty or over-long labels, which the resolver would raise on
        shown = url.human_repr()
    except ValueError as exc:  # UnicodeError included: a host name that is not IDNA
        raise FetchError(f"invalid URL: {exc}") from exc
    if url.scheme not in _SCHEMES or not host:
        raise FetchError(f"invalid URL: {shown!r} is not an http(s) address")
    return url


def _describe(exc: aiohttp.ClientError) -> str:
    """The error on one line, as the feeds table and /status show it."""
    detail = exc.message if isinstance(exc, aiohttp.ClientResponseError) else str(exc)
    text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return " ".join(_text(text).split())[:300]


def _header(response: aiohttp.ClientResponse, name: str) -> str | None:
    value = response.headers.get(name)
    return _text(value) if value is not None else None


def _text(value: str) -> str:
    """Header text as a server sent it: UTF-8 if it is, else Latin-1 (as HTTP/1.1 had it).

    aiohttp keeps bytes that are not UTF-8 as lone surrogates, which no database will
    store and no message can carry.
    """
    if value.isascii():
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _classify(response: aiohttp.ClientResponse) -> FetchResult:
    status = response.status
    retry_after = parse_retry_after(_header(response, "Retry-After"))
    if status == 410:
        return Gone(status)
    if status in (429, 503):
        return RateLimited(status, retry_after)
    reason = _text(response.reason or "")
    return Failed(f"HTTP {status} {reason}".strip(), retry_after)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"Accept-Encoding": ACCEPT_ENCODING}  # only what _read can decode within bounds
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def parse_max_age(value: str | None) -> float | None:
    """``Cache-Control: max-age=N`` as seconds (``s-maxage`` is for shared caches)."""
    found = _MAX_AGE.search(value or "")
    return float(found[1]) if found else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
