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

The tree is BeautifulSoup's, built by Python's ``html.parser``: it keeps every tag's
source line (every row carries the line where it starts; BeautifulSoup's lxml builder
does not), reads nothing outside the given text (no network, no file, no DTD: an entity
a page declares is left as text, never expanded) and skips comments, declarations and
processing instructions.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from pipeline.core.bounded import limits
from pipeline.core.normalize import clean
from pipeline.errors import InputError, Location
from pipeline.page.links import html_links
from pipeline.page.model import Page, PageBuilder, Row
from pipeline.page.readers.cells import (
    RowChecks,
    build_row,
    classify,
    fit,
    fold_extra_cells,
    header_roles,
    repeats_header,
    short_row,
)
from pipeline.page.readers.steps import TableSteps
from pipeline.page.visible import drop_hidden, visible_text
from pipeline.page.vocabulary import Vocabulary, load

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
DROPPED = (
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "form",
    "noscript",
    "template",
    "button",
    "svg",
)
BLOCKS = {
    "p",
    "li",
    "blockquote",
    "pre",
    "dt",
    "dd",
    "figcaption",
    "h5",
    "h6",
    "div",
    "section",
    "ul",
    "ol",
    "dl",
    "table",
    "article",
    "main",
}
MAX_SPAN = 1000  # a rowspan/colspan larger than this is hostile or broken
TITLE_ROWS = 2  # rows of one text each above a table's header: its caption
BUILDER = "html.parser"  # keeps source lines (measured against lxml: docs/robustness.md)


