"""Counts in words, for what people read: ``1 row``, ``2 rows``.

Input: a count and a noun.  Output: the two, the noun plural unless the count is one.
"""

from __future__ import annotations


def counted(n: int, noun: str, plural: str = "") -> str:
    """``n`` and ``noun``, plural (``plural``, else ``noun`` + ``s``) unless ``n`` is 1.

    >>> counted(1, "row"), counted(0, "row"), counted(2, "entry", "entries")
    ('1 row', '0 rows', '2 entries')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
