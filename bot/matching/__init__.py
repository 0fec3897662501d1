"""Matching entries against watchlist rules. Pure: no I/O.

The public interface:

    html_to_text   HTML -> plain text, for the feed parser
    parse_query    one rule of the query language -> Query (or QueryError with a position)
    RuleSet        rules under one key: match any, exclude all, optional feed filter
    Matcher        rule sets compiled once; Matcher.match(entry) -> [Hit]
"""

from bot.matching.htmltext import html_to_text
from bot.matching.matcher import Matcher, RuleSet
from bot.matching.parser import parse_query
from bot.matching.query import Query

__all__ = ["Matcher", "Query", "RuleSet", "html_to_text", "parse_query"]
