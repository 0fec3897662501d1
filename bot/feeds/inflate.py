"""Undo a response's ``Content-Encoding`` a bounded piece at a time.

HTTP clients inflate each network chunk completely before handing it over, so a few kilobytes
of gzip can become gigabytes in memory before any size check runs. Here the raw bytes
are inflated with zlib's ``max_length``: every decoded piece is at most :data:`PIECE`
bytes, so a caller that stops once its total passes a cap never holds more than the cap
plus one piece.

Supported: ``gzip`` (also ``x-gzip`` and several gzip members in a row), ``deflate``
(zlib-wrapped or raw, as servers send both) and ``identity``. Brotli, zstd and
``compress`` are refused with :class:`~bot.errors.FetchError`: newsbot never asks for
them (see :data:`ACCEPT_ENCODING`). Unknown tokens are ignored.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

from bot.errors import FetchError

ACCEPT_ENCODING = "gzip, deflate"
PIECE = 64 * 1024
_REFUSED = frozenset({"br", "zstd", "compress", "x-compress"})
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP = zlib.MAX_WBITS | 16  # wbits for a gzip wrapper


class _Stage(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...


class _Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), PIECE):
            yield data[start : start + PIECE]


class _Zlib:
    """One zlib, gzip or raw deflate stream, inflated in pieces of at most PIECE bytes."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflater = zlib.decompressobj(wbits)

    def decode(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._inflater.decompress(data, PIECE)
            if out:
                yield out
            data = self._next_member() if self._inflater.eof else self._inflater.unconsumed_tail
            if not data and len(out) < PIECE:  # a full piece: more may be pending in zlib
                return

    def _next_member(self) -> bytes:
        """Concatenated gzip members are one body; other trailing bytes are ignored."""
        rest = self._inflater.unused_data
        if self._wbits != _GZIP or not rest.startswith(_GZIP_MAGIC):
            return b""
        self._inflater = zlib.decompressobj(self._wbits)
        return rest


class _Deflate:
    """``deflate`` should be zlib-wrapped (RFC 1950), but some servers send it raw."""

    def __init__(self) -> None:
        self._inner: _Zlib | None = None
        self._head = b""  # the first two bytes tell which

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inner is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._inner = _Zlib(zlib.MAX_WBITS if _zlib_header(data) else -zlib.MAX_WBITS)
        yield from self._inner.decode(data)


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class Decoder:
    """Raw body chunks in; decoded pieces of at most :data:`PIECE` bytes out."""

    def __init__(self, content_encoding: str) -> None:
        """Raise FetchError for an encoding newsbot cannot decode."""
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # The coding applied last comes off first; identity keeps every piece within PIECE.
        self._stages = [_stage(c) for c in reversed(codings)] or [_Identity()]

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``raw``; raise FetchError if the encoding is corrupt."""
        pieces: Iterable[bytes] = [raw]
        for stage in self._stages:
            pieces = _through(stage, pieces)
        try:
            yield from pieces
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}") from exc


def _through(stage: _Stage, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.decode(piece)


def _stage(coding: str) -> _Stage:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(_GZIP)
    if coding == "deflate":
        return _Deflate()
    if coding in _REFUSED:
        raise FetchError(f"unsupported Content-Encoding: {coding}")
    return _Identity()
