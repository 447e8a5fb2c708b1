"""Did-you-mean suggestions with bounded work.

``difflib`` compares a word with every option, so suggesting for each of thousands of unknown
names among thousands of options is quadratic (minutes for a 7,000-layer spec). A
:class:`Suggester` answers at most ``QUERIES`` questions among at most ``OPTIONS`` options; past
that it returns nothing and the message lists the options instead.
"""
from __future__ import annotations

import difflib
from typing import Iterable, List

QUERIES = 50  # suggestions per run (a list of problems longer than this gets no more hints)
OPTIONS = 2_000  # options compared with; more and only exact case-insensitive matches are offered
WORD_CHARS = 200  # longer words get no suggestion


class Suggester:
    def __init__(self, options: Iterable[str]):
        self.options = [o for o in options if isinstance(o, str)]
        self.left = QUERIES

    def closest(self, word: str, n: int = 1, cutoff: float = 0.6) -> List[str]:
        """Up to ``n`` options that ``word`` most likely meant (best first), or [] when out of budget."""
        if not isinstance(word, str) or len(word) > WORD_CHARS or self.left <= 0:
            return []
        self.left -= 1
        if len(self.options) > OPTIONS:
            lowered = word.lower()
            return [o for o in self.options if o.lower() == lowered][:n]
        return difflib.get_close_matches(word, self.options, n=n, cutoff=cutoff)
