"""What a reader sees of markup: one model, decided on a parsed tree.

Input: an element of a beautifulsoup4 tree: the page's HTML, or the inline HTML that
markdown-it-py renders from a line of Markdown.  Output: whether an element is hidden
from every reader (``hidden``), the tree without them (``drop_hidden``), and the text of
an element as a reader sees it (``visible_text``): struck-out text struck as plain text
(U+0336 after each character), digits in ``<sup>``/``<sub>`` raised or lowered, text a
bidi override reorders wrapped in RIGHT-TO-LEFT OVERRIDE … POP DIRECTIONAL FORMATTING
(so the grammar refuses it in a Type or Port cell: ``<bdo dir=rtl>344</bdo>`` shows 443),
line breaks and blocks as spaces, an image as its alternative text.

Hidden is what a browser does not show: the ``hidden`` attribute, ``aria-hidden="true"``,
a ``style`` whose declarations (parsed by tinycss2, quoted values and comments included)
say ``display: none`` or ``visibility: hidden|collapse``, ``<template>``, ``<noscript>``,
a ``<dialog>`` without ``open``, and all but the summary of a closed ``<details>``.  Names
are compared case-insensitively; nesting is followed by the tree, never by a pattern; every
walk is iterative and linear in the tree.  The HTML and Markdown readers and the text
rendering (``fetch --form text``) all use it, and ``pipeline.page.grammar`` refuses Type
and Port cells that strike anything out or hold a number sign: "~~443~~ 8443" opens no
443, "443¹" is not 4431.
"""

from __future__ import annotations

from collections.abc import Iterator

STRIKE = "\u0336"  # written after each character of struck-out text
OVERRIDE, POP = "\u202e", "\u202c"  # around text a bidi override reorders
# The same in the text rendering, where trafilatura drops format characters: a printable
# mark on each side, which the grammar refuses in a Type or Port cell as it does those.
SHOWN_REORDERED = "\u21c4"  # ⇄
# The bidirectional controls that change the order text is shown in around them
# (embeddings, overrides, isolates); the marks (LRM, RLM, ALM) a right-to-left page writes
# around numbers change nothing inside a number and are not among them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
STRUCK_TAGS = ("del", "s", "strike")
# Digits raised or lowered by <sup> and <sub> (a footnote mark is no digit of a port)
SCRIPTS = {
    "sup": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
    "sub": str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"),
}
NEVER_SHOWN = ("template", "noscript", "script", "style")
# Elements whose end separates text (a reader sees a break, not a joined word)
BLOCKS = {
    "p", "li", "blockquote", "pre", "dt", "dd", "figcaption", "h5", "h6", "div", "section",
    "ul", "ol", "dl", "table", "tr", "td", "th", "article", "main", "details", "summary",
}  # fmt: skip


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


def style_of(el) -> dict[str, str]:
    """The declarations of an element's ``style`` attribute, by name (lower case), their
    values serialised and lower-cased, as a CSS parser reads them.

    >>> from bs4 import BeautifulSoup
    >>> style_of(BeautifulSoup('<p style=\\'font-family:"A;B"; DISPLAY : None !important\\'>', "html.parser").p)
    {'font-family': '"a;b"', 'display': 'none'}
    """
    written = el.get("style") if hasattr(el, "get") else None
    if isinstance(written, list):
        written = " ".join(written)
    if not written or not isinstance(written, str):
        return {}
    import tinycss2  # here: only markup with a style attribute needs it

    out = {}
    for node in tinycss2.parse_blocks_contents(written, skip_comments=True, skip_whitespace=True):
        if node.type == "declaration":
            out[node.lower_name] = tinycss2.serialize(node.value).strip().lower()
    return out


