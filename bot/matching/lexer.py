"""Splitting a query into lexemes: words, phrases, operators, parentheses and field names.

Whitespace separates lexemes; tab, line feed and carriage return count as spaces, so a
long watchlist rule may be folded over lines. Every other control character (C0, DEL,
C1) and the bidirectional marks, embeddings, overrides and isolates are refused: they
would reach every reply that shows the rule, and a bidirectional control makes a rule
display differently from what it matches. ``(``, ``)`` and quotes end a word. Straight, curly and
angle quotes all delimit phrases, since phones type curly ones. ``-``, ``=``, ``~`` and
``field:`` are lexemes of their own only at the start of a word, and must touch what
follows (``-football``, ``=Astana``, ``~Tokayev``, ``title:Rosatom``).
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from bot.errors import QueryError
from bot.models import FIELDS

QUOTES = '"“”„«»'
MAX_DISTANCE = 1000

_QUOTE = re.compile(f"[{QUOTES}]")
_WORD_END = re.compile(rf"[\s(){QUOTES}]")
# C0 but tab, LF and CR; DEL and C1; ALM, LRM, RLM; embeddings, overrides and isolates
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_NEAR = re.compile(r"NEAR/([0-9]+)")
_FIELD = re.compile(r"([A-Za-z]+):(?![:/])")


class Kind(enum.Enum):
    """What a lexeme is."""

    WORD = "word"
    PHRASE = "phrase"
    LPAREN = "'('"
    RPAREN = "')'"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    MINUS = "'-'"
    EXACT = "'='"
    VARIANTS = "'~'"
    NEAR = "NEAR"
    FIELD = "field"


class Lexeme(NamedTuple):
    """``query[start:end]``: its kind, and the value that matters to the parser."""

    kind: Kind
    start: int
    end: int
    value: str = ""  # field name or NEAR distance

    def describe(self) -> str:
        """How an error message names this lexeme."""
        if self.kind is Kind.NEAR:
            return f"NEAR/{self.value}"
        if self.kind is Kind.FIELD:
            return f"'{self.value}:'"
        return str(self.kind.value)


def lex(query: str) -> list[Lexeme]:
    """The lexemes of ``query``; raises ``QueryError`` for an unclosed quote, a bad word or a
    refused character."""
    _refuse_characters(query)
    lexemes: list[Lexeme] = []
    position = 0
    while position < len(query):
        if query[position].isspace():
            position += 1
            continue
        lexeme = _lexeme_at(query, position)
        lexemes.append(lexeme)
        position = lexeme.end
    return lexemes


def without_refused_characters(query: str) -> str:
    """``query`` without the characters a rule may not hold (see ``_REFUSED``).

    For rules stored before those characters were refused: they are invisible and name
    nothing, so the rule means the same without them.
    """
    return _REFUSED.sub("", query)


def _refuse_characters(query: str) -> None:
    """Raise ``QueryError`` naming the first control or bidirectional character, if any."""
    found = _REFUSED.search(query)
    if found is None:
        return
    code = f"U+{ord(found.group()):04X}"
    kind = "control" if found.group() <= "\x9f" else "bidirectional control"
    message = f"{kind} character {code} is not allowed in a rule; retype the rule without it"
    raise QueryError(message, query, found.start())


def _lexeme_at(query: str, start: int) -> Lexeme:
    """The lexeme that starts at ``start`` (not whitespace)."""
    char = query[start]
    if char in "()":
        return Lexeme(Kind.LPAREN if char == "(" else Kind.RPAREN, start, start + 1)
    if char in QUOTES:
        return _phrase(query, start)
    if char in "-=~":
        return _marker(query, start)
    match = _WORD_END.search(query, start)
    return _word(query, start, match.start() if match else len(query))


def _phrase(query: str, start: int) -> Lexeme:
    """A quoted phrase; its words are ``query[start + 1 : end - 1]``."""
    close = _QUOTE.search(query, start + 1)
    if close is None:
        raise QueryError("unclosed quote: end the phrase with a quote", query, start)
    return Lexeme(Kind.PHRASE, start, close.end())


def _marker(query: str, start: int) -> Lexeme:
    """``-`` (exclude), ``=`` (exact) or ``~`` (variants), attached to the term they mark."""
    following = query[start + 1 : start + 2]
    if query[start] == "-":
        if not following or following.isspace() or following == ")":
            raise QueryError("'-' must touch the term it excludes, as in -football", query, start)
        return Lexeme(Kind.MINUS, start, start + 1)
    if query[start] == "=":
        kind, example = Kind.EXACT, "=Astana"
    else:
        kind, example = Kind.VARIANTS, "~Tokayev"
    if not following or following.isspace() or following in "()":
        message = f"'{query[start]}' must touch a word or phrase, as in {example}"
        raise QueryError(message, query, start)
    return Lexeme(kind, start, start + 1)


def _word(query: str, start: int, end: int) -> Lexeme:
    """An operator, a field name, or a word, from the run ``query[start:end]``."""
    text = query[start:end]
    if text in ("AND", "OR", "NOT"):
        return Lexeme(Kind[text], start, end)
    if text.startswith("NEAR/"):
        return _near(query, start, end)
    field = _FIELD.match(text)
    if field is None:
        return Lexeme(Kind.WORD, start, end)
    name = field.group(1)
    if name.lower() not in FIELDS:
        expected = ", ".join(f"{known}:" for known in FIELDS)
        raise QueryError(f"unknown field '{name}:' (expected {expected})", query, start)
    return Lexeme(Kind.FIELD, start, start + len(name) + 1, name.lower())


def _near(query: str, start: int, end: int) -> Lexeme:
    """``NEAR/n``: at most ``n`` words between the terms on either side."""
    match = _NEAR.fullmatch(query, start, end)
    if match is None:
        raise QueryError("NEAR needs a distance in words, as in NEAR/5", query, start)
    if len(match.group(1)) > 4 or int(match.group(1)) > MAX_DISTANCE:
        raise QueryError(f"NEAR distance is at most {MAX_DISTANCE}", query, start)
    return Lexeme(Kind.NEAR, start, end, str(int(match.group(1))))
