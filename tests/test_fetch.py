"""The fetcher sorts every HTTP response into one case: Fetched, NotModified, Gone, ...

Every fetch here is real HTTP, to the local feed server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import ssl
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import certifi
import httpx
import pytest
import trustme
from support.feedserver import FeedServer, Reply, chunks, gzip_bomb

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
    tls_context,
)
from bot.feeds.inflate import PIECE, Decoder
from bot.feeds.pools import PoolPerHost

PATH = "/feed.xml"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'


def fetcher_for(
    client: httpx.AsyncClient,
    timeout: float = 5.0,
    max_bytes: int = 1_000_000,
    concurrency: int = 16,
    per_host: int = 2,
) -> Fetcher:
    return Fetcher(client, timeout, max_bytes, concurrency=concurrency, per_host=per_host)


async def fetch_url(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 5.0,
    max_bytes: int = 1_000_000,
) -> tuple[FetchResult, int]:
    """The result of fetching ``url``, and the body bytes received."""
    async with make_client() as client:
        fetcher = fetcher_for(client, timeout, max_bytes)
        return await fetcher.fetch(url, etag, last_modified), fetcher.received


async def fetch(server: FeedServer, path: str = PATH, **bounds: float | str | None) -> FetchResult:
    result, _ = await fetch_url(server.url(path), **bounds)  # type: ignore[arg-type]
    return result


def answer(server: FeedServer, status: int, content: bytes = b"", **headers: str) -> None:
    server.reply(PATH, Reply(status, content, headers))


def headers_of(server: FeedServer, path: str = PATH) -> list[dict[str, str]]:
    """The headers of each request for ``path``, names in lower case."""
    return [{k.lower(): v for k, v in seen.headers.items()} for seen in server.hits(path)]


# --- 200 ----------------------------------------------------------------------------


async def test_200_is_fetched_with_its_validators(feed_server: FeedServer) -> None:
    answer(
        feed_server,
        200,
        RSS,
        **{
            "Content-Type": "application/rss+xml; charset=utf-8",
            "ETag": '"v1"',
            "Last-Modified": "Wed, 18 Nov 2026 09:40:00 GMT",
        },
    )
    assert await fetch(feed_server) == Fetched(
        content=RSS,
        url=feed_server.url(PATH),
        content_type="application/rss+xml; charset=utf-8",
        etag='"v1"',
        last_modified="Wed, 18 Nov 2026 09:40:00 GMT",
        moved_to=None,
    )


async def test_200_without_validators(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS)
    result = await fetch(feed_server)
    assert isinstance(result, Fetched)
    assert (result.etag, result.last_modified, result.content_type) == (None, None, "")


async def test_gzip_body_is_decoded(feed_server: FeedServer) -> None:
    answer(feed_server, 200, gzip.compress(RSS), **{"Content-Encoding": "gzip"})
    result = await fetch(feed_server)
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
    feed_server: FeedServer, etag: str | None, last_modified: str | None, expected: set[str]
) -> None:
    answer(feed_server, 304)
    assert await fetch(feed_server, etag=etag, last_modified=last_modified) == NotModified()
    (headers,) = headers_of(feed_server)
    assert {name for name in ("if-none-match", "if-modified-since") if name in headers} == expected
    if etag:
        assert headers["if-none-match"] == etag
    if last_modified:
        assert headers["if-modified-since"] == last_modified


async def test_requests_say_who_is_asking_and_what_is_wanted(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS)
    await fetch(feed_server)
    (headers,) = headers_of(feed_server)
    assert headers["user-agent"].startswith("newsbot/")
    assert "python-httpx" not in headers["user-agent"]
    assert "application/rss+xml" in headers["accept"]
    assert "application/atom+xml" in headers["accept"]
    assert "application/feed+json" in headers["accept"]
    assert headers["accept-encoding"] == "gzip, deflate"  # only what is decoded in bounds
    assert "cookie" not in headers


async def test_no_cookie_is_kept_between_fetches(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS, **{"Set-Cookie": "session=abc; Path=/"})
    feed_server.reply("/other.xml", Reply(200, RSS))  # another feed of the same host
    async with make_client() as client:
        fetcher = fetcher_for(client)
        for path in (PATH, PATH, "/other.xml"):
            assert isinstance(await fetcher.fetch(feed_server.url(path)), Fetched)
        assert not client.cookies
    seen = headers_of(feed_server) + headers_of(feed_server, "/other.xml")
    assert len(seen) == 3
    assert all("cookie" not in headers for headers in seen)


async def test_header_text_that_is_not_utf8_is_read_as_latin1(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS, ETag='"café"', **{"Last-Modified": "Mär 2026"})
    result = await fetch(feed_server)
    assert isinstance(result, Fetched)
    assert (result.etag, result.last_modified) == ('"café"', "Mär 2026")
    # sent back with the next poll (as UTF-8), not refused for being more than ASCII
    again = await fetch(feed_server, etag=result.etag, last_modified=result.last_modified)
    assert isinstance(again, Fetched)
    sent = headers_of(feed_server)[-1]
    assert sent["if-none-match"].encode("latin-1").decode() == '"café"'
    assert sent["if-modified-since"].encode("latin-1").decode() == "Mär 2026"

    def french(request: BaseHTTPRequestHandler) -> None:
        request.send_response(404, "Non trouvé")  # http.server writes it in Latin-1
        request.send_header("Content-Length", "0")
        request.end_headers()

    feed_server.reply(PATH, french)
    assert await fetch(feed_server) == Failed("HTTP 404 Non trouvé")


async def test_an_encoded_address_is_sent_as_written(feed_server: FeedServer) -> None:
    signed = "/feed.xml?sig=abc%2F%3D%3D&next=http%3A%2F%2Fx.example%2F"
    feed_server.reply(signed, Reply(200, RSS))
    assert isinstance(await fetch(feed_server, signed), Fetched)
    assert [seen.path for seen in feed_server.requests] == [signed]


async def test_an_address_with_spaces_or_cyrillic_is_encoded(feed_server: FeedServer) -> None:
    encoded = "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8.xml"
    feed_server.reply(encoded, Reply(200, RSS))
    assert isinstance(await fetch(feed_server, "/новости.xml"), Fetched)
    assert [seen.path for seen in feed_server.requests] == [encoded]


async def test_a_proxy_set_in_the_environment_is_used(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_url = "http://feeds.example.invalid/feed.xml"  # a name that never resolves
    feed_server.reply(feed_url, Reply(200, RSS))  # a proxy is asked for the whole URL
    monkeypatch.setenv("HTTP_PROXY", feed_server.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result, _ = await fetch_url(feed_url)
    assert isinstance(result, Fetched) and result.content == RSS
    assert [seen.path for seen in feed_server.requests] == [feed_url]


async def test_hosts_named_in_no_proxy_are_reached_directly(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(feed_server, 200, RSS)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    result = await fetch(feed_server)
    assert isinstance(result, Fetched) and result.content == RSS
    assert [seen.path for seen in feed_server.requests] == [PATH]


async def test_the_next_feed_on_a_host_reuses_the_connection(feed_server: FeedServer) -> None:
    ports: list[int] = []

    def remember(request: BaseHTTPRequestHandler) -> None:
        ports.append(request.client_address[1])
        request.send_response(200)
        request.send_header("Content-Length", str(len(RSS)))
        request.end_headers()
        request.wfile.write(RSS)

    feed_server.reply(PATH, remember)
    feed_server.reply("/other.xml", remember)
    async with make_client() as client:
        fetcher = fetcher_for(client)
        for path in (PATH, "/other.xml", PATH):
            assert isinstance(await fetcher.fetch(feed_server.url(path)), Fetched)
    assert len(ports) == 3 and len(set(ports)) == 1


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(authority: trustme.CA) -> Iterator[FeedServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with FeedServer(tls=context) as server:
        server.reply(PATH, Reply(200, RSS))
        yield server


async def test_https_with_a_certificate_from_a_trusted_ca(
    https_server: FeedServer, authority: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with authority.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)  # a company's own CA, say
        result = await fetch(https_server)
    assert isinstance(result, Fetched) and result.content == RSS


async def test_https_with_a_certificate_from_an_unknown_ca_fails(
    https_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    result = await fetch(https_server)
    assert isinstance(result, Failed)
    assert result.error.startswith("ConnectError")
    assert "certificate verify failed" in result.error
    assert https_server.requests == []  # nothing was sent


def test_certificates_come_from_certifi_unless_the_environment_names_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    certifis = ssl.create_default_context(cafile=certifi.where())
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname

    def serials(context: ssl.SSLContext) -> set[str]:
        return {cert["serialNumber"] for cert in context.get_ca_certs()}

    assert serials(context) == serials(certifis) != set()


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
        (302, {}, Failed("HTTP 302 Found")),  # a redirect without a Location
    ],
)
async def test_status_cases(
    feed_server: FeedServer, status: int, headers: dict[str, str], expected: FetchResult
) -> None:
    answer(feed_server, status, b"", **headers)
    assert await fetch(feed_server) == expected


async def test_retry_after_as_an_http_date(feed_server: FeedServer) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    answer(feed_server, 429, b"", **{"Retry-After": later})
    result = await fetch(feed_server)
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

OTHER_HOST = "{other}"  # in a Location: the same server, by another name (localhost)


def serve_redirects(server: FeedServer, hops: dict[str, tuple[int, str]], final: Reply) -> None:
    """Each path in ``hops`` redirects (status, location); where they lead, ``final``."""
    other = server.url("").replace("127.0.0.1", "localhost")
    for path, (status, location) in hops.items():
        target = location.format(other=other)
        server.reply(path, Reply(status, headers={"Location": target}))
        if urlsplit(target).path not in hops:
            server.reply(urlsplit(target).path, final)


@pytest.mark.parametrize(
    ("hops", "moved_to"),
    [
        ({PATH: (301, "/new.xml")}, "/new.xml"),
        ({PATH: (308, "{other}/rss")}, "{other}/rss"),
        ({PATH: (301, "/b"), "/b": (301, "/c"), "/c": (308, "{other}/feed")}, "{other}/feed"),
        ({PATH: (302, "/tmp.xml")}, None),
        ({PATH: (307, "/tmp.xml")}, None),
        ({PATH: (303, "/tmp.xml")}, None),
        ({PATH: (301, "/b"), "/b": (302, "/c")}, None),  # any temporary hop: stay
        ({PATH: (302, "/b"), "/b": (301, "/c")}, None),
    ],
)
async def test_redirects(
    feed_server: FeedServer, hops: dict[str, tuple[int, str]], moved_to: str | None
) -> None:
    serve_redirects(feed_server, hops, Reply(200, RSS))
    result = await fetch(feed_server)
    assert isinstance(result, Fetched)
    assert result.content == RSS
    assert result.url != feed_server.url(PATH)
    other = feed_server.url("").replace("127.0.0.1", "localhost")
    if moved_to is None:
        assert result.moved_to is None
    else:
        expected = moved_to.format(other=other)
        assert result.moved_to == (expected if "://" in expected else feed_server.url(expected))


async def test_redirects_keep_the_conditional_headers(feed_server: FeedServer) -> None:
    serve_redirects(feed_server, {PATH: (302, "/tmp.xml")}, Reply(304))
    assert await fetch(feed_server, etag='"v1"') == NotModified()
    assert headers_of(feed_server, "/tmp.xml")[0]["if-none-match"] == '"v1"'


async def test_not_modified_after_a_permanent_redirect_reports_the_move(
    feed_server: FeedServer,
) -> None:
    serve_redirects(feed_server, {PATH: (301, "/new.xml")}, Reply(304))
    assert await fetch(feed_server) == NotModified(moved_to=feed_server.url("/new.xml"))


@pytest.mark.parametrize(
    "hops",
    [
        {PATH: (301, PATH)},
        {PATH: (302, "/a"), "/a": (302, PATH)},
        {f"/{n}" if n else PATH: (301, f"/{n + 1}") for n in range(10)},
    ],
)
async def test_redirect_loops_fail_after_a_few_hops(
    feed_server: FeedServer, hops: dict[str, tuple[int, str]]
) -> None:
    serve_redirects(feed_server, hops, Reply(200, RSS))
    result = await fetch(feed_server)
    assert result == Failed(f"more than {MAX_REDIRECTS} redirects")
    assert len(feed_server.requests) == MAX_REDIRECTS + 1


async def test_five_redirects_are_still_followed(feed_server: FeedServer) -> None:
    hops = {f"/{n}" if n else PATH: (301, f"/{n + 1}") for n in range(MAX_REDIRECTS)}
    serve_redirects(feed_server, hops, Reply(200, RSS))
    result = await fetch(feed_server)
    assert isinstance(result, Fetched)
    assert result.moved_to == feed_server.url(f"/{MAX_REDIRECTS}")


BAD_HOSTS = ["http://xn--a.example/feed", "http://a..b.example/feed", f"http://{'a' * 64}.example/"]


@pytest.mark.parametrize(
    "location", ["ftp://news.example/feed", "http://[::1", "mailto:a@b.example", *BAD_HOSTS]
)
async def test_a_redirect_to_a_bad_address_fails(feed_server: FeedServer, location: str) -> None:
    feed_server.reply(PATH, Reply(301, headers={"Location": location}))
    result = await fetch(feed_server)
    assert isinstance(result, Failed)
    assert result.error.startswith("invalid URL")


# --- size, time and network ---------------------------------------------------------------


@pytest.mark.parametrize("max_bytes", [10, len(RSS) - 1])
async def test_a_body_over_the_cap_fails(feed_server: FeedServer, max_bytes: int) -> None:
    answer(feed_server, 200, RSS)
    assert await fetch(feed_server, max_bytes=max_bytes) == Failed(
        f"body larger than {max_bytes} bytes"
    )


async def test_a_body_exactly_at_the_cap_is_fetched(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS)
    assert isinstance(await fetch(feed_server, max_bytes=len(RSS)), Fetched)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hang_up(request: BaseHTTPRequestHandler) -> None:
    request.close_connection = True  # no answer at all


def garbage(request: BaseHTTPRequestHandler) -> None:
    request.close_connection = True
    request.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")


def cut_short(request: BaseHTTPRequestHandler) -> None:
    request.close_connection = True
    request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rss>")


def endless_headers(request: BaseHTTPRequestHandler) -> None:
    request.close_connection = True
    request.wfile.write(b"HTTP/1.1 200 OK\r\n")
    try:
        for n in range(100_000):
            request.wfile.write(f"X-Filler-{n}: {'x' * 100}\r\n".encode())
    except OSError:
        pass


@pytest.mark.parametrize(
    ("handler", "fragment"),
    [
        (hang_up, "RemoteProtocolError: Server disconnected without sending a response"),
        (garbage, "RemoteProtocolError"),
        (cut_short, "RemoteProtocolError"),
        (endless_headers, "RemoteProtocolError"),  # a header block over 100 KB
    ],
)
async def test_network_errors_fail(
    feed_server: FeedServer,
    handler: object,
    fragment: str,
) -> None:
    feed_server.reply(PATH, handler)  # type: ignore[arg-type]
    result = await fetch(feed_server)
    assert isinstance(result, Failed)
    assert fragment in result.error
    assert "\n" not in result.error and len(result.error) <= 300


async def test_a_refused_connection_fails() -> None:
    result, _ = await fetch_url(f"http://127.0.0.1:{free_port()}/feed.xml")
    assert isinstance(result, Failed)
    assert result.error.startswith("ConnectError")
    assert "Connect call failed" in result.error  # the cause, not only "attempts failed"


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://news.example/feed", "https://", "http://[::1", *BAD_HOSTS]
)
async def test_bad_urls_fail(url: str) -> None:
    result, _ = await fetch_url(url)  # refused before any connection is made
    assert isinstance(result, Failed)
    assert result.error.startswith("invalid URL")


async def test_a_server_slow_to_answer_is_cut_off_by_the_timeout(feed_server: FeedServer) -> None:
    done = threading.Event()

    def slow(request: BaseHTTPRequestHandler) -> None:
        done.wait(5)

    feed_server.reply(PATH, slow)
    started = time.monotonic()
    try:
        result = await fetch(feed_server, timeout=0.2)
    finally:
        done.set()
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
        result = await fetch(feed_server, "/stall.xml", timeout=timeout)
    finally:
        done.set()
    elapsed = time.monotonic() - started
    assert result == Failed(f"timed out after {timeout:g}s")
    assert timeout <= elapsed < timeout + 1
    assert len(feed_server.hits("/stall.xml")) == 1


async def test_the_local_server_feed_round_trip(feed_server: FeedServer) -> None:
    feed_server.publish("/kz.xml", title="Rosatom signs", link="https://news.example/1")
    async with make_client() as client:
        fetcher = fetcher_for(client, timeout=2.0)
        first = await fetcher.fetch(feed_server.url("/kz.xml"))
        assert isinstance(first, Fetched)
        assert b"Rosatom signs" in first.content
        assert first.etag and first.last_modified
        again = await fetcher.fetch(feed_server.url("/kz.xml"), first.etag, first.last_modified)
    assert again == NotModified()
    (_, conditional) = headers_of(feed_server, "/kz.xml")
    assert conditional["if-none-match"] == first.etag
    assert conditional["user-agent"].startswith("newsbot/")


# --- how many at once ---------------------------------------------------------------------


class Holding:
    """A handler that holds each request a moment, counting those in flight per host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    def __call__(self, request: BaseHTTPRequestHandler) -> None:
        host = request.headers["Host"].rsplit(":", 1)[0]
        with self.lock:
            self.now.update([host, "all"])
            self.peak |= self.now
        time.sleep(0.1)  # long enough for every fetch allowed to overlap it to start
        with self.lock:
            self.now.subtract([host, "all"])
        request.send_response(200)
        request.send_header("Content-Length", str(len(RSS)))
        request.end_headers()
        request.wfile.write(RSS)


