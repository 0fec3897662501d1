"""The query language: one rule of a watchlist, or a chat's ``/watch``.

Grammar (EBNF; lexemes are separated by whitespace, see ``bot.matching.lexer``)::

    query    = or_expr ;
    or_expr  = and_expr , { "OR" , and_expr } ;
    and_expr = unary , { [ "AND" ] , unary } ;          (* adjacent terms mean AND *)
    unary    = { "NOT" | "-" } , near ;                 (* "-" touches what follows *)
    near     = primary , [ "NEAR/" , digits , primary ] ;
    primary  = [ field , ":" ] , ( term | "(" , or_expr , ")" ) ;  (* no space after ":" *)
    term     = [ mark , [ mark ] ] , ( word | phrase ) ;   (* marks touch the term *)
    mark     = "=" | "~" ;                              (* each at most once *)
    word     = { any character but whitespace, "(", ")" and quotes } ;   (* may end in "*" *)
    phrase   = '"' , { any character but a quote } , '"' ;
    field    = "title" | "summary" | "content" | "link" ;

Precedence, tightest first: ``field:``, ``NEAR/n``, ``NOT``/``-``, ``AND`` (explicit or
implicit), ``OR``. ``AND``, ``OR``, ``NOT`` and ``NEAR/n`` are operators only in
capitals. ``NEAR`` joins exactly two terms (words or phrases, each maybe with a field).
A field applies to every term inside the group it scopes; a field inside another field's
group is an error. A rule must need at least one positive term to match: ``-football``
or ``Rosatom OR -football`` would match nearly every entry, so they are errors.

What a term matches (inflected forms, acronyms in capitals, ``=exact``, prefixes, the
spellings of ``~Tokayev``) is decided when rules compile, not here: see
``bot.matching.inflection``, ``bot.matching.variants`` and ``bot.matching.presearch``.
``=`` and ``~`` combine, in either order: ``~=Tokayev`` is each spelling in this form
only. ``~`` on a word that has no spellings (an acronym, a prefix, a word with digits or
of one or two letters) leaves it as it is, so that ``~"Kazakh* Tokayev"`` works.

Every error is a ``QueryError`` with the 0-based position of the problem and a message
that says what to change ("unclosed quote: end the phrase with a quote" at 14). Every
rule has at most ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_TERMS`` terms, and a
phrase at most ``MAX_PHRASE_WORDS`` words (``bot.matching.terms``): with the nesting
depth, these bound the constant of a rule's linear cost (``bot.matching.evaluate``). A
chat's personal rule is further limited to ``MAX_RULE_CHARS`` characters and ``MAX_RULE_TERMS``
terms (``Query.term_count``); the caller that accepts ``/watch`` checks them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

from bot.errors import QueryError
from bot.matching.lexer import Kind, Lexeme, lex, without_refused_characters
from bot.matching.query import And, Near, Node, Not, Or, Query, Term
from bot.matching.terms import make_term

MAX_DEPTH = 20  # nested parentheses; deeper is surely a mistake, and bounds recursion
MAX_QUERY_CHARS = 2000  # any rule, a watchlist's too: longest text...
MAX_QUERY_TERMS = 100  # ...and most words and phrases
MAX_RULE_CHARS = 500  # a chat's personal rule (/watch): longest text...
MAX_RULE_TERMS = 20  # ...and most words and phrases (``Query.term_count``)

_MARKS = (Kind.EXACT, Kind.VARIANTS)
_TERM_STARTS = (Kind.WORD, Kind.PHRASE, *_MARKS, Kind.LPAREN, Kind.FIELD)


def as_stored(query: str) -> str:
    """A personal rule stored by an earlier version, as it reads today: without the
    characters refused since (``without_refused_characters``), and, if it then does not
    parse but has a ``~``, with each ``~`` a separator, as it was before it marked a term's
    spellings (``Rosatom ~AND Astana``, ``~~Tokayev``). A rule that does not parse either
    way is returned as it is, for the caller to report."""
    query = without_refused_characters(query)
    if "~" not in query:
        return query
    try:
        parse_query(query)
    except QueryError:
        return query.replace("~", " ")
    return query


@functools.lru_cache(maxsize=16384)
def parse_query(text: str) -> Query:
    """Parse one rule; raises ``QueryError`` with the 0-based position of the problem.

    Results are immutable and cached, so recompiling rules after one of them changed
    parses only that one again.
    """
    if len(text) > MAX_QUERY_CHARS:
        message = (
            f"a rule has at most {MAX_QUERY_CHARS:,} characters (this one has {len(text):,}); "
            "split it into several rules"
        )
        raise QueryError(message, text, MAX_QUERY_CHARS)
    root = _Parser(text).parse()
    _check_terms(root, text)
    unanchored = _unanchored(root)
    if unanchored is not None:
        message = (
            "a rule needs at least one positive term; this part matches almost anything "
            "(name what to look for, as in Rosatom -football)"
        )
        raise QueryError(message, text, unanchored.position)
    return Query(text, root)


class _Parser:
    """Recursive descent over the lexemes, one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lexemes = lex(text)
        self.next = 0
        self.depth = 0

    def parse(self) -> Node:
        if not self.lexemes:
            raise QueryError("empty query", self.text, 0)
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:  # or_expr stops only at the end or at a ")"
            raise self.error("unbalanced parenthesis: ')' without a matching '('", extra)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.take(Kind.OR) is not None:
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children), children[0].position)

    def and_expr(self) -> Node:
        children = [self.unary()]
        while (lexeme := self.peek()) is not None and lexeme.kind not in (Kind.OR, Kind.RPAREN):
            self.take(Kind.AND)
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children), children[0].position)

    def unary(self) -> Node:
        negations: list[Lexeme] = []
        while (lexeme := self.take(Kind.NOT) or self.take(Kind.MINUS)) is not None:
            negations.append(lexeme)
        node = self.near()
        for lexeme in reversed(negations):  # NOT NOT x is x, and stays positive
            node = node.child if isinstance(node, Not) else Not(node, lexeme.start)
        return node

    def near(self) -> Node:
        left = self.primary()
        operator = self.take(Kind.NEAR)
        if operator is None:
            return left
        right = self.primary()
        if not isinstance(left, Term) or not isinstance(right, Term):
            raise self.error("NEAR joins two words or phrases, not groups", operator)
        if (again := self.take(Kind.NEAR)) is not None:
            raise self.error("NEAR joins exactly two terms; combine them with AND", again)
        return Near(left, right, int(operator.value), left.position)

    def primary(self) -> Node:
        lexeme = self.expect_term()
        if lexeme.kind is Kind.FIELD:
            inner = self.expect_term(touching=lexeme)
            return _scoped(self.group_or_term(inner), lexeme, self.text)
        return self.group_or_term(lexeme)

    def group_or_term(self, lexeme: Lexeme) -> Node:
        if lexeme.kind is Kind.LPAREN:
            return self.group(lexeme)
        if lexeme.kind in _MARKS:
            return self.marked(lexeme)
        return self.term(lexeme)

    def marked(self, mark: Lexeme) -> Term:
        """The term after ``=``, ``~`` or both (``mark`` is the first of them)."""
        marks = {mark.kind}
        inner = self.after_mark(mark, (Kind.WORD, Kind.PHRASE, *_MARKS))
        if inner.kind in marks:
            raise self.error(f"{inner.describe()} twice: one is enough", inner)
        if inner.kind in _MARKS:
            marks.add(inner.kind)
            inner = self.after_mark(inner, (Kind.WORD, Kind.PHRASE))
        return self.term(inner, exact=Kind.EXACT in marks, variants=Kind.VARIANTS in marks)

    def after_mark(self, mark: Lexeme, kinds: tuple[Kind, ...]) -> Lexeme:
        """The lexeme right after ``mark``, one of ``kinds``; a field there is misplaced."""
        following = self.peek()
        if following is not None and following.kind is Kind.FIELD:
            sign = self.text[mark.start]
            message = f"{mark.describe()} goes after the field, as in {following.value}:{sign}term"
            raise self.error(message, mark)
        return self.expect_term(touching=mark, kinds=kinds)

    def group(self, opening: Lexeme) -> Node:
        if self.depth >= MAX_DEPTH:
            raise self.error(f"parentheses nested deeper than {MAX_DEPTH}", opening)
        closing = self.peek()
        if closing is not None and closing.kind is Kind.RPAREN:
            raise self.error("empty parentheses: put a term inside or remove them", opening)
        self.depth += 1
        node = self.or_expr()
        self.depth -= 1
        if self.take(Kind.RPAREN) is None:
            raise self.error("unbalanced parenthesis: '(' is never closed; add a ')'", opening)
        return node

    def term(self, lexeme: Lexeme, *, exact: bool = False, variants: bool = False) -> Term:
        start, end = lexeme.start, lexeme.end
        if lexeme.kind is Kind.PHRASE:
            if not self.text[start + 1 : end - 1].strip():
                raise self.error("empty phrase: put words between the quotes", lexeme)
            start, end = start + 1, end - 1
        return make_term(self.text, start, end, exact=exact, variants=variants)

    def expect_term(
        self, touching: Lexeme | None = None, kinds: tuple[Kind, ...] = _TERM_STARTS
    ) -> Lexeme:
        """The next lexeme, which must start a term (and touch ``touching``, if given)."""
        lexeme = self.peek()
        after = self.lexemes[self.next - 1] if self.next else None
        if lexeme is None or lexeme.kind not in kinds:
            raise self.missing_term(after, lexeme)
        if touching is not None and lexeme.start != touching.end:
            raise self.error(f"expected a term right after {touching.describe()}", lexeme)
        self.next += 1
        return lexeme

    def missing_term(self, after: Lexeme | None, found: Lexeme | None) -> QueryError:
        position = len(self.text) if found is None else found.start
        if found is not None and found.kind is Kind.RPAREN and after is None:
            message = "unbalanced parenthesis: ')' without a matching '('"
            return QueryError(message, self.text, position)
        if after is None and found is not None:
            return QueryError(f"expected a term before {found.describe()}", self.text, position)
        name = after.describe() if after is not None else "the start"
        return QueryError(f"expected a term after {name}", self.text, position)

    def peek(self) -> Lexeme | None:
        return self.lexemes[self.next] if self.next < len(self.lexemes) else None

    def take(self, kind: Kind) -> Lexeme | None:
        """The next lexeme if it is of ``kind`` (consumed), else None."""
        lexeme = self.peek()
        if lexeme is None or lexeme.kind is not kind:
            return None
        self.next += 1
        return lexeme

    def error(self, message: str, lexeme: Lexeme) -> QueryError:
        return QueryError(message, self.text, lexeme.start)


