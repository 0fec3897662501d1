"""The fetcher sorts every HTTP response into one case: Fetched, NotModified, Gone, ..."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from feedserver import FeedServer

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
    parse_retry_after,
)

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
