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
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bot import __version__
from bot.errors import FetchError
from bot.feeds.inflate import ACCEPT_ENCODING, Decoder

USER_AGENT = f"newsbot/{__version__} (RSS/Atom keyword alerts; polite conditional polling)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
MAX_REDIRECTS = 5
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})", re.IGNORECASE)
_PERMANENT = frozenset({301, 308})


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


def make_client(
    timeout: float, transport: httpx.AsyncBaseTransport | None = None, keep_alive: int = 16
) -> httpx.AsyncClient:
    """The one shared HTTP client for all feeds (the :class:`Fetcher` follows redirects).

    How many fetches run at once is the pipeline's business (``polling.concurrency`` and
    ``per_host``); the client keeps up to ``keep_alive`` idle connections for reuse. Not
    more: httpcore checks every idle connection each time it places a request, which
    with 100 kept cost more CPU than reconnecting saved.
    """
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=keep_alive),
        transport=transport,
    )


class Fetcher:
    """Conditional GET with a bound on the whole request and on the decoded body size."""

    def __init__(self, client: httpx.AsyncClient, timeout: float, max_bytes: int) -> None:
        self._client = client
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``, sending the stored validators; never raises for the feed's faults."""
        headers = _conditional_headers(etag, last_modified)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(self._client.build_request("GET", url, headers=headers))
        except TimeoutError:
            return Failed(f"timed out after {self._timeout:g}s")
        except httpx.InvalidURL as exc:
            return Failed(f"invalid URL: {exc}")
        except httpx.HTTPError as exc:
            return Failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except FetchError as exc:
            return Failed(str(exc))

    async def _follow(self, request: httpx.Request) -> FetchResult:
        """Send ``request``, following redirects without reading their bodies."""
        hops: list[int] = []
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._client.send(request, stream=True, follow_redirects=False)
            try:
                redirect = response.next_request  # set by httpx for a 3xx with a Location
                if redirect is None:
                    return await self._answer(response, hops)
            finally:
                await response.aclose()
            hops.append(response.status_code)
            request = redirect
        return Failed(f"more than {MAX_REDIRECTS} redirects")

    async def _answer(self, response: httpx.Response, hops: list[int]) -> FetchResult:
        moved_to = str(response.url) if hops and _PERMANENT.issuperset(hops) else None
        max_age = parse_max_age(response.headers.get("cache-control"))
        if response.status_code == 304:
            return NotModified(moved_to=moved_to, max_age=max_age)
        if response.status_code != 200:
            return _classify(response)
        content = await self._read(response)
        if content is None:
            return Failed(f"body larger than {self._max_bytes} bytes")
        return Fetched(
            content=content,
            url=str(response.url),
            content_type=response.headers.get("content-type", ""),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            moved_to=moved_to,
            max_age=max_age,
        )

    async def _read(self, response: httpx.Response) -> bytes | None:
        """The decoded body, or None as soon as it grows past ``max_bytes``."""
        decoder = Decoder(response.headers.get("content-encoding", ""))
        pieces: list[bytes] = []
        size = 0
        async for raw in _raw(response):
            for piece in decoder.decode(raw):
                size += len(piece)
                if size > self._max_bytes:
                    return None
                pieces.append(piece)
        return b"".join(pieces)


async def _raw(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as sent, still content-encoded.

    Unlike ``aiter_raw`` this also works for a response built in memory (by a mock or
    in-process transport), which httpx has already read.
    """
    if not isinstance(response.stream, httpx.AsyncByteStream):
        raise FetchError("the HTTP transport is not asynchronous")
    async for chunk in response.stream:
        yield chunk


def _classify(response: httpx.Response) -> FetchResult:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 410:
        return Gone(status)
    if status in (429, 503):
        return RateLimited(status, retry_after)
    reason = response.reason_phrase or ""
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