def on_two_hosts(server: FeedServer, names: list[str]) -> list[str]:
    """URLs of ``names`` ("a1", "b1", ...): a* on 127.0.0.1, b* on localhost."""
    other = server.url("").replace("127.0.0.1", "localhost")
    return [server.url(f"/{n}.xml") if n[0] == "a" else f"{other}/{n}.xml" for n in names]


async def test_each_host_has_a_pool_closed_once_idle(feed_server: FeedServer) -> None:
    answer(feed_server, 200, RSS)
    idle = 0.2
    pools = PoolPerHost(httpx.AsyncHTTPTransport, idle=idle)
    here, there = on_two_hosts(feed_server, ["a", "b"])
    async with httpx.AsyncClient(transport=pools) as client:
        async with client.stream("GET", here.replace("/a.xml", PATH)) as reading:
            assert (await client.get(there.replace("/b.xml", PATH))).status_code == 200
            assert len(pools) == 2
            await asyncio.sleep(idle * 2)  # both idle as long, but one is still being read
            await client.get(there.replace("/b.xml", PATH))
            assert len(pools) == 2  # the one being read stays (the other is a new one)
            await reading.aread()
        await asyncio.sleep(idle * 2)
        await client.get(there.replace("/b.xml", PATH))
        assert len(pools) == 1  # the idle host's pool was closed and dropped
    assert len(pools) == 0


