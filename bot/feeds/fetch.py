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
passes ``max_bytes``, so a compression bomb costs about ``max_bytes`` of memory; the
header block is bounded too (by h11, to 100 KB).

The Fetcher also keeps fetches polite: ``concurrency`` at once overall, ``per_host`` at
once to any one host.
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
from http.cookiejar import CookieJar, DefaultCookiePolicy

import certifi
import httpx

from bot import __version__
from bot.errors import FetchError
from bot.feeds.inflate import ACCEPT_ENCODING, Decoder
from bot.feeds.pools import PoolPerHost
from bot.metrics import Metrics

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


def make_client(direct: bool = False) -> httpx.AsyncClient:
    """The one HTTP client shared by all feeds; close it with ``aclose()``.

    How many fetches run at once is the :class:`Fetcher`'s business, so the pools set no
    limit of their own; each host has its own (:mod:`bot.feeds.pools`). Idle connections
    are kept :data:`KEEP_ALIVE` seconds, for the next feed on the same host. Redirects
    are left to the Fetcher, bodies arrive as sent (the Fetcher decodes them within
    bounds), and the header block is bounded by h11 (100 KB in all). No cookie is ever
    kept. Proxy settings come from the environment (``HTTPS_PROXY``, ``NO_PROXY``, read
    once, here); ``direct``: ignore them, and connect straight to every host.
    Certificates are checked as in :func:`tls_context`.
    """
    tls = tls_context()
    kept = httpx.Limits(
        max_connections=None, max_keepalive_connections=None, keepalive_expiry=KEEP_ALIVE
    )
    per_host = PoolPerHost(
        lambda: httpx.AsyncHTTPTransport(verify=tls, limits=kept), idle=KEEP_ALIVE
    )
    # Hosts that a proxy serves, or that NO_PROXY names, go through httpx's own mounts;
    # a proxy for every scheme (ALL_PROXY) takes the place of the pools per host.
    proxy_for_all = not direct and "all" in urllib.request.getproxies()
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=())),  # no domain: no cookie
        verify=tls,
        timeout=httpx.Timeout(None),  # the Fetcher bounds the whole request
        limits=kept,
        mounts={} if proxy_for_all else {"all://": per_host},
        follow_redirects=False,
        event_hooks={"response": [_check_location]},
        trust_env=not direct,
    )


async def _check_location(response: httpx.Response) -> None:
    """Refuse a redirect to anything but an http(s) address, with :func:`_address`'s
    message, before httpx reads the Location itself (to offer it as ``next_request``)."""
    if response.status_code in _REDIRECTS:
        location = _fields(response).get("location")
        if location is not None:
            _address(location, response.request.url)


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

    At most ``concurrency`` fetches run at once, and at most ``per_host`` to any one host
    (the host of the feed's own address); a fetch waiting for its host holds no place
    in the overall limit, and the time bound starts once it has both. ``received``
    counts the body bytes read off the network, as sent, over all fetches; ``metrics``
    records them too, and how long each fetch took once it had its places.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        timeout: float,
        max_bytes: int,
        *,
        concurrency: int,
        per_host: int,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._metrics = metrics or Metrics()
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._all = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[bytes, asyncio.Semaphore] = {}
        self.received = 0

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``, sending the stored validators; never raises for the feed's faults."""
        try:
            address = _address(url)
        except FetchError as exc:
            return Failed(str(exc))
        host = self._hosts.setdefault(address.raw_host, asyncio.Semaphore(self._per_host))
        async with host, self._all:
            with self._metrics.fetch_seconds.time():
                return await self._bounded(address, _conditional_headers(etag, last_modified))

    async def _bounded(self, url: httpx.URL, headers: dict[bytes, bytes]) -> FetchResult:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url, headers)
        except TimeoutError:
            return Failed(f"timed out after {self._timeout:g}s")
        except httpx.HTTPError as exc:
            return Failed(_describe(exc))
        except (httpx.InvalidURL, UnicodeError) as exc:  # should httpx find what _address let by
            return Failed(f"invalid URL: {exc}")
        except FetchError as exc:
            return Failed(str(exc))

    async def _follow(self, url: httpx.URL, headers: dict[bytes, bytes]) -> FetchResult:
        """GET ``url``, following redirects without reading their bodies."""
        hops: list[int] = []
        for _ in range(MAX_REDIRECTS + 1):
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                fields = _fields(response)
                location = fields.get("location")
                if response.status_code not in _REDIRECTS or location is None:
                    return await self._answer(response, fields, url, hops)
            finally:
                await response.aclose()  # a body not read to its end drops the connection
            hops.append(response.status_code)
            url = _address(location, url)
        return Failed(f"more than {MAX_REDIRECTS} redirects")

    async def _answer(
        self, response: httpx.Response, fields: dict[str, str], url: httpx.URL, hops: list[int]
    ) -> FetchResult:
        moved_to = str(url) if hops and _PERMANENT.issuperset(hops) else None
        max_age = parse_max_age(fields.get("cache-control"))
        if response.status_code == 304:
            return NotModified(moved_to=moved_to, max_age=max_age)
        if response.status_code != 200:
            return _classify(response, fields)
        content = await self._read(response, fields.get("content-encoding", ""))
        if content is None:
            return Failed(f"body larger than {self._max_bytes} bytes")
        return Fetched(
            content=content,
            url=str(url),
            content_type=fields.get("content-type", ""),
            etag=fields.get("etag"),
            last_modified=fields.get("last-modified"),
            moved_to=moved_to,
            max_age=max_age,
        )

    async def _read(self, response: httpx.Response, encoding: str) -> bytes | None:
        """The decoded body, or None as soon as it grows past ``max_bytes``."""
        decoder = Decoder(encoding)
        pieces: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():  # as read off the network: 64 KB at most
            self.received += len(raw)
            self._metrics.fetched_bytes.inc(len(raw))
            for piece in decoder.decode(raw):
                size += len(piece)
                if size > self._max_bytes:
                    return None
                pieces.append(piece)
        return b"".join(pieces)


