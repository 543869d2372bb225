"""The links of the page's prose and cells: what a sentence sends the reader to.

Input: a line of Markdown (rendered by markdown-it-py, CommonMark, then read as HTML) or
an HTML element.  Output: ``(text, target)`` pairs in the order written, of the links a
reader sees (``<a href>``: hidden ones dropped by ``visible.drop_hidden`` first; the HTML
reader drops them from the whole page before it reads).
"""

from __future__ import annotations

import functools

from pipeline.core.normalize import clean
from pipeline.page.visible import drop_hidden, visible_text

Link = tuple[str, str]  # (text as a reader sees it, target as written)


@functools.cache
def inline_parser():
    """markdown-it-py's CommonMark, with GitHub's ~~strikethrough~~ (the site renders it
    struck out): what the Markdown reader reads inline markup and links with."""
    from markdown_it import MarkdownIt  # here: only a page in Markdown needs it

    return MarkdownIt("commonmark").enable("strikethrough")


def markdown_links(line: str) -> list[Link]:
    """The links of a line of Markdown: inline links, autolinks and raw ``<a href>``.

    >>> markdown_links("Read more [here](/en-us/a.html#b), <https://x.example> or "
    ...                '<a href="https://y.example">y</a><a hidden href="https://z">z</a>.')
    [('here', '/en-us/a.html#b'), ('https://x.example', 'https://x.example'), ('y', 'https://y.example')]
    """
    if "](" not in line and "<" not in line:
        return []
    from bs4 import BeautifulSoup

    tree = BeautifulSoup(inline_parser().renderInline(line), "html.parser")
    drop_hidden(tree)
    return html_links(tree)


def html_links(el) -> list[Link]:
    """The links (``<a href>``) of an HTML element, itself included."""
    anchors = [el] if getattr(el, "name", None) == "a" else el.find_all("a", href=True)
    out = []
    for a in anchors:
        href = a.get("href")
        if isinstance(href, str) and href.strip():
            out.append((clean(visible_text(a)), href.strip()))
    return out