def hidden(el) -> bool:
    """Whether a browser shows nothing of the element (see the module docstring; the
    contents of a closed ``<details>`` are ``drop_hidden``'s).

    >>> from bs4 import BeautifulSoup
    >>> doc = BeautifulSoup('<p hidden>a</p><p STYLE="color:red; display: none">b</p><p>c</p>'
    ...     '<p style="visibility:collapse">d</p><dialog>e</dialog><dialog open>f</dialog>'
    ...     '<p aria-hidden="TRUE">g</p>', "html.parser")
    >>> [hidden(p) for p in doc.find_all(["p", "dialog"])]
    [True, True, False, True, True, False, True]
    """
    name = (el.name or "").lower()
    if name in NEVER_SHOWN or (name == "dialog" and not el.has_attr("open")):
        return True
    if el.has_attr("hidden"):
        return True
    aria = el.get("aria-hidden")
    if isinstance(aria, str) and aria.strip().lower() == "true":
        return True
    style = style_of(el) if el.has_attr("style") else {}
    return style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse")


def closed_details_content(el) -> Iterator:
    """The children of a closed ``<details>`` a browser does not show: all but its first
    ``<summary>``."""
    summary_seen = False
    for child in list(el.children):
        if getattr(child, "name", None) == "summary" and not summary_seen:
            summary_seen = True
            continue
        yield child


def drop_hidden(root) -> None:
    """Remove from the tree under ``root`` everything a browser does not show."""
    doomed = []
    for el in root.find_all(True):
        if hidden(el):
            doomed.append(el)
        elif el.name == "details" and not el.has_attr("open"):
            doomed += list(closed_details_content(el))
    for el in doomed:
        if getattr(el, "decomposed", False):
            continue
        if hasattr(el, "decompose"):
            el.decompose()
        else:
            el.extract()


def reorders(el) -> bool:
    """Whether the element's text is shown in an order other than written: ``<bdo
    dir="rtl">``, or a ``unicode-bidi`` override with a right-to-left direction.

    >>> from bs4 import BeautifulSoup
    >>> [reorders(e) for e in BeautifulSoup('<bdo dir="rtl">1</bdo><span style="unicode-bidi:'
    ...     ' bidi-override; direction: rtl">2</span><span dir="rtl">3</span>', "html.parser").find_all(True)]
    [True, True, False]
    """
    direction = el.get("dir")
    rtl = isinstance(direction, str) and direction.strip().lower() == "rtl"
    if el.name == "bdo":
        return rtl
    style = style_of(el) if el.has_attr("style") else {}
    if style.get("unicode-bidi") in ("bidi-override", "isolate-override"):
        return rtl or style.get("direction") == "rtl"
    return False


def visible_text(element) -> str:
    """The text of an element as a reader sees it (see the module docstring), white space
    as the tree has it: depth first with a stack of its own, each element's state (raised,
    struck, reordered) computed once from its parent's, so that any nesting reads in
    linear time and none crashes.

    >>> from bs4 import BeautifulSoup
    >>> visible_text(BeautifulSoup("<td>GUI<br/>and <b>API</b><!-- x --></td>", "html.parser").td)
    'GUI and API'
    >>> visible_text(BeautifulSoup("<td>1494<sup>1</sup> <img alt='x'></td>", "html.parser").td)
    '1494¹ x'
    """
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    # each frame: the element, its children still to read, its (script, struck, reversed)
    stack = [(element, iter(element.children), state_of(element, (None, False, False)))]
    while stack:
        el, children, state = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if stack and el.name in BLOCKS:
                parts.append(" ")
            continue
        if type(child) is NavigableString:
            text = str(child)
            script, strike, reverse = state
            text = raised(text, script) if script else text
            text = struck(text) if strike else text
            parts.append(f"{OVERRIDE}{text}{POP}" if reverse and text.strip() else text)
        elif isinstance(child, Tag):
            if child.name == "br":
                parts.append(" ")
            elif child.name == "img":
                alt = child.get("alt")
                parts.append(alt if isinstance(alt, str) else "")
            else:
                stack.append((child, iter(child.children), state_of(child, state)))
    return "".join(parts)


def state_of(el, parent: tuple) -> tuple:
    """(script, struck, reversed) of an element's text, from its parent's."""
    script, strike, reverse = parent
    name = el.name or ""
    return (
        name if name in SCRIPTS else script,
        strike or name in STRUCK_TAGS,
        reverse or reorders(el),
    )
