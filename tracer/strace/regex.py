"""The parser's regular expressions, compiled for the Python at hand.

They use possessive quantifiers (``*+``) and atomic groups (``(?>...)``),
new in Python 3.11, so that a damaged line cannot make a match backtrack for
long. CPython 3.11.2, Debian 12's python3, matches some of them wrongly (the
golden logs fail to parse); 3.11.7 is the first release we checked to be
right. Before it they are compiled without: greedy quantifiers and plain
groups give the same matches on well-formed lines, with more backtracking on
bad ones.
"""

from __future__ import annotations

import re
import sys

POSSESSIVE_WORKS = sys.version_info >= (3, 11, 7)


def plain(pattern: str) -> str:
    """The pattern without possessive quantifiers and atomic groups."""
    return pattern.replace("(?>", "(?:").replace("*+", "*").replace("++", "+").replace("?+", "?")


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern if POSSESSIVE_WORKS else plain(pattern), flags)
