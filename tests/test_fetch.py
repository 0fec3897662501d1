"""The fetcher sorts every HTTP response into one case: Fetched, NotModified, Gone, ..."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from feedserver import CountingTransport, FeedServer, Reply, chunks, gzip_bomb

from bot.feeds.fetch import (
    MAX_REDIRECTS,
    Failed,
    Fetched,
    Fetcher,
    FetchResult,
    Gone,
    NotModified,
    RateLimited,
    make_client,
    parse_max_age,
    parse_retry_after,
)
from bot.feeds.inflate import PIECE, Decoder

URL = "https://news.example/feed.xml"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


async def fetch(
    handler: Handler,
    url: str = URL,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 5.0,
    max_bytes: int = 1_000_000,
) -> FetchResult:
    async with make_client(timeout, httpx.MockTransport(handler)) as client:
        return await Fetcher(client, timeout, max_bytes).fetch(url, etag, last_modified)


def answer(status: int, content: bytes = b"", **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    return handler


def streamed(content: bytes, **headers: str) -> Handler:
    """A 200 whose body httpx streams as the network would (it decodes in-memory ones)."""

    async def body() -> AsyncIterator[bytes]:
        yield content

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers=headers)

    return handler


# --- 200 ----------------------------------------------------------------------------


async def test_200_is_fetched_with_its_validators() -> None:
    result = await fetch(
        answer(
            200,
            RSS,
            **{
                "Content-Type": "application/rss+xml; charset=utf-8",
                "ETag": '"v1"',
                "Last-Modified": "Wed, 18 Nov 2026 09:40:00 GMT",
            },
        )
    )
    assert result == Fetched(
        content=RSS,
        url=URL,
        content_type="application/rss+xml; charset=utf-8",
        etag='"v1"',
        last_modified="Wed, 18 Nov 2026 09:40:00 GMT",
        moved_to=None,
    )


async def test_200_without_validators() -> None:
    result = await fetch(answer(200, RSS))
    assert isinstance(result, Fetched)
    assert (result.etag, result.last_modified, result.content_type) == (None, None, "")


async def test_gzip_body_is_decoded() -> None:
    result = await fetch(answer(200, gzip.compress(RSS), **{"Content-Encoding": "gzip"}))
    assert isinstance(result, Fetched)
    assert result.content == RSS


@pytest.mark.parametrize(
    ("etag", "last_modified", "expected"),
    [
        ('"abc"', "Wed, 18 Nov 2026 09:40:00 GMT", {"if-none-match", "if-modified-since"}),
        ('W/"abc"', None, {"if-none-match"}),
        (None, "Wed, 18 Nov 2026 09:40:00 GMT", {"if-modified-since"}),
        (None, None, set()),
        ("", "", set()),
    ],
)
async def test_conditional_headers_carry_the_stored_validators(
    etag: str | None, last_modified: str | None, expected: set[str]
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304)

    result = await fetch(handler, etag=etag, last_modified=last_modified)
    assert result == NotModified()
    (request,) = seen
    sent = {name for name in ("if-none-match", "if-modified-since") if name in request.headers}
    assert sent == expected
    if etag:
        assert request.headers["if-none-match"] == etag
    if last_modified:
        assert request.headers["if-modified-since"] == last_modified


async def test_requests_say_who_is_asking_and_what_is_wanted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=RSS)

    await fetch(handler)
    (request,) = seen
    assert request.method == "GET"
    assert request.headers["user-agent"].startswith("newsbot/")
    assert "python-httpx" not in request.headers["user-agent"]
    assert "application/rss+xml" in request.headers["accept"]
    assert "application/atom+xml" in request.headers["accept"]
    assert request.headers["accept-encoding"] == "gzip, deflate"  # only what is decoded in bounds


# --- the other statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (304, {}, NotModified()),
        (410, {}, Gone(410)),
        (429, {}, RateLimited(429, None)),
        (429, {"Retry-After": "120"}, RateLimited(429, 120.0)),
        (503, {"Retry-After": "3600"}, RateLimited(503, 3600.0)),
        (503, {"Retry-After": "whenever"}, RateLimited(503, None)),
        (404, {}, Failed("HTTP 404 Not Found")),
        (500, {}, Failed("HTTP 500 Internal Server Error")),
        (403, {}, Failed("HTTP 403 Forbidden")),
        (500, {"Retry-After": "60"}, Failed("HTTP 500 Internal Server Error", 60.0)),
        (204, {}, Failed("HTTP 204 No Content")),
    ],
)
async def test_status_cases(status: int, headers: dict[str, str], expected: FetchResult) -> None:
    assert await fetch(answer(status, b"", **headers)) == expected


async def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    result = await fetch(answer(429, b"", **{"Retry-After": later}))
    assert isinstance(result, RateLimited)
    assert result.retry_after is not None
    assert 595 <= result.retry_after <= 600


NOW = datetime(2015, 10, 21, 7, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 120.0),
        ("Wed, 21 Oct 2015 09:28:00 +0200", 120.0),
        ("Wed, 21 Oct 2015 07:28:00", 120.0),  # no zone: read as UTC
        ("Tue, 20 Oct 2015 07:28:00 GMT", 0.0),  # in the past: now
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("Wed, 99 Oct 2015 07:28:00 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


# --- redirects --------------------------------------------------------------------------


def redirects(hops: dict[str, tuple[int, str]], final: httpx.Response) -> Handler:
    """Each path in ``hops`` redirects (status, location); any other path gets ``final``."""

    def handler(request: httpx.Request) -> httpx.Response:
        hop = hops.get(request.url.path)
        if hop is None:
            return final
        return httpx.Response(hop[0], headers={"Location": hop[1]})

    return handler


@pytest.mark.parametrize(
    ("hops", "moved_to"),
    [
        ({"/feed.xml": (301, "/new.xml")}, "https://news.example/new.xml"),
        ({"/feed.xml": (308, "https://other.example/rss")}, "https://other.example/rss"),
        (
            {"/feed.xml": (301, "/b"), "/b": (301, "/c"), "/c": (308, "https://x.example/feed")},
            "https://x.example/feed",
        ),
        ({"/feed.xml": (302, "/tmp.xml")}, None),
        ({"/feed.xml": (307, "/tmp.xml")}, None),
        ({"/feed.xml": (301, "/b"), "/b": (302, "/c")}, None),  # any temporary hop: stay
        ({"/feed.xml": (302, "/b"), "/b": (301, "/c")}, None),
    ],
)
async def test_redirects(hops: dict[str, tuple[int, str]], moved_to: str | None) -> None:
    result = await fetch(redirects(hops, httpx.Response(200, content=RSS)))
    assert isinstance(result, Fetched)
    assert result.content == RSS
    assert result.moved_to == moved_to
    assert result.url != URL


async def test_not_modified_after_a_permanent_redirect_reports_the_move() -> None:
    handler = redirects({"/feed.xml": (301, "/new.xml")}, httpx.Response(304))
    assert await fetch(handler) == NotModified(moved_to="https://news.example/new.xml")


@pytest.mark.parametrize(
    "hops",
    [
        {"/feed.xml": (301, "/feed.xml")},
        {"/feed.xml": (302, "/a"), "/a": (302, "/feed.xml")},
        {f"/{n}" if n else "/feed.xml": (301, f"/{n + 1}") for n in range(10)},
    ],
)
async def test_redirect_loops_fail_after_a_few_hops(hops: dict[str, tuple[int, str]]) -> None:
    count = 0
    inner = redirects(hops, httpx.Response(200, content=RSS))

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        response = inner(request)
        assert isinstance(response, httpx.Response)
        return response

    result = await fetch(handler)
    assert isinstance(result, Failed)
    assert "redirects" in result.error
    assert str(MAX_REDIRECTS) in result.error
    assert count == MAX_REDIRECTS + 1


async def test_five_redirects_are_still_followed() -> None:
    hops = {f"/{n}" if n else "/feed.xml": (301, f"/{n + 1}") for n in range(MAX_REDIRECTS)}
    result = await fetch(redirects(hops, httpx.Response(200, content=RSS)))
    assert isinstance(result, Fetched)
    assert result.moved_to == f"https://news.example/{MAX_REDIRECTS}"


# --- size, time and network ---------------------------------------------------------------


async def endless(chunk: bytes) -> AsyncIterator[bytes]:
    while True:
        yield chunk
        await asyncio.sleep(0)


@pytest.mark.parametrize("max_bytes", [10, len(RSS) - 1])
async def test_a_body_over_the_cap_fails(max_bytes: int) -> None:
    result = await fetch(answer(200, RSS), max_bytes=max_bytes)
    assert result == Failed(f"body larger than {max_bytes} bytes")


async def test_a_body_exactly_at_the_cap_is_fetched() -> None:
    result = await fetch(answer(200, RSS), max_bytes=len(RSS))
    assert isinstance(result, Fetched)


async def test_an_endless_body_is_cut_off_at_the_cap() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless(b"<item>" * 1000))

    result = await fetch(handler, max_bytes=50_000)
    assert result == Failed("body larger than 50000 bytes")


async def test_a_gzip_bomb_is_cut_off_by_its_decoded_size() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000

    async def body() -> AsyncIterator[bytes]:
        for start in range(0, len(bomb), 512):
            yield bomb[start : start + 512]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=body())

    result = await fetch(handler, max_bytes=100_000)
    assert result == Failed("body larger than 100000 bytes")


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (httpx.ConnectError("connection refused"), "ConnectError: connection refused"),
        (httpx.ReadError("connection reset"), "ReadError: connection reset"),
        (httpx.RemoteProtocolError("peer closed"), "RemoteProtocolError: peer closed"),
        (httpx.ConnectTimeout(""), "ConnectTimeout"),
    ],
)
async def test_network_errors_fail(error: httpx.HTTPError, fragment: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    result = await fetch(handler)
    assert isinstance(result, Failed)
    assert fragment in result.error


@pytest.mark.parametrize("url", ["not a url", "ftp://news.example/feed", "https://"])
async def test_bad_urls_fail(url: str) -> None:
    async with make_client(1.0) as client:  # refused before any connection is made
        result = await Fetcher(client, 1.0, 1000).fetch(url)
    assert isinstance(result, Failed)
    assert "protocol" in result.error


async def test_a_slow_handler_is_cut_off_by_the_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=RSS)

    started = time.monotonic()
    result = await fetch(handler, timeout=0.2)
    assert result == Failed("timed out after 0.2s")
    assert time.monotonic() - started < 1.2


async def test_a_server_that_trickles_its_body_is_cut_off_by_the_whole_request_timeout(
    feed_server: FeedServer,
) -> None:
    done = threading.Event()

    def stall(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", "1000000")
        request.end_headers()
        try:
            request.wfile.write(RSS[:40])
            # A byte now and then: no single read ever waits long enough to time out.
            while not done.wait(0.05):
                request.wfile.write(b" ")
        except OSError:
            pass

    feed_server.reply("/stall.xml", stall)
    timeout = 0.5
    started = time.monotonic()
    try:
        async with make_client(timeout) as client:
            result = await Fetcher(client, timeout, 1_000_000).fetch(feed_server.url("/stall.xml"))
    finally:
        done.set()
    elapsed = time.monotonic() - started
    assert result == Failed(f"timed out after {timeout:g}s")
    assert timeout <= elapsed < timeout + 1
    assert len(feed_server.hits("/stall.xml")) == 1


async def test_the_local_server_feed_round_trip(feed_server: FeedServer) -> None:
    feed_server.publish("/kz.xml", title="Rosatom signs", link="https://news.example/1")
    async with make_client(2.0) as client:
        fetcher = Fetcher(client, 2.0, 1_000_000)
        first = await fetcher.fetch(feed_server.url("/kz.xml"))
        assert isinstance(first, Fetched)
        assert b"Rosatom signs" in first.content
        assert first.etag and first.last_modified
        again = await fetcher.fetch(feed_server.url("/kz.xml"), first.etag, first.last_modified)
    assert again == NotModified()
    (_, conditional) = feed_server.hits("/kz.xml")
    assert conditional.headers["If-None-Match"] == first.etag
    assert conditional.headers["User-Agent"].startswith("newsbot/")


# --- content encodings ----------------------------------------------------------------------


def raw_deflate(data: bytes) -> bytes:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflate.compress(data) + deflate.flush()


PAYLOAD = bytes(range(256)) * 40 + b"a" * (3 * PIECE + 7)
ENCODED = [
    ("gzip", gzip.compress(PAYLOAD), PAYLOAD),
    ("x-gzip", gzip.compress(PAYLOAD), PAYLOAD),
    ("deflate", zlib.compress(PAYLOAD), PAYLOAD),
    ("deflate", raw_deflate(PAYLOAD), PAYLOAD),
    ("gzip, gzip", gzip.compress(gzip.compress(PAYLOAD)), PAYLOAD),
    ("GZIP", gzip.compress(PAYLOAD) + gzip.compress(b"second member"), PAYLOAD + b"second member"),
    ("gzip", gzip.compress(PAYLOAD) + b"trailing junk", PAYLOAD),
    ("", PAYLOAD, PAYLOAD),
    ("identity", PAYLOAD, PAYLOAD),
    ("utf-8", PAYLOAD, PAYLOAD),  # a nonsense coding is ignored, as httpx does
]


def decode_in(coding: str, encoded: bytes, size: int) -> list[bytes]:
    decoder = Decoder(coding)
    return [
        piece
        for start in range(0, len(encoded), size)
        for piece in decoder.decode(encoded[start : start + size])
    ]


@pytest.mark.parametrize("size", [7, 4096, PIECE + 1, 10**7])
@pytest.mark.parametrize(("coding", "encoded", "decoded"), ENCODED)
def test_the_decoder_round_trips_in_bounded_pieces(
    coding: str, encoded: bytes, decoded: bytes, size: int
) -> None:
    pieces = decode_in(coding, encoded, size)
    assert b"".join(pieces) == decoded
    assert max(len(p) for p in pieces) <= PIECE


@pytest.mark.parametrize("encoded", [zlib.compress(RSS), raw_deflate(RSS)])
def test_deflate_is_told_apart_even_one_byte_at_a_time(encoded: bytes) -> None:
    assert b"".join(decode_in("deflate", encoded, 1)) == RSS


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br"])
async def test_encodings_newsbot_never_asks_for_fail(coding: str) -> None:
    result = await fetch(streamed(b"\x00" * 10, **{"Content-Encoding": coding}))
    assert result == Failed(f"unsupported Content-Encoding: {coding.split(', ')[-1]}")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_corrupt_compressed_body_fails(coding: str) -> None:
    header = gzip.compress(b"")[:10] if coding == "gzip" else b"\x78\x9c"
    body = header + b"\xff" * 50  # a deflate block of the reserved type 3
    result = await fetch(streamed(body, **{"Content-Encoding": coding}))
    assert isinstance(result, Failed)
    assert result.error.startswith("corrupt compressed body")


@pytest.mark.parametrize(
    ("coding", "bomb"),
    [
        ("deflate", zlib.compress(bytes(20_000_000), 9)),
        ("deflate", raw_deflate(bytes(20_000_000))),
        ("gzip", gzip_bomb(20_000_000)),
    ],
)
async def test_every_bomb_is_cut_off_by_its_decoded_size(coding: str, bomb: bytes) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for piece in chunks(bomb, 1024):
            read += len(piece)
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": coding}, content=body())

    result = await fetch(handler, max_bytes=1_000_000)
    assert result == Failed("body larger than 1000000 bytes")
    assert read <= 2048  # about 1 MB decoded is about 1 KB of a zero bomb


# --- hostile servers on the network ---------------------------------------------------------


async def fetch_local(
    server: FeedServer, path: str, *, timeout: float = 2.0, max_bytes: int = 1_000_000
) -> tuple[FetchResult, float, int]:
    """Fetch ``path`` over real HTTP; the result, seconds taken and body bytes received."""
    transport = CountingTransport()
    started = time.monotonic()
    async with make_client(timeout, transport) as client:
        result = await Fetcher(client, timeout, max_bytes).fetch(server.url(path))
    return result, time.monotonic() - started, transport.received


@pytest.fixture(scope="module")
def gigabyte_bomb() -> bytes:
    bomb = gzip_bomb(10**9)
    assert len(bomb) < 1_100_000
    return bomb


async def test_a_gigabyte_gzip_bomb_costs_about_max_bytes_of_memory(
    feed_server: FeedServer, gigabyte_bomb: bytes
) -> None:
    feed_server.stream("/bomb.xml", chunks(gigabyte_bomb), {"Content-Encoding": "gzip"})
    max_bytes = 10_000_000
    tracemalloc.start()
    try:
        result, elapsed, received = await fetch_local(feed_server, "/bomb.xml", max_bytes=max_bytes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result == Failed(f"body larger than {max_bytes} bytes")
    assert peak < 1.3 * max_bytes  # httpx's own decoding peaks near 5x here
    assert received < 100_000  # about 10 KB of the 1 MB bomb decodes to 10 MB
    assert elapsed < 2


async def test_an_endless_body_is_cut_off_at_max_bytes(feed_server: FeedServer) -> None:
    feed_server.stream("/endless.xml", itertools.repeat(b"<item>" * 10_000))
    result, elapsed, received = await fetch_local(feed_server, "/endless.xml", max_bytes=1_000_000)
    assert result == Failed("body larger than 1000000 bytes")
    assert received <= 1_000_000 + 2 * PIECE
    assert elapsed < 1
    for _ in range(20):  # the server stops writing once the dropped connection tells it
        written = feed_server.sent("/endless.xml")
        await asyncio.sleep(0.1)
        if feed_server.sent("/endless.xml") == written:
            break
    else:
        pytest.fail("the server is still writing: the connection was never dropped")


async def test_a_server_that_stalls_mid_body_is_cut_off_by_the_timeout(
    feed_server: FeedServer,
) -> None:
    silence = itertools.repeat(b"")
    headers = {"Content-Length": "100000"}
    feed_server.stream("/stall.xml", itertools.chain([RSS[:40]], silence), headers, 0.05)
    result, elapsed, received = await fetch_local(feed_server, "/stall.xml", timeout=0.5)
    assert result == Failed("timed out after 0.5s")
    assert 0.5 <= elapsed < 1.0
    assert received == 40


async def test_a_redirect_loop_costs_six_requests(feed_server: FeedServer) -> None:
    feed_server.reply("/loop.xml", Reply(302, headers={"Location": "/loop.xml"}))
    result, elapsed, _ = await fetch_local(feed_server, "/loop.xml")
    assert result == Failed(f"more than {MAX_REDIRECTS} redirects")
    assert len(feed_server.hits("/loop.xml")) == MAX_REDIRECTS + 1 == 6
    assert elapsed < 1


async def test_a_redirect_body_is_never_read(feed_server: FeedServer) -> None:
    feed_server.publish("/feed.xml", "Rosatom", "https://news.example/1")
    endless = itertools.repeat(b"x" * 65536)
    feed_server.stream("/hop.xml", endless, {"Location": "/feed.xml"}, status=301)
    result, elapsed, received = await fetch_local(feed_server, "/hop.xml")
    assert isinstance(result, Fetched)
    assert result.moved_to == feed_server.url("/feed.xml")
    assert received < 100_000 + len(result.content)
    assert elapsed < 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=600", 600.0),
        ("public, max-age=3600, must-revalidate", 3600.0),
        ('private, MAX-AGE="60"', 60.0),
        ("s-maxage=900", None),  # for shared caches, not for us
        ("no-cache", None),
        (None, None),
        ("max-age=soon", None),
    ],
)
def test_cache_control_max_age(header: str | None, seconds: float | None) -> None:
    assert parse_max_age(header) == seconds