def _address(text: str, base: httpx.URL | None = None) -> httpx.URL:
    """``text`` as an absolute http(s) URL (resolved against ``base``); FetchError if not.

    A URL already in its encoded form is sent exactly as written: ``%2F`` stays ``%2F``
    in a query, and a signed address stays valid. Anything else (spaces, non-ASCII
    paths and host names) is encoded.
    """
    try:
        url = base.join(text) if base is not None else httpx.URL(text)
        _check_host(url.raw_host)
    except (httpx.InvalidURL, UnicodeError) as exc:  # the latter: a host name's IDNA
        raise FetchError(f"invalid URL: {text!r}: {exc}") from exc
    if url.scheme not in _SCHEMES or not url.raw_host:
        raise FetchError(f"invalid URL: {text!r} is not an http(s) address")
    return url


def _check_host(host: bytes) -> None:
    """UnicodeError for a host name that no resolver would take (httpx lets it pass)."""
    if b":" in host:  # an IPv6 address
        return
    host.decode("ascii").encode("idna")  # labels neither empty nor over 63 characters
    host.decode("idna")  # and those that start with "xn--" valid punycode


def _describe(exc: httpx.HTTPError) -> str:
    """The error on one line, as the feeds table and /status show it.

    The first cause is added when it says more ("All connection attempts failed" does
    not say that the connection was refused).
    """
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    cause: BaseException = exc
    for _ in range(10):  # httpx's error, httpcore's, anyio's, the system's
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    if str(cause) not in text:
        text = f"{text} ({cause})"
    return " ".join(text.split())[:300]


def _fields(response: httpx.Response) -> dict[str, str]:
    """The response's header fields by lower-case name, the first of each; values as
    :func:`_text` reads them."""
    fields: dict[str, str] = {}
    for name, value in response.headers.raw:
        fields.setdefault(name.decode("latin-1").lower(), _text(value))
    return fields


def _text(value: bytes) -> str:
    """Header text as a server sent it: UTF-8 if it is, else Latin-1 (as HTTP/1.1 had it)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _classify(response: httpx.Response, fields: dict[str, str]) -> FetchResult:
    status = response.status_code
    retry_after = parse_retry_after(fields.get("retry-after"))
    if status == 410:
        return Gone(status)
    if status in (429, 503):
        return RateLimited(status, retry_after)
    reason = _text(response.extensions.get("reason_phrase", b""))
    return Failed(f"HTTP {status} {reason}".strip(), retry_after)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[bytes, bytes]:
    """The stored validators, as bytes: httpx would refuse text that is not ASCII."""
    headers: dict[bytes, bytes] = {}
    if etag:
        headers[b"If-None-Match"] = etag.encode()
    if last_modified:
        headers[b"If-Modified-Since"] = last_modified.encode()
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