async def test_fetches_at_once_stay_within_the_overall_and_per_host_limits(
    feed_server: FeedServer,
) -> None:
    holding = Holding()
    names = [f"{host}{n}" for host in "ab" for n in range(5)]  # one host's, then the other's
    for name in names:
        feed_server.reply(f"/{name}.xml", holding)
    async with make_client() as client:
        fetcher = fetcher_for(client, concurrency=3, per_host=2)
        urls = on_two_hosts(feed_server, names)
        results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert all(isinstance(result, Fetched) for result in results)
    assert holding.peak == Counter({"all": 3, "127.0.0.1": 2, "localhost": 2})


async def test_a_fetch_waiting_for_its_host_leaves_its_place_to_another_host(
    feed_server: FeedServer,
) -> None:
    holding = Holding()
    names = ["a1", "a2", "a3", "b1"]
    for name in names:
        feed_server.reply(f"/{name}.xml", holding)
    async with make_client() as client:
        fetcher = fetcher_for(client, concurrency=2, per_host=1)
        await asyncio.gather(*(fetcher.fetch(url) for url in on_two_hosts(feed_server, names)))
    paths = [seen.path for seen in feed_server.requests]
    # a1 and b1 go out together (which reaches the server first is a race); b1 does not
    # wait behind a2 and a3, which wait for their host one after another
    assert sorted(paths[:2]) == ["/a1.xml", "/b1.xml"]
    assert paths[2:] == ["/a2.xml", "/a3.xml"]


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
async def test_encodings_newsbot_never_asks_for_fail(feed_server: FeedServer, coding: str) -> None:
    feed_server.stream(PATH, [b"\x00" * 10], {"Content-Encoding": coding})
    result = await fetch(feed_server)
    assert result == Failed(f"unsupported Content-Encoding: {coding.split(', ')[-1]}")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_corrupt_compressed_body_fails(feed_server: FeedServer, coding: str) -> None:
    header = gzip.compress(b"")[:10] if coding == "gzip" else b"\x78\x9c"
    body = header + b"\xff" * 50  # a deflate block of the reserved type 3
    feed_server.stream(PATH, [body], {"Content-Encoding": coding})
    result = await fetch(feed_server)
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
async def test_every_bomb_is_cut_off_by_its_decoded_size(
    feed_server: FeedServer, coding: str, bomb: bytes
) -> None:
    feed_server.stream(PATH, chunks(bomb, 1024), {"Content-Encoding": coding})
    assert await fetch(feed_server, max_bytes=1_000_000) == Failed("body larger than 1000000 bytes")


