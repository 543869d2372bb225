"""Reader of the live HTML page (docs.citrix.com, any locale).

Input: the HTML text.  Output: a ``Page`` in the common table model, with heading
levels and section paths, merged cells resolved.

Only the article body is read: the first ``<article>``, else ``<main>``, else
``<body>``, with ``nav``, ``header``, ``footer``, ``aside``, ``script``, ``style``,
``form``, ``noscript`` and ``template`` removed.  Headings ``h1``–``h4`` open sections
with their levels; a ``<table>`` whose header names the page's columns is a port table,
expanded into a full grid honouring ``rowspan`` and ``colspan``; paragraphs, list items,
block quotes and preformatted blocks outside tables are prose notes of their section.
Cell text is flattened from links, code, line breaks and lists.

A cell covered by a ``rowspan`` takes the value of the cell that spans it, and is
recorded as inherited, exactly as the text reader's inheritance does.  A ``colspan``
cell gives its text to the one column it covers that fits it best (by the same cell
kinds as the text reader); the other covered columns stay empty.

The parser is lxml's HTML parser with network access off and entity resolution off:
nothing outside the given text is ever read.  lxml is used directly rather than through
BeautifulSoup because BeautifulSoup's lxml tree builder drops source line numbers, and
every row carries the line where it starts.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from pipeline.errors import InputError, Location
from pipeline.model import ENTITY_ROLES, Page, PageBuilder, Row
from pipeline.normalize import clean
from pipeline.readers.cells import (RowChecks, build_row, classify, fit, fold_extra_cells, header_roles,
                                    misfits)
from pipeline.readers.flattened import flattened_table
from pipeline.vocabulary import Vocabulary, load

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
DROPPED = ("nav", "header", "footer", "aside", "script", "style", "form", "noscript",
           "template", "button", "svg")
BLOCKS = {"p", "li", "blockquote", "pre", "dt", "dd", "figcaption", "h5", "h6", "div",
          "section", "ul", "ol", "dl", "table", "article", "main"}
MAX_SPAN = 1000  # a rowspan/colspan larger than this is hostile or broken


def parser() -> lxml.html.HTMLParser:
    """lxml's HTML parser with network access, comments and processing
    instructions off.
    """
    return lxml.html.HTMLParser(no_network=True, remove_comments=True,
                                remove_pis=True, huge_tree=False, encoding=None)


def cell_text(element) -> str:
    """Text of an element as a reader sees it: line breaks, list items and blocks
    separated by a space, markup dropped."""
    parts: list[str] = []

    def walk(el) -> None:
        if not isinstance(el.tag, str):
            return
        tag = el.tag.lower()
        if tag == "br":
            parts.append(" ")
        elif el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if isinstance(child.tag, str) and child.tag.lower() in BLOCKS | {"li", "br"}:
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return clean("".join(parts))


def span(cell, name: str) -> int:
    """A cell's rowspan or colspan, between 1 and ``MAX_SPAN``."""
    try:
        value = int(re.sub(r"\D", "", cell.get(name, "1")) or 1)
    except ValueError:
        value = 1
    return max(1, min(value, MAX_SPAN))