def nested_deeper(doc, limit: int) -> int | None:
    """The source line of the first element nested deeper than ``limit``, or None: depth
    first with a stack of its own (linear, any depth).

    >>> nested_deeper(BeautifulSoup("<b><i><u>x</u></i></b>", BUILDER), 2)
    1
    """
    stack = [(doc, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > limit:
            return getattr(el, "sourceline", None) or 1
        stack += [(c, depth + 1) for c in el.children if isinstance(c, Tag)]
    return None


def is_text(node) -> bool:
    """True for text a reader sees: not a comment, declaration, CDATA or the like."""
    return type(node) is NavigableString


def cell_text(element: Tag) -> str:
    """Text of an element as a reader sees it (``visible.visible_text``: line breaks,
    list items and blocks separated by a space, markup dropped, digits in
    ``<sup>``/``<sub>`` raised/lowered, struck-out text struck), white space collapsed.

    >>> cell_text(BeautifulSoup("<td>GUI<br/>and <b>API</b><!-- x --></td>", BUILDER).td)
    'GUI and API'
    >>> cell_text(BeautifulSoup("<td>1494<sup>1</sup></td>", BUILDER).td)
    '1494¹'
    >>> cell_text(BeautifulSoup("<td><s>443</s> 8443</td>", BUILDER).td) == "4\u03364\u03363\u0336 8443"
    True
    """
    return clean(visible_text(element))


# The start of an HTML non-negative integer: white space, an optional "+", digits (what
# follows the digits is ignored: "2px" is 2).
SPAN_NUMBER = re.compile(r"[\t\n\f\r ]*\+?([0-9]+)")


def span(cell: Tag, name: str) -> int:
    """A cell's rowspan or colspan as a browser reads it (HTML's rules for non-negative
    integers), between 1 and ``MAX_SPAN``: a value that is not one ("-2", "x", "") is 1;
    ``rowspan="0"`` spans the rest of the table, ``colspan="0"`` is 1.

    >>> from bs4 import BeautifulSoup
    >>> cells = BeautifulSoup('<td rowspan="2px"></td><td rowspan="-3"></td><td '
    ...     'rowspan="1.9"></td><td rowspan=" +4"></td><td rowspan="0"></td><td rowspan="'
    ...     + "9" * 5000 + '"></td>', "html.parser")
    >>> [span(td, "rowspan") for td in cells.find_all("td")]
    [2, 1, 1, 4, 1000, 1000]
    >>> span(BeautifulSoup('<td colspan="0"></td>', "html.parser").td, "colspan")
    1
    """
    value = cell.get(name, "1")
    if isinstance(value, list):
        value = " ".join(value)
    found = SPAN_NUMBER.match(str(value or ""))
    digits = found.group(1).lstrip("0") or "0" if found else "1"
    number = int(digits) if len(digits) <= 6 else MAX_SPAN  # no int() of a hostile length
    if number == 0:
        number = MAX_SPAN if name == "rowspan" else 1
    return max(1, min(number, MAX_SPAN))


class HtmlReader(TableSteps, RowChecks, PageBuilder):
    """Reads the article of an HTML page into sections (with levels), tables and
    notes.
    """

    form = "html"
    explicit_cells = True

    def __init__(self, text: str, source_name: str, vocab: Vocabulary | None = None):
        super().__init__(source_name)
        self.vocab = vocab or load()
        self.text = text

    def read(self) -> None:
        """Parse the HTML and read its article body.

        Raises ``InputError`` when the HTML cannot be parsed.
        """
        try:
            doc = BeautifulSoup(self.text, BUILDER)
        except Exception as exc:  # html.parser raises little; say so plainly if it does
            raise InputError(
                f"the HTML cannot be parsed: {exc}", Location(self.source_name)
            ) from None
        deepest = int(limits()["depth"]["html"])
        too_deep = nested_deeper(doc, deepest)
        if too_deep is not None:
            raise InputError(
                f"the HTML nests its elements more than {deepest} deep",
                Location(self.source_name, too_deep),
                hint="no page of the site nests so deep: check what wrote it (the limit is "
                "depth.html in pipeline/data/input_limits.toml)",
            )
        root = doc.find("article") or doc.find("main") or doc.find("body") or doc
        for tag in DROPPED:
            for el in root.find_all(tag):
                el.decompose()
        drop_hidden(root)  # what no reader sees is not what the page says
        self.walk(root)

    def walk(self, root: Tag) -> None:
        """Read the children of an element in document order; text between elements is
        prose at the line of the element before it (or of the parent).  Depth first with
        a stack of its own, not recursion: any depth of nesting reads, none crashes."""
        # each frame: the children still to read, and the line prose between them is at
        stack: list[list] = [[iter(root.children), root.sourceline or 1]]
        while stack:
            frame = stack[-1]
            child = next(frame[0], None)
            if child is None:
                stack.pop()
                continue
            if is_text(child):
                self.note(frame[1], clean(str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            tag = child.name
            line = frame[1] = child.sourceline or frame[1]
            if tag in HEADINGS:
                self.open_section(cell_text(child), line, HEADINGS[tag])
            elif tag == "table":
                self.read_table(child)
            elif (
                tag in ("p", "li", "pre", "dt", "dd", "figcaption", "h5", "h6")
                and child.find("table") is None
                and not self.has_blocks(child)
            ):
                self.prose(child)
            else:
                stack.append([iter(child.children), child.sourceline or 1])

    @staticmethod
    def has_blocks(el: Tag) -> bool:
        """True when the element holds block elements (it is read child by child)."""
        return any(isinstance(c, Tag) and c.name in BLOCKS for c in el.descendants)

    def prose(self, el) -> None:
        """A block of prose; a Markdown table collapsed into it is read as a table."""
        text, line = cell_text(el), el.sourceline or 1
        if not self.read_flattened(text, line):
            self.note(line, text, html_links(el))

    def read_table(self, table_el) -> None:
        """A ``<table>``: a port table expanded into a full grid, or prose."""
        rows = [tr for tr in table_el.find_all("tr") if tr.find_parent("table") is table_el]
        if not rows:
            return
        for tr in rows:
            self.link(tr.sourceline or 1, html_links(tr), "table")
        grid, padded = self.grid(rows)
        titles = self.title_rows(grid)
        for tr, cells in zip(rows[:titles], grid[:titles]):  # a caption above the header
            self.note(tr.sourceline or 1, next(text for text, _, _ in cells if text))
        rows, grid, padded = rows[titles:], grid[titles:], padded[titles:]
        header = self.header_of(grid[0])
        roles = header_roles(header, self.vocab)
        # the cells as written: one covered by a merged cell above is not counted again
        # (a name merged over six rows is one name, as in the Markdown source)
        body = [[("" if covered else text) for text, covered, _ in cells] for cells in grid[1:]]
        roles = self.table_roles(header, roles, body, rows[0].sourceline or 1)
        if roles is None:  # not a port table: its text is prose
            self.prose(table_el)
            return
        table = self.add_table(header, roles, rows[0].sourceline or 1)
        for tr, cells, pads in zip(rows[1:], grid[1:], padded[1:]):
            if not any(text for text, _, _ in cells):
                continue
            texts = [text for text, _, _ in cells]
            if not any(covered for _, covered, _ in cells) and repeats_header(texts, header):
                continue  # a long table's header again: no rule
            by_role: dict[str, str] = {}
            inherited: set[str] = set()
            problems: list[str] = []
            i = 0
            while i < len(roles):
                text, covered, width = cells[i] if i < len(cells) else ("", False, 1)
                covering = roles[i : i + width]
                if width > 1 and text:
                    kind = classify(text, self.vocab)
                    best = min(covering, key=lambda r: fit(r, kind))
                    for r in covering:
                        by_role[r] = text if r == best else ""
                else:
                    for r in covering:
                        by_role[r] = text
                if covered and text:  # the row above wrote it (a merged cell)
                    inherited.update(covering)
                i += width
            extras = []  # cells beyond the header's columns, one per cell (colspan once)
            while i < len(cells):
                extras.append(cells[i][0])
                i += max(1, cells[i][2])
            if any(extras):  # folded into the last column and marked, as in every form
                texts, problems = fold_extra_cells([by_role[r] for r in roles] + extras, len(roles))
                by_role[roles[-1]] = texts[-1]
            own = {r: t for r, t in by_role.items() if r not in inherited}
            problems += short_row(own, min(len(cells), len(roles)) - pads, len(roles), self.vocab)
            row: Row = build_row(by_role, roles, tr.sourceline or 1, str(tr))
            row.inherited |= inherited
            row.problems.extend(problems)
            row.moved = bool(problems)  # cells added or lost: out of their columns
            table.rows.append(row)
        self.finish_table(table)

    @staticmethod
    def header_of(cells: list[tuple[str, bool, int]]) -> list[str]:
        """A header row's texts, one per cell (a colspan once)."""
        header, col = [], 0
        while col < len(cells):
            header.append(cells[col][0])
            col += cells[col][2]
        return header

    def title_rows(self, grid: list[list[tuple[str, bool, int]]]) -> int:
        """How many rows above a table's header are titles (one text across the row, as a
        ``<th colspan>`` caption writes it) when the row under them is a header the
        vocabulary knows; 0 otherwise (the first row is the header)."""
        for k in range(min(TITLE_ROWS, len(grid) - 1)):
            if len({text for text, _, _ in grid[k] if text}) != 1:
                return 0
            if header_roles(self.header_of(grid[k + 1]), self.vocab) is not None:
                return k + 1
        return 0

    def grid(self, rows) -> tuple[list[list[tuple[str, bool, int]]], list[int]]:
        """Each row as one (text, covered by a rowspan from above, colspan) per column, and
        per row how many of its columns before a merged cell it wrote no cell for."""
        pending: dict[int, tuple[str, int, int]] = {}  # column -> (text, rows left, width)
        out = []
        padded = []
        for tr in rows:
            pads = 0
            queue = [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]
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
                else:  # no cell of its own before a merged one further right
                    line.append(("", False, 1))
                    pads += 1
                    col += 1
            out.append(line)
            padded.append(pads)
        return out, padded


def read_html(text: str, source_name: str, locale: str, vocab: Vocabulary | None = None) -> Page:
    """The ``Page`` of an HTML page."""
    reader = HtmlReader(text, source_name, vocab)
    reader.read()
    return reader.page(locale)
