"""Matching entries against watchlist rules. Pure: no I/O.

The public interface:

    html_to_text    HTML -> plain text, for the feed parser
    parse_query     one rule of the query language -> Query (or QueryError with a position)
    without_refused_characters
                    a rule stored before control and bidi characters were refused, cleaned
    as_stored       a personal rule stored by an earlier version, as it reads today
    Query           a parsed rule; ``term_count`` is its number of words and phrases
    RuleSet         rules under one key: match any, exclude all, optional feed filter,
                    optionally every term as if written ~term
    Matcher         rule sets compiled once; Matcher.match(entry) -> [Hit]
    Budget          how long a rule set may take on one entry before it is skipped
    Evaluation      Matcher.evaluate(entry): the hits and the rule sets skipped
    Prefilter       one query's cheap test: Prefilter(query).admits(entry) is False only
                    for entries the query cannot match (for searches over many entries)
    explain         one rule -> each term's words, spellings and forms (TermReach), for
                    people reading what a rule reaches
    MAX_RULE_CHARS  limits of a chat's personal rule (/watch), enforced by the caller
    MAX_RULE_TERMS

Inside: ``normalize`` and ``tokens`` turn text into words, ``lexer``, ``parser``, ``terms``
and ``query`` read rules, ``inflection`` expands query words into their forms,
``variants`` gives the spellings of ``~`` words in other scripts and romanizations,
``presearch`` finds which query words an entry contains, ``compiled`` and ``evaluate``
(with ``phrase`` and ``near``) decide which rules hold within a budget, and ``matcher``
ties them together. ``prefilter`` and ``explain`` stand apart: they only read a parsed
query's words.
"""

from bot.matching.explain import TermReach, explain
from bot.matching.htmltext import html_to_text
from bot.matching.lexer import without_refused_characters
from bot.matching.matcher import Budget, Evaluation, Matcher, RuleSet
from bot.matching.parser import MAX_RULE_CHARS, MAX_RULE_TERMS, as_stored, parse_query
from bot.matching.prefilter import Prefilter
from bot.matching.query import Query

__all__ = [
    "MAX_RULE_CHARS",
    "MAX_RULE_TERMS",
    "Budget",
    "Evaluation",
    "Matcher",
    "Prefilter",
    "Query",
    "RuleSet",
    "TermReach",
    "as_stored",
    "explain",
    "html_to_text",
    "parse_query",
    "without_refused_characters",
]
