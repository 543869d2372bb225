"""The one table model every reader produces (text, Markdown, HTML).

Input: nothing.  Output: the ``Page`` / ``Section`` / ``Table`` / ``Row`` types, and
``resolve_merged_cells``, the page's one rule for cells merged from the row above, so
that the later stages cannot tell which form a page came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.catalogue import Notice

# Canonical column roles, in the order the published rules list them.
ROLES = ("source", "destination", "type", "port", "details")
# Roles a merged (rowspan) cell may cover: the leading entity columns, and the Type of a
# row that has a port (a port without a protocol is never meant).
ENTITY_ROLES = ("source", "destination")
# what a row under merged cells may take from the row above (the Type only with a Port)
INHERITED_ROLES: tuple[str, ...] = (*ENTITY_ROLES, "type")
# The section of what comes before the page's first heading (a bare table, a short page):
# a name, so that its rows are valid and can be queried; never the empty string.
UNTITLED_SECTION = "(before the first heading)"


@dataclass
class Note:
    """A line of prose kept with its section."""

    line: int
    text: str


@dataclass(frozen=True)
class PageLink:
    """A link of the page: where it is (line, section heading, in prose or a table
    cell), its text as a reader sees it and its target as written."""

    line: int
    section: str
    text: str
    target: str
    place: str = "prose"  # "prose" or "table"


@dataclass
class Section:
    """A heading of the page and what follows it."""

    order: int  # 1-based in the page
    heading: str  # as the page writes it (UNTITLED_SECTION before the first heading)
    line: int
    level: int | None = None  # heading level where the form keeps it (HTML, Markdown)
    path: tuple[str, ...] = ()  # headings from the top, where levels are known
    notes: list[Note] = field(default_factory=list)


@dataclass
class Row:
    """One table row, its cells by role, where it is, and what the reader found wrong."""

    cells: dict[str, str]  # role -> text after merged cells are resolved
    line: int  # line of the raw file where the row starts
    raw: str  # the row as the source writes it
    inherited: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    # roles whose cells a damaged row still wrote intact (the reader found its damage
    # after them): the rows below may inherit these from it
    intact: set[str] = field(default_factory=set)
    # what a damaged row passes on to the rows below, by role, where every reading of its
    # line under one fault agrees (the text reader's ``single_fault_readings``): the value
    # it wrote, or "" for a role it wrote none of (the rows below take the one above it)
    passes: dict[str, str] = field(default_factory=dict)
    # every single-fault reading of a damaged row's line: its Source, Destination, Type
    # ("" for none written), set by the reader where it reads the line again; of a
    # table's last row (never padded, so never marked damaged), every cell of each
    # reading, for the previous build to compare whole (``stages.settle.last_rows``)
    readings: list[dict[str, str]] = field(default_factory=list)
    # for a row marked only for what it inherits from such a row: the values it would
    # have under each of those readings, the ones it does not agree on (what a previous
    # build may confirm: ``pipeline.stages.settle``)
    maybe: list[dict[str, str]] = field(default_factory=list)
    # the reader found cells out of their columns (a cell lost, added or unlike its
    # column, in a form that writes every cell): the row is no plain row under the names
    # above it, whatever its Type and Port cells hold
    moved: bool = False


@dataclass
class Table:
    """One port table: its header, the role of each column, its rows."""

    number: int  # 1-based in the page
    section: Section
    header: list[str]  # header cells as the page writes them
    roles: list[str]  # role of each header cell
    line: int
    rows: list[Row] = field(default_factory=list)
    shape: str = "table"  # "table", or "flattened" for a table collapsed onto one line


@dataclass
class Page:
    """A page read by any reader: its sections and tables in order."""

    form: str  # "text", "markdown" or "html"
    locale: str
    source_name: str
    sections: list[Section]
    tables: list[Table]
    # What each line of the source was read as ({"blank": n, "heading": n, ...}: they add
    # up to the file's lines), where the form is read line by line (text, Markdown).
    line_counts: dict[str, int] | None = None
    warnings: list[Notice] = field(default_factory=list)  # located, for the build's report
    links: list[PageLink] = field(default_factory=list)  # in page order (not the text form)


def resolve_merged_cells(table: Table) -> None:
    """Fill the cells a merged cell covers from the row above, in place.

    An empty Source or Destination takes the value of the row above; an empty Type
    does too when the row has a port.  A row with neither Type nor Port inherits no
    Type: it is a note row.  Which cells were filled is recorded in ``Row.inherited``
    (where the form spells merged cells out, an HTML ``rowspan``, the reader filled them
    and recorded them there already); a row that takes a cell from a damaged row, either
    way, is marked too (a wrong value never spreads silently down a merged cell), unless
    the reader found that cell intact
    (``Row.intact``: the damage lies after it) or found what the damaged row passes on
    whatever its damage was (``Row.passes``).
    """
    # per role, what the rows below inherit, and the row that wrote it: its number, and
    # whether it is suspect (a value is as trusted as the row that wrote it, not as the
    # rows it passed through: a damaged row that wrote no Source passes on the Source of
    # the row above it, intact)
    carried: dict[str, str] = {}
    origin: dict[str, tuple[int, bool]] = {}
    # per damaged row (its number), what the rows below would inherit under each reading
    alternatives: dict[int, list[dict[str, str]]] = {}
    for number, row in enumerate(table.rows, start=1):
        damaged = bool(row.problems)  # what the reader marked, before any inheritance
        passes = row.passes if damaged else {}
        # a damaged row is trusted to pass on the Source and Destination above it only
        # when it is plainly a row under them: it writes a Type and a Port and neither
        # name (where its damage may have put a name, nothing it passes on is trusted)
        under = (
            not row.moved
            and all(row.cells.get(r) for r in ("type", "port"))
            and not any(row.cells.get(r) for r in ENTITY_ROLES)
        )
        before = dict(carried), dict(origin)
        covered = set(row.inherited)  # cells of merged cells the form spells out (HTML)
        suspects: dict[int, list[str]] = {}  # the damaged rows it inherits from, what
        lacking = False  # a cell no row above gives
        for role in table.roles:
            if row.cells.get(role) and role in covered:
                # covered by a merged cell the form spells out (an HTML rowspan): written
                # by a row above, as trusted as that row
                wrote, suspect = origin.get(role, (number - 1, False))
                if suspect:
                    row.problems.append(
                        f"its {role} comes from row {wrote} above, which is damaged"
                    )
                    suspects.setdefault(wrote, []).append(role)
                continue
            if row.cells.get(role):
                origin[role] = (number, damaged and role not in row.intact)
                continue
            if role in ENTITY_ROLES or (role == "type" and row.cells.get("port")):
                if carried.get(role):
                    row.cells[role] = carried[role]
                    row.inherited.add(role)
                    wrote, suspect = origin.get(role, (number - 1, False))
                    if suspect:  # a damaged row passes on no trusted value
                        row.problems.append(
                            f"its {role} comes from row {wrote} above, which is damaged"
                        )
                        suspects.setdefault(wrote, []).append(role)
                else:
                    row.problems.append(f"{role} is empty and no row above gives it")
                    lacking = True
        if len(suspects) == 1 and not (damaged or lacking):  # marked for one damaged row only
            wrote, roles = next(iter(suspects.items()))
            row.maybe = distinct([{r: a[r] for r in roles} for a in alternatives.get(wrote, [])])
        carried = {r: row.cells.get(r, "") for r in table.roles}
        if damaged and row.readings:
            alternatives[number] = distinct(
                [
                    {r: reading.get(r) or before[0].get(r, "") for r in reading}
                    for reading in row.readings
                ]
            )
        if damaged and not under:
            # what it wrote intact is trusted, everything else it passes on is suspect;
            # a merged cell the form spells out over it stays its writer's
            origin.update(
                {r: (number, r not in row.intact) for r in table.roles if r not in covered}
            )
        for role, value in passes.items():  # what every reading of the line agrees on
            if value:
                carried[role], origin[role] = value, (number, False)
            else:  # it wrote none: the rows below take what was above it
                carried[role] = before[0].get(role, "")
                if role in before[1]:
                    origin[role] = before[1][role]
                else:
                    origin.pop(role, None)


def distinct(dicts: list[dict[str, str]]) -> list[dict[str, str]]:
    """The dicts, each once, in their first order."""
    out: list[dict[str, str]] = []
    for d in dicts:
        if d not in out:
            out.append(d)
    return out


class PageBuilder:
    """What every reader does to build a ``Page``: open sections (with heading levels
    where the form keeps them), add tables to the current section, note prose."""

    form = ""

    def __init__(self, source_name: str):
        self.source_name = source_name
        self.sections: list[Section] = []
        self.tables: list[Table] = []
        self.stack: list[tuple[int, str]] = []  # (level, heading) of the open headings
        self.line_kinds: dict[int, str] | None = None  # line -> what it was read as
        self.warnings: list[Notice] = []
        self.links: list[PageLink] = []

    def account(self, line: int, kind: str) -> None:
        """Record what a line (1-based) was read as, where the form keeps lines."""
        if self.line_kinds is not None:
            self.line_kinds[line] = kind

    def section(self) -> Section:
        """The current section; what comes before the first heading goes to a section
        named ``UNTITLED_SECTION``."""
        if not self.sections:
            self.sections.append(Section(order=1, heading=UNTITLED_SECTION, line=1))
        return self.sections[-1]

    def open_section(self, heading: str, line: int, level: int | None = None) -> None:
        """A heading: a new section, with its path where levels are known."""
        path: tuple[str, ...] = ()
        if level is not None:
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            self.stack.append((level, heading))
            # The page title (level 1) is not part of the paths of the sections under it.
            path = tuple(h for lv, h in self.stack if lv > 1) or (heading,)
        self.sections.append(
            Section(
                order=len(self.sections) + 1, heading=heading, line=line, level=level, path=path
            )
        )

    def note(self, line: int, text: str, links: list[tuple[str, str]] | None = None) -> None:
        """A line of prose of the current section (empty text is no note), with its links."""
        if text:
            self.section().notes.append(Note(line=line, text=text))
        self.link(line, links or [])

    def link(self, line: int, links: list[tuple[str, str]], place: str = "prose") -> None:
        """Links of the current section at ``line``: (text, target) each."""
        heading = self.section().heading if links else ""
        self.links += [PageLink(line, heading, text, target, place) for text, target in links]

    def add_table(
        self,
        header: list[str],
        roles: list[str],
        line: int,
        rows: list[Row] | None = None,
        shape: str = "table",
    ) -> Table:
        """A new table of the current section; its merged cells are resolved by
        ``finish_table`` once its rows are in (at once when ``rows`` are given)."""
        table = Table(
            number=len(self.tables) + 1,
            section=self.section(),
            header=header,
            roles=roles,
            line=line,
            rows=list(rows or []),
            shape=shape,
        )
        self.tables.append(table)
        if rows is not None:
            self.finish_table(table)
        return table

    def finish_table(self, table: Table) -> None:
        """Once a table's rows are in: each row checked by ``check_row`` (what the
        reader's form adds), then merged cells resolved."""
        for row in table.rows:  # before merging, so that a damaged row passes nothing on
            self.prepare_row(row)
            row.problems.extend(self.check_row(row, table))
        resolve_merged_cells(table)

    def prepare_row(self, row: Row) -> None:
        """What the reader's form does to a row's cells before merged cells are resolved
        (nothing by default)."""

    def check_row(self, row: Row, table: Table) -> list[str]:
        """Problems of a finished row of ``table`` that its reader adds (none by default)."""
        return []

    def page(self, locale: str) -> Page:
        """The page read so far."""
        counts: dict[str, int] | None = None
        if self.line_kinds is not None:
            counts = {}
            for kind in sorted(self.line_kinds.values()):
                counts[kind] = counts.get(kind, 0) + 1
        return Page(
            form=self.form,
            locale=locale,
            source_name=self.source_name,
            sections=self.sections,
            tables=self.tables,
            line_counts=counts,
            warnings=self.warnings,
            links=self.links,
        )
