"""The HTTP endpoint of ``newsbot run``: ``/metrics`` (Prometheus text) and ``/healthz``.

It runs in threads of its own, never in the event loop, so that no client can hold up
polling or delivery: each connection has a thread, at most :data:`MAX_CLIENTS` at once
(more are closed at once), and a socket that gives up after :data:`CLIENT_TIMEOUT`
seconds of silence. What it needs from the event loop (the health check, gauges read
from the database) it asks for through a :class:`Probe`, within a time bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import make_wsgi_app

from bot.errors import NewsbotError
from bot.metrics.recorder import Metrics
from bot.redact import SECRETS

log = logging.getLogger(__name__)
MAX_CLIENTS = 16
CLIENT_TIMEOUT = 10.0
T = TypeVar("T")


class Probe:
    """Runs a coroutine on the event loop ``loop`` from another thread and waits at most
    ``timeout`` seconds for its result."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float = 5.0) -> None:
        self._loop = loop
        self.timeout = timeout

    def __call__(self, make: Callable[[], Awaitable[T]]) -> T:
        """The coroutine's result; TimeoutError when the loop does not answer in time,
        RuntimeError when it is closed, or the coroutine's own error."""

        async def bounded() -> T:
            async with asyncio.timeout(self.timeout):
                return await make()

        future = asyncio.run_coroutine_threadsafe(bounded(), self._loop)
        try:
            return future.result(self.timeout + 1.0)  # + the loop's own delay
        except FutureTimeout:
            future.cancel()
            raise TimeoutError("the event loop did not answer in time") from None


Health = Callable[[], str | None]  # why newsbot is unhealthy, or None: healthy


@contextlib.contextmanager
def serving(address: tuple[str, int], metrics: Metrics, health: Health) -> Iterator[int]:
    """Serve ``/metrics`` and ``/healthz`` on ``address`` until the block ends; yields the
    port (the one taken, when ``address`` asks for port 0). A NewsbotError if it cannot
    listen there."""
    host, port = address
    try:
        server = _Server((host, port), _Handler, family=_family(host))
    except OSError as exc:
        raise NewsbotError(f"metrics.listen {host}:{port}: cannot listen: {exc}") from exc
    server.set_app(_application(metrics, health))
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _application(metrics: Metrics, health: Health) -> Callable[..., Iterable[bytes]]:
    scrape = make_wsgi_app(metrics.registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return scrape(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            problem = _checked(health)
            status = "200 OK" if problem is None else "503 Service Unavailable"
            return _text(start_response, status, "ok" if problem is None else problem)
        return _text(start_response, "404 Not Found", "not found: try /metrics or /healthz")

    return app


def _checked(health: Health) -> str | None:
    try:
        problem = health()
    except Exception as exc:  # the check itself failed: that is the answer
        problem = f"health check failed: {type(exc).__name__}: {exc}"
    return None if problem is None else SECRETS(problem)[:300]


def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = f"{text}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


class _Handler(WSGIRequestHandler):
    timeout = CLIENT_TIMEOUT  # a silent or slow client's socket gives up

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged."""


class _Server(ThreadingMixIn, WSGIServer):
    """A thread per connection, at most :data:`MAX_CLIENTS` at once."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[WSGIRequestHandler],
        family: socket.AddressFamily,
    ) -> None:
        self.address_family = family
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # too many at once: this one is closed
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went silent or away: nothing to report."""
        log.debug("metrics client %s: connection ended badly", client_address, exc_info=True)
