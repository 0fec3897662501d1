"""Decide a feed's text encoding, whatever its server and its XML declaration claim.

The first of these that fits wins; the first four must decode the whole body strictly.

1. a byte-order mark, else the zero bytes UTF-16 and UTF-32 put around the ASCII
   characters a document starts with (``<?xml``, ``<rss``: the XML specification's
   appendix F);
2. a declared UTF-16 or UTF-32 (those bytes would otherwise pass for UTF-8), if the body
   has zero bytes: without them the declaration is wrong (.NET writes
   ``encoding="utf-16"`` on the UTF-8 it sends), and it is ignored, here and in step 4;
3. UTF-8: bytes that are valid UTF-8 and not ASCII are almost never legacy text, while
   servers that label everything ``ISO-8859-1`` are common;
4. the XML declaration's encoding, then the HTTP ``charset`` (the program that wrote the
   declaration knew its bytes; the HTTP header is often a server-wide default). A label
   of ISO-8859-1 or windows-1252 is weak: it is the usual default, and any bytes decode
   under it, so it could hide a Cyrillic feed; it is weighed in step 6;
5. UTF-8 with its odd broken byte replaced, when nearly all of it is valid (a feed cut
   mid-character, or one bad byte pasted in, is still a UTF-8 feed);
6. a guess among the legacy encodings of the region newsbot watches (:data:`REGIONAL`,
   windows-1252 included), by which one reads as the most plausible words. A weak label
   (read as windows-1252, as browsers do) stands unless the guess reads clearly better:
   by :data:`CLEARLY_BETTER` letters of real words, not a stray letter that punctuation
   such as ``€ £ “ ” —`` becomes in a Cyrillic table.

The guess is newsbot's own: charset-normalizer, measured on the same texts
(``benchmarks/charset.py``), was right less often on cp1251 and kz1048.

Only character sets count as declarations: codecs such as ``punycode`` (quadratic) or
``unicode_escape`` are ignored. Pure: bytes in, text out; never raises.
"""

from __future__ import annotations

import codecs
import re

