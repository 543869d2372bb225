"""Markdown the pipeline writes (``build/report.md``, ``diff --format markdown``): text
from the page made safe inside a table cell or a heading.

Input: any value.  Output: one line of Markdown that shows the text as it is: the
characters Markdown or HTML would read as markup (``\\``, ``|``, ``<``, ``>``) are
escaped, white space is collapsed.
"""

from __future__ import annotations


def md_cell(value) -> str:
    """A value as the text of one Markdown table cell (``None`` is empty).

    >>> md_cell("a|b <script> \\\\ c\\nd")
    'a\\\\|b &lt;script&gt; \\\\\\\\ c d'
    """
    text = "" if value is None else " ".join(str(value).split())
    return (text.replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))
