"""A page's HTML rendered to text, as the committed French snapshot was made.

Input: the HTML of a page.  Output: its text rendering by trafilatura 1.12 (tables kept,
each row a line of ``|``-separated cells, the cells a merged cell covers written as
padding pipes at the line's end), the form ``raw/citrix-communication-ports.txt`` has;
the digits of ``<sup>`` and ``<sub>`` written raised and lowered first (trafilatura would
join a footnote mark to the port before it), struck-out text struck (it would drop the
struck element and the rest of its cell), and ``hidden`` elements styled ``display:none``
(it would keep their text, which no reader sees).
``fetch --form text`` (or ``--form default`` where the default snapshot is a text
rendering) saves this, so a refresh keeps the snapshot's form.  trafilatura is imported
only here (the ``render`` extra); a missing one is an ``InputError`` saying so.
"""

from __future__ import annotations

import re

from pipeline.errors import InputError
from pipeline.page.visible import (
    SCRIPT_ELEMENT,
    STRUCK_ELEMENT,
    hidden_attributes,
    outside_tags,
    raised,
    struck,
)

RENDERER = "trafilatura 1.12"  # what made the committed text rendering (raw/manifest.json)
# trafilatura drops <sup> and <sub> and keeps their text, so that "1494<sup>1</sup>" (a
# footnote mark) would read as port 14941: their digits are raised or lowered first.


def scripts_marked(html: str) -> str:
    """The HTML with the digits of its ``<sup>`` and ``<sub>`` elements written as
    superscript and subscript digits (their tags kept, markup inside them untouched).

    >>> scripts_marked("<td>1494<sup class='1'>1</sup></td><td>H<sub>2</sub>O <sup><a href='#n2'>2</a></sup></td>")
    "<td>1494<sup class='1'>¹</sup></td><td>H<sub>₂</sub>O <sup><a href='#n2'>²</a></sup></td>"
    """

    def mark(m: re.Match) -> str:
        inner = outside_tags(m.group(2), lambda t: raised(t, m.group(1)))
        whole, start, end = m.group(0), m.start(2) - m.start(0), m.end(2) - m.start(0)
        return whole[:start] + inner + whole[end:]

    return SCRIPT_ELEMENT.sub(mark, html)


START_TAG = re.compile(r"<([A-Za-z][\w:-]*)(\s[^<>]*)?>")


def hidden_marked(html: str) -> str:
    """The HTML with each element that has the ``hidden`` attribute styled
    ``display:none`` first, which trafilatura drops (it keeps the text of a ``hidden``
    element, which no reader sees), as the HTML reader drops it.

    >>> hidden_marked('<span hidden>, 22</span><p data-hidden="1">x</p>')
    '<span style="display:none" hidden>, 22</span><p data-hidden="1">x</p>'
    """

    def mark(m: re.Match) -> str:
        attrs = m.group(2) or ""
        if not hidden_attributes(attrs):
            return m.group(0)
        return f'<{m.group(1)} style="display:none"{attrs}>'

    return START_TAG.sub(mark, html)


def struck_marked(html: str) -> str:
    """The HTML with its ``<del>``, ``<s>`` and ``<strike>`` elements made spans of their
    text struck as plain text (each character followed by U+0336), as the HTML reader
    writes it.  trafilatura drops those elements and the text after them in the cell:
    "80, <s>443</s>, 8443" would render "80," and lose port 8443 silently; struck, the
    cell renders whole and the reader refuses it, saying what it strikes.

    >>> struck_marked("<td><s>443</s> 8443</td>") == "<td><span>4\u03364\u03363\u0336</span> 8443</td>"
    True
    """

    return STRUCK_ELEMENT.sub(lambda m: f"<span>{outside_tags(m.group(2), struck)}</span>", html)


def html_to_text(html: str) -> str:
    """The text rendering of a page's HTML (blank lines folded, one final newline)."""
    try:
        import trafilatura
    except ImportError:
        raise InputError(
            "rendering HTML to text needs trafilatura, which is not installed",
            hint="install the render extra (pip install 'citrix-ports[render]'; make venv does), "
            "or fetch with --form served",
        ) from None
    text = trafilatura.extract(
        hidden_marked(struck_marked(scripts_marked(html))),
        include_tables=True,
        include_comments=False,
        no_fallback=True,
        deduplicate=False,
    )
    return re.sub(r"\n{2,}", "\n", text or "") + "\n"