class HtmlReader(RowChecks, PageBuilder):
    """Reads the article of an HTML page into sections (with levels), tables and
    notes.
    """
    form = "html"

    def __init__(self, text: str, source_name: str, vocab: Vocabulary | None = None):
        super().__init__(source_name)
        self.vocab = vocab or load()
        self.text = text

    def read(self) -> None:
        """Parse the HTML and read its article body.

        Raises ``InputError`` when lxml cannot parse it.
        """
        try:
            doc = lxml.html.document_fromstring(self.text, parser=parser())
        except (etree.ParserError, ValueError) as exc:
            raise InputError(f"the HTML cannot be parsed: {exc}", Location(self.source_name)) from None
        root = (doc.find(".//article") if doc.find(".//article") is not None
                else doc.find(".//main") if doc.find(".//main") is not None
                else doc.find(".//body") if doc.find(".//body") is not None else doc)
        for tag in DROPPED:
            for el in root.findall(f".//{tag}"):
                if el.getparent() is not None:
                    el.drop_tree()
        self.walk(root)

    def walk(self, el) -> None:
        """Read the children of an element in document order."""
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.lower()
            if tag in HEADINGS:
                self.open_section(cell_text(child), child.sourceline or 1, HEADINGS[tag])
            elif tag == "table":
                self.read_table(child)
            elif tag in ("p", "li", "pre", "dt", "dd", "figcaption", "h5", "h6") \
                    and child.find(".//table") is None and not self.has_blocks(child):
                self.prose(child)
            else:
                if tag not in ("ul", "ol", "dl"):
                    self.note(child.sourceline or 1, clean(child.text or ""))
                self.walk(child)
            self.note(child.sourceline or 1, clean(child.tail or ""))

    @staticmethod
    def has_blocks(el) -> bool:
        """True when the element holds block elements (it is read child by child)."""
        return any(isinstance(c.tag, str) and c.tag.lower() in BLOCKS for c in el.iter()
                   if c is not el)

    def prose(self, el) -> None:
        """A block of prose; a Markdown table collapsed into it is read as a table."""
        text, line = cell_text(el), el.sourceline or 1
        found = flattened_table(text, line, self.vocab) if text.startswith("|") else None
        if found:
            header, roles, rows = found
            self.add_table(header, roles, line, rows, shape="flattened")
        else:
            self.note(line, text)

    def read_table(self, table_el) -> None:
        """A ``<table>``: a port table expanded into a full grid, or prose."""
        rows = [tr for tr in table_el.iter("tr")
                if next(tr.iterancestors("table"), None) is table_el]
        if not rows:
            return
        grid = self.grid(rows)
        header, col = [], 0
        while col < len(grid[0]):
            header.append(grid[0][col][0])
            col += grid[0][col][2]
        roles = header_roles(header, self.vocab)
        if roles is None:  # not a port table: its text is prose
            self.prose(table_el)
            return
        table = self.add_table(header, roles, rows[0].sourceline or 1)
        for tr, cells in zip(rows[1:], grid[1:]):
            if not any(text for text, _, _ in cells):
                continue
            by_role: dict[str, str] = {}
            inherited: set[str] = set()
            problems: list[str] = []
            i = 0
            while i < len(roles):
                text, covered, width = cells[i] if i < len(cells) else ("", False, 1)
                covering = roles[i:i + width]
                if width > 1 and text:
                    kind = classify(text, self.vocab)
                    best = min(covering, key=lambda r: fit(r, kind))
                    for r in covering:
                        by_role[r] = text if r == best else ""
                else:
                    for r in covering:
                        by_role[r] = text
                if covered and text:
                    inherited.update(r for r in covering if r in ENTITY_ROLES or r == "type")
                i += width
            extras = []  # cells beyond the header's columns, one per cell (colspan once)
            while i < len(cells):
                extras.append(cells[i][0])
                i += max(1, cells[i][2])
            if any(extras):  # folded into the last column and marked, as in every form
                texts, problems = fold_extra_cells([by_role[r] for r in roles] + extras,
                                                   len(roles))
                by_role[roles[-1]] = texts[-1]
            row: Row = build_row(by_role, roles, tr.sourceline or 1,
                                 etree.tostring(tr, encoding="unicode", with_tail=False))
            row.inherited |= inherited
            row.problems.extend(problems + misfits(
                {r: t for r, t in row.cells.items() if r not in inherited}, self.vocab))
            table.rows.append(row)
        self.finish_table(table)

    def grid(self, rows) -> list[list[tuple[str, bool, int]]]:
        """Each row as one (text, covered by a rowspan from above, colspan) per column."""
        pending: dict[int, tuple[str, int, int]] = {}  # column -> (text, rows left, width)
        out = []
        for tr in rows:
            queue = [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
            line: list[tuple[str, bool, int]] = []
            col = 0
            while (queue or any(c >= col for c in pending)) and col <= MAX_SPAN:
                if col in pending:
                    text, left, width = pending.pop(col)
                    if left > 1:
                        pending[col] = (text, left - 1, width)
                    line.extend([(text, True, width)] * width)
                    col += width
                elif queue:
                    cell = queue.pop(0)
                    text, rs, cs = cell_text(cell), span(cell, "rowspan"), span(cell, "colspan")
                    if rs > 1:
                        pending[col] = (text, rs - 1, cs)
                    line.extend([(text, False, cs)] * cs)
                    col += cs
                else:
                    line.append(("", False, 1))
                    col += 1
            out.append(line)
        return out


def read_html(text: str, source_name: str, locale: str, vocab: Vocabulary | None = None) -> Page:
    """The ``Page`` of an HTML page."""
    reader = HtmlReader(text, source_name, vocab)
    reader.read()
    return reader.page(locale)
