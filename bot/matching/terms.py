"""Turning the text of a word or phrase in a query into a ``Term``.

Query text is split into words exactly as entry text is (``FieldText``), so a query word
and a text word are compared in the same form. A bare word that contains punctuation,
such as ``Tokayev's`` or ``COVID-19``, becomes a phrase of its words. A phrase has at
most ``MAX_PHRASE_WORDS`` words, which bounds the cost of checking it at each place it
may start (``bot.matching.evaluate``).

A ``~`` term's words that can have spellings (``bot.matching.variants``: not acronyms,
prefixes, words with digits or short words) are marked so; ``varied`` marks a parsed
rule's terms as if each were written so, for a watchlist with ``variants: true``. A word
written with ё keeps it aside (``Word.written``): normalization reads ё as е, but
Мирзиёев romanizes as Mirziyoyev and Мирзиеев does not.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from bot.errors import QueryError
from bot.matching.query import And, Near, Node, Not, Or, Term, Word
from bot.matching.tokens import FieldText, Token, canonical_gap
from bot.matching.variants import has_spellings

MIN_PREFIX = 2  # shorter prefixes would match most of any text
MAX_PHRASE_WORDS = 16  # a phrase is checked word by word at each start: bounds that work
# Letters and digits that normalization leaves as they are: Latin, and Cyrillic but ё/Ё
_PLAIN_WORD = re.compile("[0-9A-Za-z\u0400\u0402-\u0450\u0452-\u0481\u048a-\u04ff]+")


def make_term(
    query: str, start: int, end: int, *, exact: bool = False, variants: bool = False
) -> Term:
    """The term written as ``query[start:end]`` (a bare word, or the inside of a phrase).

    ``*`` may end a word (a prefix); an acronym is a word with at least two capitals
    and no lower-case letter; ``variants``: written ``~term``. Raises ``QueryError`` for a
    term without words or a misplaced ``*``.
    """
    raw = query[start:end]
    plain = raw.split(" ")
    if all(_PLAIN_WORD.fullmatch(word) for word in plain):  # most terms: nothing to normalize
        words = tuple(_word(Token(word, word.casefold(), 0, 0), False) for word in plain)
        term = Term(words, (" ",) * (len(words) - 1), start, exact)
        return _bounded(varied_term(term) if variants else term, query)
    text = FieldText(raw.replace("*", " "))  # same length, so offsets stay valid
    tokens = text.tokens()
    if not tokens:
        raise QueryError("a term needs at least one letter or digit", query, start)
    prefixes = _prefix_words(query, start, raw, tokens)
    words = tuple(
        _word(token, i in prefixes, raw[token.start : token.end]) for i, token in enumerate(tokens)
    )
    gaps = tuple(canonical_gap(gap) for gap in text.gaps)
    term = Term(words, gaps, start, exact=exact)
    return _bounded(varied_term(term) if variants else term, query)


def varied(node: Node) -> Node:
    """``node`` with each of its terms as if written ``~term``, but ``=exact`` ones."""
    match node:
        case Term():
            return _varied_unless_exact(node)
        case Near(left=left, right=right):
            sides = (_varied_unless_exact(left), _varied_unless_exact(right))
            return dataclasses.replace(node, left=sides[0], right=sides[1])
        case Not(child=child):
            return dataclasses.replace(node, child=varied(child))
        case And(children=children) | Or(children=children):
            return dataclasses.replace(node, children=tuple(map(varied, children)))


def _varied_unless_exact(term: Term) -> Term:
    return term if term.exact else varied_term(term)


def varied_term(term: Term) -> Term:
    """``term`` as if written ``~term``: its words that can have spellings get them."""
    words = tuple(
        dataclasses.replace(word, variants=True) if _can_vary(word) else word for word in term.words
    )
    return dataclasses.replace(term, words=words)


def _can_vary(word: Word) -> bool:
    return word.cased is None and not word.prefix and has_spellings(word.folded)


def _bounded(term: Term, query: str) -> Term:
    """``term``, unless it has more than ``MAX_PHRASE_WORDS`` words (a ``QueryError``)."""
    if len(term.words) > MAX_PHRASE_WORDS:
        message = f"a phrase has at most {MAX_PHRASE_WORDS} words (this one has {len(term.words)})"
        raise QueryError(message, query, term.position)
    return term


def _prefix_words(query: str, start: int, raw: str, tokens: list[Token]) -> set[int]:
    """Indexes of the words that a ``*`` ends; any other ``*`` is an error."""
    ends = {token.end: i for i, token in enumerate(tokens)}
    starts = {token.start for token in tokens}
    prefixes: set[int] = set()
    for offset, char in enumerate(raw):
        if char != "*":
            continue
        if offset not in ends or offset + 1 in starts:
            raise QueryError("'*' can only end a word, as in Kazakh*", query, start + offset)
        if len(tokens[ends[offset]].folded) < MIN_PREFIX:
            message = f"a prefix needs at least {MIN_PREFIX} letters before '*'"
            raise QueryError(message, query, start + offset)
        prefixes.add(ends[offset])
    return prefixes


def _word(token: Token, prefix: bool, raw: str = "") -> Word:
    """A query word; acronyms keep their capitals, since they only match in capitals.

    ``raw`` is the word as typed, if it may differ from the token (ё, accents).
    """
    if is_acronym(token.cased):
        return Word(token.folded, token.cased, prefix)
    proper = token.cased[:1].isupper()
    return Word(token.folded, None, prefix, proper=proper, written=_with_yo(raw, token.folded))


def _with_yo(raw: str, folded: str) -> str | None:
    """``folded`` with the ё that ``raw`` was written with, or None if it had none."""
    if raw.isascii():
        return None
    composed = unicodedata.normalize("NFKC", raw).casefold()  # е and a diaeresis are ё
    kept = "".join(char for char in composed if not unicodedata.combining(char))
    return kept if kept != folded and kept.replace("ё", "е") == folded else None


def is_acronym(word: str) -> bool:
    """Whether ``word`` is written in capitals: at least two, and no lower-case letter."""
    # isupper(): some cased character and none in lower case; most words fail it at once
    return word.isupper() and sum(char.isupper() for char in word) >= 2