REGIONAL = ("cp1251", "kz1048", "koi8-r", "cp866", "cp1252")
SNIFF_BYTES = 64 * 1024  # enough text to tell the legacy encodings apart
CLEARLY_BETTER = 4  # letters: a word, more than the odd letter punctuation turns into

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The first four bytes of a document starting with two ASCII characters (A, B), by
# where the zero bytes are.
_WIDE_NO_BOM = (
    (re.compile(rb"\0\0\0[\x01-\x7f]"), "utf-32-be"),
    (re.compile(rb"[\x01-\x7f]\0\0\0"), "utf-32-le"),
    (re.compile(rb"\0[\x01-\x7f]\0[\x01-\x7f]"), "utf-16-be"),
    (re.compile(rb"[\x01-\x7f]\0[\x01-\x7f]\0"), "utf-16-le"),
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']""")
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_ASCII = bytes(range(128))
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_WEAK = frozenset({"iso8859-1", "cp1252"})
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined"})
_WORD = re.compile(r"[^\W\d_]+")
# Box drawing and mathematical signs in KOI8-R and cp866: what punctuation becomes there.
_PSEUDOGRAPHICS = re.compile("[\u2219\u221a\u2248\u2264\u2265\u2320\u2321\u2500-\u25ff]")
# Lower-case Cyrillic letters of Russian, Kazakh, Kyrgyz, Uzbek and Tajik.
_CYRILLIC = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіўҳҷӣӯ")


def decode_feed(content: bytes, content_type: str = "") -> str:
    """The text of ``content``, by the rules in this module's docstring."""
    for codec in _candidates(content, content_type):
        try:
            return content.decode(codec)
        except (LookupError, ValueError):  # not a text codec, or not these bytes
            continue
    if _mostly_utf8(content):
        return content.decode("utf-8", errors="replace")
    return content.decode(_legacy(content, _weakly_declared(content, content_type)), "replace")


def _weakly_declared(content: bytes, content_type: str) -> bool:
    labels = (_xml_declared(content), _http_charset(content_type))
    return any(_charset(label) in _WEAK for label in labels)


def _legacy(content: bytes, weak: bool) -> str:
    """The guess, or windows-1252 if declared weakly and the guess is not clearly better."""
    scores = _scores(content)
    guess = max(scores, key=scores.__getitem__)  # the earliest of the best
    if weak and scores[guess] < scores["cp1252"] + CLEARLY_BETTER:
        return "cp1252"
    return guess


def _mostly_utf8(content: bytes) -> bool:
    """At most one in ten non-ASCII bytes is not valid UTF-8 (in legacy text, nearly all)."""
    broken = content.decode("utf-8", errors="replace").count("\ufffd")
    return broken * 10 <= len(content.translate(None, _ASCII))


def _candidates(content: bytes, content_type: str) -> list[str]:
    labels = (_xml_declared(content), _http_charset(content_type))
    declared = [c for c in map(_charset, labels) if c and c not in _WEAK]
    if b"\0" not in content:  # no wide text: a UTF-16 or UTF-32 label is wrong
        declared = [c for c in declared if not c.startswith(("utf-16", "utf-32"))]
    wide = [c for c in declared if c.startswith(("utf-16", "utf-32"))]
    return list(dict.fromkeys([*_sniffed(content), *wide, "utf-8", *declared]))


def _charset(label: str | None) -> str | None:
    """The codec's canonical name, if ``label`` names a character set Python knows."""
    try:
        name = codecs.lookup(label or "").name
    except LookupError:
        return None
    return None if name in _NOT_CHARSETS else name


def _sniffed(content: bytes) -> list[str]:
    for mark, codec in _BOMS:
        if content.startswith(mark):
            return [codec]
    for pattern, codec in _WIDE_NO_BOM:
        if pattern.match(content, 0, 4):
            return [codec]
    return []


def _xml_declared(content: bytes) -> str | None:
    found = _XML_ENCODING.match(content[:1024])
    return found[1].decode("ascii") if found else None


def _http_charset(content_type: str) -> str | None:
    found = _HTTP_CHARSET.search(content_type)
    return found[1] if found else None


def guess_legacy(content: bytes) -> str:
    """The :data:`REGIONAL` encoding under which ``content`` reads best (earliest on a tie)."""
    scores = _scores(content)
    return max(scores, key=scores.__getitem__)


def _scores(content: bytes) -> dict[str, int]:
    """The plausibility of ``content`` read in each :data:`REGIONAL` encoding."""
    first = _NON_ASCII.search(content)  # a long ASCII head tells the tables nothing apart
    start = max(0, first.start() - 256) if first else 0  # with the start of its word
    sample = content[start : start + SNIFF_BYTES]
    return {codec: plausibility(sample.decode(codec, errors="replace")) for codec in REGIONAL}


def plausibility(text: str) -> int:
    """Letters in plausible words minus letters in implausible ones.

    A plausible word is lower-case or capitalised (wrong-encoding Cyrillic flips case
    mid-word) and written in one script: Latin, or the Cyrillic of the region. A word
    in capitals counts only against, when it has letters of neither (``Ђ``, ``Ј``: what
    ``€`` and ``£`` become in cp1251); a word of one letter counts for nothing (``ё`` is
    what ``£`` becomes in KOI8-R); a box-drawing or mathematical sign counts one against.
    """
    score = -len(_PSEUDOGRAPHICS.findall(text))
    for word in _WORD.findall(text):
        if word.isupper():  # acronyms, and legacy text read in the wrong table
            score -= 0 if _known_letters(word.lower()) else len(word)
        elif len(word) > 1:
            score += len(word) if _plausible(word) else -len(word)
    return score


def _plausible(word: str) -> bool:
    if not (word.islower() or word.istitle()):
        return False
    lower = word.lower()
    if all(c in _CYRILLIC for c in lower):
        return True
    latin = all(c < "\u0250" for c in lower)
    # Cyrillic read as Latin-1 is all accents ("Ðîñàòîì"); real Latin words are not.
    return latin and (len(lower) <= 3 or sum(c.isascii() for c in lower) * 2 >= len(lower))


def _known_letters(lower: str) -> bool:
    return all(c in _CYRILLIC or c < "\u0250" for c in lower)
