"""The links of the page's prose: what a sentence sends the reader to.

Input: a line of Markdown (read by markdown-it-py, CommonMark: inline links, autolinks,
and raw ``<a href>`` read by beautifulsoup4) or an HTML element (its ``<a href>``).
Output: ``(text, target)`` pairs in the order written; a link nobody sees (hidden) or
without a target is not one.
"""

from __future__ import annotations

import functools

from pipeline.core.normalize import clean
from pipeline.page.visible import hidden_attributes

Link = tuple[str, str]  # (text as a reader sees it, target as written)


@functools.cache
def _parser():
    from markdown_it import MarkdownIt  # here: only a page in Markdown has Markdown links

    return MarkdownIt("commonmark")


def markdown_links(line: str) -> list[Link]:
    """The links of a line of Markdown.

    >>> markdown_links("Read more [here](/en-us/a.html#b), <https://x.example> or "
    ...                '<a href="https://y.example">y</a>.')
    [('here', '/en-us/a.html#b'), ('https://x.example', 'https://x.example'), ('y', 'https://y.example')]
    """
    if "](" not in line and "<" not in line:
        return []
    from bs4 import BeautifulSoup

    out: list[Link] = []
    open_href: str | None = None
    text: list[str] = []
    for token in _parser().parseInline(line)[0].children or []:
        if token.type == "link_open":
            open_href, text = str(token.attrs.get("href") or ""), []
        elif token.type == "link_close" and open_href is not None:
            out.append((clean("".join(text)), open_href))
            open_href = None
        elif token.type == "html_inline" and token.content.lower().startswith("<a"):
            anchor = BeautifulSoup(token.content, "html.parser").find("a")
            href = anchor.get("href") if anchor is not None else None
            if isinstance(href, str) and href and not hidden_attributes(token.content[2:-1]):
                open_href, text = href, []
        elif token.type == "html_inline" and token.content.lower().startswith("</a"):
            if open_href is not None:
                out.append((clean("".join(text)), open_href))
                open_href = None
        elif open_href is not None and token.type in ("text", "code_inline"):
            text.append(token.content)
    return [(t, h) for t, h in out if h]


def html_links(el) -> list[Link]:
    """The links (``<a href>``) of an HTML element, itself included (the HTML reader has
    dropped what no reader sees before it reads)."""
    anchors = [el] if getattr(el, "name", None) == "a" else el.find_all("a", href=True)
    out = []
    for a in anchors:
        href = a.get("href")
        if isinstance(href, str) and href.strip():
            out.append((clean(a.get_text(" ")), href.strip()))
    return out
