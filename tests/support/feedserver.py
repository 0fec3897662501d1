"""A local feed server for tests: real HTTP on 127.0.0.1, feeds that change on demand.

    with FeedServer() as server:
        server.publish("/kz.xml", title="Rosatom signs", link="https://news.example/1")
        url = server.url("/kz.xml")

Feeds answer conditional GETs (ETag and Last-Modified -> 304). Any path can instead be
given a fixed :class:`Reply` (status, headers, body), a raw handler, or a body streamed
chunk by chunk (:meth:`FeedServer.stream`) for hostile cases: a server that stalls, an
endless body, a compression bomb. Every request's path and headers are recorded, and so
is every byte a stream managed to write.
"""

from __future__ import annotations

import hashlib
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str | None = None
    description: str = ""
    published: str = "Fri, 27 Nov 2026 10:00:00 GMT"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # when it arrived (the wall clock)


Handler = Callable[[BaseHTTPRequestHandler], None]


def rss(title: str, items: list[Item], ttl: int | None = None) -> bytes:
    """An RSS 2.0 document, every text escaped; ``ttl``: its ``<ttl>`` in minutes."""
    parts = [
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        + (f"<guid>{escape(i.guid)}</guid>" if i.guid else "")
        + f"<description>{escape(i.description)}</description>"
        + f"<pubDate>{i.published}</pubDate></item>"
        for i in items
    ]
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>test feed</description>"
        + (f"<ttl>{ttl}</ttl>" if ttl is not None else "")
        + f"{''.join(parts)}</channel></rss>"
    ).encode()


def gzip_bomb(decoded: int, block: int = 1 << 20) -> bytes:
    """A valid gzip body of ``decoded`` zero bytes (whole ``block``s), about 1/1000 as big.

    After a full flush the compressor starts afresh, so every block compresses to the
    same bytes: a gigabyte's worth is built in well under a second.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    one = deflate.compress(bytes(block)) + deflate.flush(zlib.Z_FULL_FLUSH)
    count, zeros, crc = decoded // block, bytes(block), 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (count * block) & 0xFFFFFFFF)
    return header + one * count + deflate.flush() + trailer


def chunks(body: bytes, size: int = 16 * 1024) -> list[bytes]:
    """``body`` in pieces of ``size`` bytes, for :meth:`FeedServer.stream`."""
    return [body[start : start + size] for start in range(0, len(body), size)]


class FeedServer:
    """Serves feeds and canned replies; thread-safe; use as a context manager."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """``tls``: serve HTTPS with this server-side context."""
        self._tls = tls
        self._lock = threading.Lock()
        self._feeds: dict[str, tuple[str, list[Item], int | None]] = {}
        self._replies: dict[str, Reply | Handler] = {}
        self._sent: dict[str, int] = {}
        self._stopping = threading.Event()
        self.requests: list[Seen] = []
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FeedServer:
        handler = type("_Bound", (_Handler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if self._tls is not None:
            self._server.socket = self._tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # ends streams still writing or waiting
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def url(self, path: str) -> str:
        assert self._server is not None
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}{path}"

    def publish(
        self,
        path: str,
        title: str,
        link: str,
        description: str = "",
        guid: str | None = None,
        feed_title: str = "Test News",
    ) -> None:
        """Add an item at the top of the feed at ``path`` (creating the feed)."""
        with self._lock:
            name, items, ttl = self._feeds.get(path, (feed_title, [], None))
            self._feeds[path] = (name, [Item(title, link, guid, description), *items], ttl)

    def set_feed(
        self, path: str, items: list[Item], feed_title: str = "Test News", ttl: int | None = None
    ) -> None:
        """Replace the feed at ``path``; ``ttl``: its ``<ttl>`` in minutes."""
        with self._lock:
            self._feeds[path] = (feed_title, list(items), ttl)

    def reply(self, path: str, reply: Reply | Handler) -> None:
        """Answer ``path`` with a fixed reply or a raw handler instead of a feed."""
        with self._lock:
            self._replies[path] = reply

    def stream(
        self,
        path: str,
        body: Iterable[bytes],
        headers: dict[str, str] | None = None,
        interval: float = 0.0,
        status: int = 200,
    ) -> None:
        """Answer ``path`` with ``status`` and ``body`` written chunk by chunk, ``interval`` apart.

        No Content-Length: the body ends when the chunks run out (an endless iterator
        never does), the client hangs up or the server stops. :meth:`sent` counts what
        was written.
        """

        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            for name, value in {"Connection": "close", **(headers or {})}.items():
                request.send_header(name, value)
            request.end_headers()
            request.close_connection = True
            self._write(path, request, body, interval)

        self.reply(path, handler)

    def sent(self, path: str) -> int:
        """Body bytes written so far by streams at ``path`` (into the socket's buffers)."""
        with self._lock:
            return self._sent.get(path, 0)

    def _write(
        self, path: str, request: BaseHTTPRequestHandler, body: Iterable[bytes], interval: float
    ) -> None:
        try:
            for chunk in body:
                if self._stopping.wait(interval):
                    return
                request.wfile.write(chunk)
                with self._lock:
                    self._sent[path] = self._sent.get(path, 0) + len(chunk)
        except OSError:  # the client hung up, which is what a test waits for
            pass

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Seen(request.path, dict(request.headers.items())))
            canned = self._replies.get(request.path)
            feed = self._feeds.get(request.path)
        if callable(canned):
            canned(request)
        elif canned is not None:
            _send(request, canned)
        elif feed is not None:
            _send(request, _conditional(request, rss(*feed)))
        else:
            _send(request, Reply(404, b"not found"))


def _conditional(request: BaseHTTPRequestHandler, body: bytes) -> Reply:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    modified = formatdate(1795000000, usegmt=True)
    headers = {
        "ETag": etag,
        "Last-Modified": modified,
        "Content-Type": "application/rss+xml; charset=utf-8",
    }
    if request.headers.get("If-None-Match") == etag:
        return Reply(304, b"", headers)
    return Reply(200, body, headers)


def _send(request: BaseHTTPRequestHandler, reply: Reply) -> None:
    request.send_response(reply.status)
    headers = {"Content-Length": str(len(reply.body)), **reply.headers}
    for name, value in headers.items():
        request.send_header(name, value)
    request.end_headers()
    if reply.body and request.command != "HEAD":
        request.wfile.write(reply.body)


class _Handler(BaseHTTPRequestHandler):
    owner: FeedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.owner._answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass
