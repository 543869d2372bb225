"""The one table model every reader produces (text, Markdown, HTML).

Input: nothing.  Output: the ``Page`` / ``Section`` / ``Table`` / ``Row`` types, and
``resolve_merged_cells``, the page's one rule for cells merged from the row above, so
that the later stages cannot tell which form a page came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Canonical column roles, in the order the published rules list them.
ROLES = ("source", "destination", "type", "port", "details")
# Roles a merged (rowspan) cell may cover: the leading entity columns, and the Type of a
# row that has a port (a port without a protocol is never meant).
ENTITY_ROLES = ("source", "destination")


@dataclass
class Note:
    line: int
    text: str


@dataclass
class Section:
    order: int  # 1-based in the page
    heading: str  # as the page writes it ("" for text before the first heading)
    line: int
    level: int | None = None  # heading level where the form keeps it (HTML, Markdown)
    path: tuple[str, ...] = ()  # headings from the top, where levels are known
    notes: list[Note] = field(default_factory=list)


@dataclass
class Row:
    cells: dict[str, str]  # role -> text after merged cells are resolved
    line: int  # line of the raw file where the row starts
    raw: str  # the row as the source writes it
    inherited: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


@dataclass
class Table:
    number: int  # 1-based in the page
    section: Section
    header: list[str]  # header cells as the page writes them
    roles: list[str]  # role of each header cell
    line: int
    rows: list[Row] = field(default_factory=list)
    shape: str = "table"  # "table", or "flattened" for a table collapsed onto one line


@dataclass
class Page:
    form: str  # "text", "markdown" or "html"
    locale: str
    source_name: str
    sections: list[Section]
    tables: list[Table]


def resolve_merged_cells(table: Table) -> None:
    """Fill the cells a merged cell covers from the row above, in place.

    An empty Source or Destination takes the value of the row above; an empty Type
    does too when the row has a port.  A row with neither Type nor Port inherits no
    Type: it is a note row.  Which cells were filled is recorded in ``Row.inherited``.
    """
    previous: dict[str, str] | None = None
    for row in table.rows:
        for role in table.roles:
            if row.cells.get(role):
                continue
            if role in ENTITY_ROLES or (role == "type" and row.cells.get("port")):
                if previous and previous.get(role):
                    row.cells[role] = previous[role]
                    row.inherited.add(role)
                else:
                    row.problems.append(f"{role} is empty and no row above gives it")
        previous = row.cells
