"""Markdown the pipeline writes (``build/report.md``, ``diff --format markdown``): text
from the page made safe inside a table cell or a heading.

Input: any value.  Output: one line of Markdown that shows the text as it is: the
characters Markdown or HTML would read as markup (``\\``, ``|``, ``<``, ``>``, ``&``,
links and images ``[`` ``]`` ``!``, code and emphasis, ``@`` mentions) are escaped,
hidden characters (bidi, zero-width, controls) removed, white space collapsed.
"""

from __future__ import annotations

import re

from pipeline.core.shown import printable

MARKUP = re.compile(r"([\\`*_~\[\]!#])")


def md_cell(value) -> str:
    """A value as the text of one Markdown table cell (``None`` is empty).

    >>> md_cell("a|b <script> \\\\ c\\nd")
    'a\\\\|b &lt;script&gt; \\\\\\\\ c d'
    >>> md_cell("[x](javascript:alert(1)) ![i](https://e.x/i.png) @team")
    '\\\\[x\\\\](javascript:alert(1)) \\\\!\\\\[i\\\\](https:&#47;&#47;e.x/i.png) `@`team'
    """
    text = "" if value is None else printable(str(value))
    text = MARKUP.sub(r"\\\1", text).replace("&", "&amp;").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("://", ":&#47;&#47;")
    return re.sub(r"@(?=\w)", "`@`", text)
