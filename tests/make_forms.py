"""Make the HTML and text forms of a Markdown page the way the real ones are made.

HTML: the Markdown rendered by markdown-it-py (CommonMark with GitHub tables), then, as
the site does, each empty Source or Destination cell merged into the cell above with
``rowspan``, wrapped in a page with navigation, header and footer around the article.
Text: that HTML through trafilatura 1.12, as the French snapshot was made.
"""

from __future__ import annotations

import functools
import re

import lxml.html
from markdown_it import MarkdownIt

# The header words of the columns the site merges (a Source or Destination equal to the
# row above's is one cell with rowspan), in the languages of the pages the tests hold; a
# page translated by a test names its own with ``merged``.
MERGED_HEADERS = {"source", "destination", "接続元", "接続先", "quelle", "ziel"}


def strip_front_matter(md: str) -> str:
    lines = md.splitlines()
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        lines = lines[end + 1 :]
    return "\n".join(lines)


def merge_empty_cells(table, merged: frozenset[str] = frozenset()) -> None:
    """Turn each empty Source/Destination cell into part of the rowspan above it."""
    header = [th.text_content().strip().lower() for th in table.iter("th")]
    columns = [i for i, h in enumerate(header) if h in MERGED_HEADERS | merged]
    body_rows = [tr for tr in table.iter("tr") if tr.find("td") is not None]
    for col in sorted(columns, reverse=True):  # right to left keeps indexes valid
        owner = None
        for tr in body_rows:
            cells = tr.findall("td")
            cell = cells[col] if col < len(cells) else None
            if cell is None:
                continue
            if cell.text_content().strip() == "" and len(cell) == 0 and owner is not None:
                owner.set("rowspan", str(int(owner.get("rowspan", "1")) + 1))
                tr.remove(cell)
            else:
                owner = cell


@functools.lru_cache(maxsize=32)  # each form of a page made once per test process
def markdown_to_html(md: str, lang: str = "en", merged: tuple[str, ...] = ()) -> str:
    """The page as the site serves it; ``merged``: header words of merged columns beyond
    ``MERGED_HEADERS``."""
    body = MarkdownIt("commonmark").enable("table").render(strip_front_matter(md))
    doc = lxml.html.fromstring(f"<div>{body}</div>")
    for table in doc.iter("table"):
        merge_empty_cells(table, frozenset(w.lower() for w in merged))
    article = lxml.html.tostring(doc, encoding="unicode")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>Ports</title>'
        "<script>var x = '<table>';</script></head>\n<body>\n<header><nav><a href=\"/\">Home"
        '</a> | <a href="/docs">Docs</a></nav></header>\n<main><article>\n'
        + article
        + "\n</article></main>\n<footer><p>© Citrix | Privacy</p></footer>\n"
        "</body></html>\n"
    )


@functools.lru_cache(maxsize=32)
def html_to_text(html: str) -> str:
    """The text form, by the renderer ``fetch --form text`` uses."""
    from pipeline.source.render import html_to_text as render

    return render(html)


HEADER = ("Source", "Destination", "Type", "Port", "Details")


def translated(md: str, words: dict[str, str]) -> str:
    """A Markdown page with its header words (whole header cells) and other words (whole
    words: "N/A", "Bidirectional") replaced by ``words``' translations."""
    for en, other in words.items():
        if en in HEADER:
            md = re.sub(rf"(?<=\| ){re.escape(en)}(?= +\|)", other, md)  # a whole header cell
        else:
            md = re.sub(rf"\b{re.escape(en)}\b", other, md)
    return md
