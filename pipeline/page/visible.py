"""What a reader sees of a cell's markup: text hidden, struck out, raised or lowered.

Input: HTML markup (an element's attributes, its content) or text.  Output: whether the
element is hidden from every reader, and its text as a reader sees it: struck-out text
struck as plain text (U+0336 after each character), digits in ``<sup>``/``<sub>`` raised
or lowered.  The HTML and Markdown readers and the text rendering (``fetch --form text``)
all write it so, and ``pipeline.page.grammar`` refuses Type and Port cells that strike
anything out or hold a number sign: "~~443~~ 8443" opens no 443, "443¹" is not 4431.
"""

from __future__ import annotations

import re
from collections.abc import Callable

STRIKE = "\u0336"  # written after each character of struck-out text
STRUCK_TAGS = ("del", "s", "strike")
# Digits raised or lowered by <sup> and <sub> (a footnote mark is no digit of a port)
SCRIPTS = {
    "sup": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
    "sub": str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"),
}
# A <sup>/<sub> and a struck element in markup: its name, its content
SCRIPT_ELEMENT = re.compile(r"<(sup|sub)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
STRUCK_ELEMENT = re.compile(r"<(del|s|strike)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
HIDDEN = re.compile(
    r"(?:^|\s)(?:hidden(?=[\s=/]|$)|aria-hidden\s*=\s*[\"']?true"
    r"|style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden))",
    re.IGNORECASE,
)


def hidden_attributes(attributes: str) -> bool:
    """Whether an element's attributes, as written, hide it from every reader: ``hidden``,
    ``aria-hidden="true"``, an inline ``display: none`` or ``visibility: hidden``.

    >>> [hidden_attributes(a) for a in (' hidden', ' style="x:1; display: none"', ' data-hidden="1"', "")]
    [True, True, False, False]
    """
    return bool(attributes and HIDDEN.search(attributes))


def struck(text: str) -> str:
    """``text`` struck out as plain text: each character but white space followed by
    U+0336.

    >>> struck("443 x") == "4\u03364\u03363\u0336 x\u0336"
    True
    """
    return "".join(c if c.isspace() else c + STRIKE for c in text)


def raised(text: str, name: str) -> str:
    """The digits of ``text`` as a ``<sup>`` (``name``) or ``<sub>`` writes them.

    >>> raised("1a", "sup"), raised("2", "sub")
    ('¹a', '₂')
    """
    return text.translate(SCRIPTS[name.lower()])


def outside_tags(markup: str, change: Callable[[str], str]) -> str:
    """``markup`` with ``change`` applied to its text, its tags left as they are.

    >>> outside_tags("<a href='#1'>1</a> 2", lambda t: t.upper() + "!")
    "<a href='#1'>1!</a> 2!"
    """
    return "".join(
        part if part.startswith("<") else change(part) if part else part
        for part in re.split(r"(<[^>]*>)", markup)
    )