def _scoped(node: Node, field: Lexeme, text: str) -> Node:
    """``node`` with every term in it limited to the field named by ``field``."""
    match node:
        case Term():
            return _scoped_term(node, field, text)
        case Near(left=left, right=right):
            scoped = (_scoped_term(left, field, text), _scoped_term(right, field, text))
            return dataclasses.replace(node, left=scoped[0], right=scoped[1])
        case Not(child=child):
            return dataclasses.replace(node, child=_scoped(child, field, text))
        case And(children=children) | Or(children=children):
            scoped_children = tuple(_scoped(child, field, text) for child in children)
            return dataclasses.replace(node, children=scoped_children)


def _scoped_term(term: Term, field: Lexeme, text: str) -> Term:
    """``term`` limited to ``field``; it must not have a field of its own already."""
    if term.scope is not None:
        message = f"field '{term.scope}:' inside the group of '{field.value}:'"
        raise QueryError(message, text, term.position)
    return dataclasses.replace(term, scope=field.value)


def _check_terms(root: Node, text: str) -> None:
    """Raise ``QueryError`` at the first term past ``MAX_QUERY_TERMS``, if there is one."""
    terms = list(_terms(root))
    if len(terms) > MAX_QUERY_TERMS:
        message = (
            f"a rule has at most {MAX_QUERY_TERMS} terms (this one has {len(terms)}); "
            "split it into several rules"
        )
        raise QueryError(message, text, terms[MAX_QUERY_TERMS].position)


def _terms(node: Node) -> Iterator[Term]:
    """The words and phrases of ``node``, in the order written."""
    match node:
        case Term():
            yield node
        case Near(left=left, right=right):
            yield from (left, right)
        case Not(child=child):
            yield from _terms(child)
        case And(children=children) | Or(children=children):
            for child in children:
                yield from _terms(child)


def _unanchored(node: Node) -> Node | None:
    """The first part of ``node`` that can match with no positive term present, if any."""
    match node:
        case Not():
            return node
        case And(children=children):
            parts = [_unanchored(child) for child in children]
            return None if any(part is None for part in parts) else parts[0]
        case Or(children=children):
            return next((part for c in children if (part := _unanchored(c)) is not None), None)
    return None
