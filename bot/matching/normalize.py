"""Character-level text normalization for matching, with a map back to the original offsets.

``normalize`` applies, in order: removal of invisible characters (soft hyphen, zero-width
spaces and joiners, byte-order mark), unification of spaces (NBSP, thin and other Unicode
spaces become " "), dashes (become "-"), apostrophes (become "'") and double quotes and
guillemets (become '"'), ё/Ё -> е/Е, and Unicode NFKC. Case is kept: acronyms compare the
text as written, ordinary words compare ``casefold()`` of it (see ``bot.matching.tokens``).

Every character of the normalized text remembers which characters of the original string
it came from, so a match found in normalized text can be reported in original offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_APOSTROPHES = "\u2018\u2019\u201a\u201b\u2032\u02bb\u02bc\uff07"
_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"

_TABLE: dict[int, str | None] = {
    **{ord(c): None for c in _INVISIBLE},
    **{ord(c): " " for c in _SPACES},
    **{ord(c): "-" for c in _DASHES},
    **{ord(c): "'" for c in _APOSTROPHES},
    **{ord(c): '"' for c in _QUOTES},
    ord("ё"): "е",
    ord("Ё"): "Е",
}
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalized text; its character ``i`` came from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching (see the module docstring), keeping the offset map."""
    unified = text.translate(_TABLE)
    if unicodedata.is_normalized("NFKC", unified):
        return _without_invisible(text, unified)
    return _per_cluster(text)


def _without_invisible(text: str, unified: str) -> Normalized:
    """The offset map when translation only removed characters (the common, fast case)."""
    if not _INVISIBLE_RE.search(text):
        return Normalized(unified, range(len(text)), range(1, len(text) + 1))
    kept = [i for i, char in enumerate(text) if char not in _INVISIBLE]
    return Normalized(unified, kept, [i + 1 for i in kept])


def _per_cluster(text: str) -> Normalized:
    """NFKC one cluster (a character and its combining marks) at a time, to keep the map."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        piece = unicodedata.normalize("NFKC", text[start:end]).translate(_TABLE)
        pieces.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return Normalized("".join(pieces), starts, ends)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of each character together with the combining marks that follow it."""
    bounds = [i for i, char in enumerate(text) if i == 0 or not unicodedata.combining(char)]
    return list(zip(bounds, [*bounds[1:], len(text)], strict=True))
