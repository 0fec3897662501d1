"""Turning the text of a word or phrase in a query into a ``Term``.

Query text is split into words exactly as entry text is (``FieldText``), so a query word
and a text word are compared in the same form. A bare word that contains punctuation,
such as ``Tokayev's`` or ``COVID-19``, becomes a phrase of its words. A phrase has at
most ``MAX_PHRASE_WORDS`` words, which bounds the cost of checking it at each place it
may start (``bot.matching.evaluate``).
"""

from __future__ import annotations

import re

from bot.errors import QueryError
from bot.matching.query import Term, Word
from bot.matching.tokens import FieldText, Token, canonical_gap

MIN_PREFIX = 2  # shorter prefixes would match most of any text
MAX_PHRASE_WORDS = 16  # a phrase is checked word by word at each start: bounds that work
# Letters and digits that normalization leaves as they are: Latin, and Cyrillic but ё/Ё
_PLAIN_WORD = re.compile("[0-9A-Za-z\u0400\u0402-\u0450\u0452-\u0481\u048a-\u04ff]+")


def make_term(query: str, start: int, end: int, *, exact: bool = False) -> Term:
    """The term written as ``query[start:end]`` (a bare word, or the inside of a phrase).

    ``*`` may end a word (a prefix); an acronym is a word with at least two capitals
    and no lower-case letter. Raises ``QueryError`` for a term without words or a
    misplaced ``*``.
    """
    raw = query[start:end]
    plain = raw.split(" ")
    if all(_PLAIN_WORD.fullmatch(word) for word in plain):  # most terms: nothing to normalize
        words = tuple(_word(Token(word, word.casefold(), 0, 0), False) for word in plain)
        return _bounded(Term(words, (" ",) * (len(words) - 1), start, exact), query)
    text = FieldText(raw.replace("*", " "))  # same length, so offsets stay valid
    tokens = text.tokens()
    if not tokens:
        raise QueryError("a term needs at least one letter or digit", query, start)
    prefixes = _prefix_words(query, start, raw, tokens)
    words = tuple(_word(token, i in prefixes) for i, token in enumerate(tokens))
    gaps = tuple(canonical_gap(gap) for gap in text.gaps)
    return _bounded(Term(words, gaps, start, exact=exact), query)


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


def _word(token: Token, prefix: bool) -> Word:
    """A query word; acronyms keep their capitals, since they only match in capitals."""
    if is_acronym(token.cased):
        return Word(token.folded, token.cased, prefix)
    return Word(token.folded, None, prefix, proper=token.cased[:1].isupper())


def is_acronym(word: str) -> bool:
    """Whether ``word`` is written in capitals: at least two, and no lower-case letter."""
    # isupper(): some cased character and none in lower case; most words fail it at once
    return word.isupper() and sum(char.isupper() for char in word) >= 2
