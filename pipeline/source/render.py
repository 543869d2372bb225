"""A page's HTML rendered to text, as the committed French snapshot was made.

Input: the HTML of a page.  Output: its text rendering by trafilatura 1.12 (tables kept,
each row a line of ``|``-separated cells, the cells a merged cell covers written as
padding pipes at the line's end), the form ``raw/citrix-communication-ports.txt`` has;
what no reader sees dropped, raised digits raised, struck-out text struck and text a
bidi override reorders marked first (``marked``, on the parsed tree).
``fetch --form text`` (or ``--form default`` where the default snapshot is a text
rendering) saves this, so a refresh keeps the snapshot's form.  trafilatura is imported
only here (the ``render`` extra); a missing one is an ``InputError`` saying so.
"""

from __future__ import annotations

import re

from pipeline.errors import InputError
from pipeline.page.visible import (
    BIDI_CONTROLS,
    SCRIPTS,
    SHOWN_REORDERED,
    STRUCK_TAGS,
    drop_hidden,
    raised,
    reorders,
    visible_text,
)

RENDERER = "trafilatura 1.12"  # what made the committed text rendering (raw/manifest.json)


def marked(html: str) -> str:
    """The HTML as trafilatura should render it, decided on the parsed tree
    (``pipeline.page.visible``): what no reader sees removed (trafilatura keeps the text
    of a ``hidden`` element, of a closed ``<details>``…); the digits of ``<sup>`` and
    ``<sub>`` raised and lowered (it would join a footnote mark to the port before it:
    "1494<sup>1</sup>" would read as port 14941); struck-out elements made spans of
    struck text (it drops them and the text after them in the cell: "80, <s>443</s>,
    8443" would render "80," and lose 8443); text a bidi override reorders between two
    ``SHOWN_REORDERED`` marks (it drops bidi controls, and would render the digits as
    written, not as shown).

    >>> marked("<td>1494<sup>1</sup> <s>443</s> <span hidden>, 22</span></td>") == (
    ...     "<td>1494<sup>¹</sup> <span>4\u03364\u03363\u0336</span> </td>")
    True
    """
    from bs4 import BeautifulSoup, NavigableString

    tree = BeautifulSoup(html, "html.parser")
    drop_hidden(tree)
    for el in tree.find_all(STRUCK_TAGS):
        if not el.decomposed:
            span = tree.new_tag("span")
            span.string = visible_text(el)
            el.replace_with(span)
    for el in tree.find_all(list(SCRIPTS)):
        for text in el.find_all(string=True):
            if type(text) is NavigableString:
                text.replace_with(raised(str(text), el.name))
    for text in tree.find_all(string=True):  # a control character the same way
        if type(text) is NavigableString and any(c in text for c in BIDI_CONTROLS):
            text.replace_with("".join(SHOWN_REORDERED if c in BIDI_CONTROLS else c for c in text))
    for el in tree.find_all(True):
        if reorders(el):
            for text in el.find_all(string=True):
                if type(text) is NavigableString and text.strip():
                    text.replace_with(f"{SHOWN_REORDERED}{text}{SHOWN_REORDERED}")
    return str(tree)


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
        marked(html),
        include_tables=True,
        include_comments=False,
        no_fallback=True,
        deduplicate=False,
    )
    return re.sub(r"\n{2,}", "\n", text or "") + "\n"
