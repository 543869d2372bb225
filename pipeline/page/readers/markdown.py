"""Reader of the page's Markdown source (the GitHub repository behind docs.citrix.com).

Input: the Markdown text.  Output: a ``Page`` in the common table model, with heading
levels and section paths, merged cells resolved.

Front matter (``---`` … ``---``) is skipped.  ATX headings (``#`` … ``######``) open
sections; a GitHub pipe table (header row, ``| --- |`` separator, rows) whose header
names the page's columns is a port table; every other non-blank line is a prose note of
its section.  Cells are explicit in Markdown: an empty Source or Destination cell means
"same as the row above" (what the site renders as a merged cell), resolved by
``model.resolve_merged_cells`` exactly as for the other forms.  Inline markup is reduced
to the text a reader sees, parsed by markdown-it-py and read as the HTML reader reads
a cell (``pipeline.page.visible``).
"""

from __future__ import annotations

import re

from pipeline.core.normalize import clean, lines
from pipeline.page.links import inline_parser, markdown_links
from pipeline.page.model import Page, PageBuilder
from pipeline.page.readers.cells import (
    SEPARATOR_CELL,
    RowChecks,
    build_row,
    fold_extra_cells,
    header_roles,
    repeats_header,
    short_row,
)
from pipeline.page.readers.steps import TableSteps
from pipeline.page.visible import drop_hidden, visible_text
from pipeline.page.vocabulary import Vocabulary, load

HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
MARKUP = re.compile(r"[`<\[*_~\\&!]")  # a character some inline markup starts with


def inline_text(text: str) -> str:
    r"""Markdown inline markup reduced to the text a reader sees: parsed by markdown-it-py
    (CommonMark), its HTML (raw HTML included) read as the HTML reader reads a cell
    (``visible``: hidden elements dropped, struck-out text struck, raised digits raised,
    text a bidi override reorders marked).

    >>> inline_text(r"**[Citrix ADC](https://x)** `443` \| a&amp;b")
    'Citrix ADC 443 | a&b'
    >>> inline_text("1494<sup>1</sup>")
    '1494¹'
    >>> inline_text("~~443~~ 8443") == "4̶4̶3̶ 8443"
    True
    >>> inline_text('443<span hidden><span>x</span>, 22</span> <b style="display:none">x</b>')
    '443'
    """
    if not MARKUP.search(text):  # most cells: plain text
        return clean(text)
    from bs4 import BeautifulSoup

    tree = BeautifulSoup(inline_parser().renderInline(text), "html.parser")
    drop_hidden(tree)
    return clean(visible_text(tree))


def split_cells(line: str) -> list[str]:
    r"""Cells of a pipe-table line: split on pipes not escaped with a backslash.

    >>> split_cells(r"| a | b \| c |")
    [' a ', ' b | c ']
    """
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def is_table_separator(line: str) -> bool:
    """True for the ``| --- | :---: |`` line under a pipe-table header."""
    cells = [c.strip() for c in split_cells(line)]
    return bool(cells) and all(c and SEPARATOR_CELL.match(c) for c in cells)


class MarkdownReader(TableSteps, RowChecks, PageBuilder):
    """Reads Markdown lines into sections (with levels), tables and notes."""

    form = "markdown"
    explicit_cells = True

    def __init__(self, text: str, source_name: str, vocab: Vocabulary | None = None):
        super().__init__(source_name)
        self.vocab = vocab or load()
        self.lines = lines(text)

    def read(self) -> None:
        """Read every line after the front matter."""
        i, n = self.skip_front_matter(), len(self.lines)
        self.line_kinds = {j + 1: "front_matter" for j in range(i)}
        while i < n:
            line = self.lines[i]
            stripped = line.strip()
            heading = HEADING.match(line)
            if not stripped:
                self.account(i + 1, "blank")
                i += 1
            elif heading:
                self.open_section(inline_text(heading.group(2)), i + 1, len(heading.group(1)))
                self.account(i + 1, "heading")
                i += 1
            elif "|" in stripped and i + 1 < n and is_table_separator(self.lines[i + 1]):
                i = self.read_table(i)
            else:
                text = inline_text(re.sub(r"^\s*(>\s*)+", "", line))
                if self.read_flattened(text, i + 1):
                    self.account(i + 1, "table_flattened")
                else:
                    self.note(i + 1, text, markdown_links(re.sub(r"^\s*(>\s*)+", "", line)))
                    self.account(i + 1, "note")
                i += 1

    def skip_front_matter(self) -> int:
        """The index of the first line after the ``---`` front matter."""
        if self.lines and self.lines[0].strip() == "---":
            for j in range(1, len(self.lines)):
                if self.lines[j].strip() in ("---", "..."):
                    return j + 1
        return 0

    def read_table(self, start: int) -> int:
        """A pipe table from its header line; returns the index after it.

        A table whose header is not a port table's is kept as prose.
        """
        header = [inline_text(c) for c in split_cells(self.lines[start])]
        roles = header_roles(header, self.vocab)
        i = start + 2
        end = i
        while end < len(self.lines) and "|" in self.lines[end] and self.lines[end].strip():
            end += 1  # GitHub tables: rows until a blank line or a line without a pipe
        body = [[inline_text(c) for c in split_cells(self.lines[j])] for j in range(i, end)]
        roles = self.table_roles(header, roles, body, start + 1)
        if roles is None:  # a pipe table that is not a port table: keep it as prose
            for j in range(start, end):
                self.note(j + 1, clean(self.lines[j]))
                self.account(j + 1, "note")
            return end
        table = self.add_table(header, roles, start + 1)
        self.account(start + 1, "table_header")
        self.account(start + 2, "table_separator")
        for j in range(i, end):
            self.account(j + 1, "table_row")
            self.link(j + 1, markdown_links(self.lines[j]), "table")
        n = len(roles)
        for j, texts in enumerate(body, i):
            if repeats_header(texts, header):  # a long table's header again: no rule
                self.account(j + 1, "table_header")
                continue
            cells, problems = fold_extra_cells(texts, n)  # a list of its own
            written = len(cells)
            cells += [""] * (n - len(cells))
            by_role = dict(zip(roles, cells))
            row = build_row(by_role, roles, j + 1, self.lines[j])
            problems += short_row(by_role, written, n, self.vocab)
            row.problems.extend(problems)
            row.moved = bool(problems)  # cells added or lost: out of their columns
            table.rows.append(row)
        self.finish_table(table)
        return end


def read_markdown(
    text: str, source_name: str, locale: str, vocab: Vocabulary | None = None
) -> Page:
    """The ``Page`` of a Markdown source."""
    reader = MarkdownReader(text, source_name, vocab)
    reader.read()
    return reader.page(locale)