# --- hostile servers on the network ---------------------------------------------------------


async def fetch_local(
    server: FeedServer, path: str, *, timeout: float = 2.0, max_bytes: int = 1_000_000
) -> tuple[FetchResult, float, int]:
    """Fetch ``path``; the result, seconds taken and body bytes received."""
    started = time.monotonic()
    result, received = await fetch_url(server.url(path), timeout=timeout, max_bytes=max_bytes)
    return result, time.monotonic() - started, received


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


async def test_endless_headers_are_cut_off_after_a_bounded_block(feed_server: FeedServer) -> None:
    dropped = threading.Event()

    def endless(request: BaseHTTPRequestHandler) -> None:
        request.close_connection = True
        try:
            request.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for n in range(1_000_000):  # 110 MB of header fields, unless the client hangs up
                request.wfile.write(f"X-Filler-{n}: {'x' * 100}\r\n".encode())
        except OSError:
            dropped.set()

    feed_server.reply("/headers.xml", endless)
    tracemalloc.start()
    try:
        result, _, received = await fetch_local(feed_server, "/headers.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, Failed)
    assert result.error.startswith("RemoteProtocolError")
    assert received == 0
    assert peak < 1_000_000  # h11 holds at most 100 KB of an unfinished header block
    assert dropped.wait(5)  # the connection was dropped: the server cannot write on


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
