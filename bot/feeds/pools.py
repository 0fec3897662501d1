"""Keep connections apart by host: one small httpx connection pool for each.

httpcore's pool looks at every connection it holds each time it places a request or
takes a connection back, and counts them again for each idle one: with connections kept
open to many hosts, the cost of every request grows with the square of their number.
Polling feeds of hundreds of hosts, that was most of a cycle's CPU. Here each host
(scheme, host, port) has a pool of its own, which holds at most the Fetcher's
``per_host`` connections; a pool that has been idle longer than ``idle`` seconds (its
connections expired) is closed and dropped, so that neither sockets nor pools pile up
for hosts polled hours apart.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import httpx

_Origin = tuple[bytes, bytes, int | None]


class PoolPerHost(httpx.AsyncBaseTransport):
    """A transport that sends each request through its host's own ``make()`` transport."""

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport], idle: float) -> None:
        self._make = make
        self._idle = idle
        self._pools: dict[_Origin, _Pool] = {}
        self._next_sweep = time.monotonic() + idle

    def __len__(self) -> int:
        """How many hosts have a pool now."""
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if time.monotonic() >= self._next_sweep:
            await self._sweep()
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(self._make())
        pool.busy += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.release()
            raise
        response.stream = _Counted(response.stream, pool)
        return response

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.transport.aclose()

    async def _sweep(self) -> None:
        """Close the pools of hosts that no request has used for ``idle`` seconds."""
        now = time.monotonic()
        self._next_sweep = now + self._idle
        for origin, pool in list(self._pools.items()):
            if not pool.busy and now - pool.used > self._idle:
                del self._pools[origin]
                await pool.transport.aclose()


class _Pool:
    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.busy = 0  # requests sent whose responses are not closed yet
        self.used = time.monotonic()

    def release(self) -> None:
        self.busy -= 1
        self.used = time.monotonic()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream | httpx.SyncByteStream, pool: _Pool):
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            if isinstance(self._stream, httpx.AsyncByteStream):
                await self._stream.aclose()
        finally:
            if self._pool is not None:
                self._pool.release()
                self._pool = None
