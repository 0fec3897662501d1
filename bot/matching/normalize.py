"""Character-level text normalization for matching, with a map back to the original offsets.

``normalize`` applies, in order: unification of spaces (NBSP, thin and other Unicode
spaces become " "), dashes (become "-"), apostrophes (become "'") and double quotes and
guillemets (become '"'), ё/Ё -> е/Е, Unicode NFKC, and last the removal of invisible
characters (soft hyphen, zero-width spaces and joiners, byte-order mark, bidirectional
marks, embeddings, overrides and isolates) and of combining
accents that NFKC left uncomposed (a Russian stress mark). Accents go only after NFKC, so a
decomposed "и" + breve still becomes "й" and a decomposed "е" + diaeresis becomes "е".
Case is kept: acronyms compare the text as written, ordinary words compare ``casefold()``
of it (see ``bot.matching.tokens``).

Every character of the normalized text remembers which characters of the original string
it came from, so a match found in normalized text can be reported in original offsets.
When NFKC changes something, a text of up to ``PRECISE_CHARS`` characters is normalized a
character (and its combining marks) at a time, which keeps that map exact but costs a
few microseconds a character. A longer text, up to the 10 MB a feed may send, is cut at
spaces into blocks: a block NFKC leaves alone keeps its exact map; in a block it changes,
each space-separated piece is normalized whole, and its characters map to the whole
piece. NFKC never joins characters across a space, so the text is the same either way.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

PRECISE_CHARS = 10_000  # longer texts that NFKC changes map back piece by piece
_BLOCK = 4096  # characters checked at once in a long text

_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE += "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi
_ACCENTS = "\u0300-\u036f\u0483-\u0489"  # combining marks that never change a word's identity
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_APOSTROPHES = "\u2018\u2019\u201a\u201b\u2032\u02bb\u02bc\uff07"
_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"

_UNIFY = {
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_DASHES, "-"),
    **dict.fromkeys(_APOSTROPHES, "'"),
    **dict.fromkeys(_QUOTES, '"'),
    "ё": "е",
    "Ё": "Е",
}
# Regular expressions rather than str.translate: they skip the ordinary characters at C
# speed, which matters for Cyrillic text, where translate looks up every character.
_UNIFY_RE = re.compile("[" + "".join(_UNIFY) + "]")
_DROPPED = frozenset(_INVISIBLE) | {chr(c) for c in (*range(0x300, 0x370), *range(0x483, 0x48A))}
_DROPPED_RE = re.compile(f"[{_INVISIBLE}{_ACCENTS}]")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalized text; its character ``i`` came from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching (see the module docstring), keeping the offset map."""
    if text.isascii():  # nothing to unify, drop or compose: the common English case
        return _same(text)
    unified = _unify(text)
    if not unicodedata.is_normalized("NFKC", unified):
        return _per_cluster(text) if len(text) <= PRECISE_CHARS else _by_blocks(unified)
    if not _DROPPED_RE.search(unified):
        return _same(unified)
    return _dropped(unified)


def _same(text: str) -> Normalized:
    """``text`` as it is: each character maps to itself."""
    return Normalized(text, range(len(text)), range(1, len(text) + 1))


def _unify(text: str) -> str:
    """Spaces, dashes, apostrophes, quotes and ё replaced, one character for one."""
    return _UNIFY_RE.sub(lambda match: _UNIFY[match.group()], text)


def _dropped(unified: str) -> Normalized:
    """``unified`` without invisible characters and accents, and the map to it.

    A kept character's end stretches over the removed ones after it, so a highlight
    covers a word's trailing accent.
    """
    kept = [i for i, char in enumerate(unified) if char not in _DROPPED]
    return Normalized(_DROPPED_RE.sub("", unified), kept, [*kept[1:], len(unified)])


def _per_cluster(text: str) -> Normalized:
    """NFKC one cluster (a character and its combining marks) at a time, to keep the map."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        piece = unicodedata.normalize("NFKC", _unify(text[start:end]))
        piece = _DROPPED_RE.sub("", _unify(piece))
        pieces.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return Normalized("".join(pieces), starts, ends)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of each character together with the combining marks that follow it."""
    bounds = [i for i, char in enumerate(text) if i == 0 or not unicodedata.combining(char)]
    return list(zip(bounds, [*bounds[1:], len(text)], strict=True))


def _by_blocks(unified: str) -> Normalized:
    """A long ``unified`` text normalized a block at a time (see the module docstring)."""
    pieces: list[str] = []
    starts, ends = array("q"), array("q")
    begin = 0
    while begin < len(unified):
        end = unified.find(" ", begin + _BLOCK)
        end = len(unified) if end == -1 else end
        block = unified[begin:end]
        if unicodedata.is_normalized("NFKC", block) and not _DROPPED_RE.search(block):
            pieces.append(block)
            starts.extend(range(begin, end))
            ends.extend(range(begin + 1, end + 1))
        else:
            _by_pieces(block, begin, pieces, starts, ends)
        begin = end
    return Normalized("".join(pieces), starts, ends)


def _by_pieces(
    block: str, offset: int, pieces: list[str], starts: array[int], ends: array[int]
) -> None:
    """Append ``block``, found at ``offset``, normalized one space-separated piece at a time."""
    begin = offset
    for word in block.split(" "):
        end = begin + len(word)
        normal = unicodedata.normalize("NFKC", word)
        if normal == word and not _DROPPED_RE.search(word):
            starts.extend(range(begin, end))
            ends.extend(range(begin + 1, end + 1))
        else:
            normal = _DROPPED_RE.sub("", _unify(normal))
            starts.extend([begin] * len(normal))
            ends.extend([end] * len(normal))
        pieces.append(normal + " ")  # the space after it, or one too many at the end
        starts.append(end)
        ends.append(end + 1)
        begin = end + 1
    pieces[-1] = pieces[-1][:-1]
    starts.pop()
    ends.pop()
