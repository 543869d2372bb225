"""Reader of the text rendering of the page (what trafilatura makes of the HTML).

Input: the text of a snapshot.  Output: a ``Page`` of sections, tables and rows in the
common table model (``pipeline.page.model``), with merged cells resolved.

How the text is read
--------------------
Headings lost their level and prose is plain lines, so a line is:

* a **table header** when its pipe-separated cells are known header names
  (vocabulary ``[headers]``: a Port column and two more) and the next line is a
  ``---|---|`` separator; the rows follow, one per line, until a line without a pipe;
* a **flattened table** when it starts with ``|``, its first cells are a header and a
  run of dashes follows (a Markdown table that reached the site as one line);
* a **heading** when it is short (``heading_max_words`` / ``heading_max_chars``), starts
  with a capital or a digit, does not end like a sentence (``.:;,!?-``), holds no URL,
  path or markup, and does not start with a note marker (``Remarque :``);
* otherwise **prose**, kept in order as a note of the current section.

Rows of a text table lose their empty cells and the cells covered by a merged cell
(rowspan) from above, so a row of k cells in a table of n columns must be placed.
Every order-keeping placement of the k cells into the n columns is scored by what each
cell holds against its column (a protocol word fits Type, a port list fits Port, a URL
or short name fits Source/Destination, a sentence fits Details, and fits Port only
poorly) and by what each missing column means (a missing leading Source/Destination is
a merged cell, free when there is a row above; a missing Type is a merged cell when the
row has a port; a missing Port or Details is an empty cell).  The cheapest placement
wins; the merged cells are then filled from the row above
(``model.resolve_merged_cells``).

Ambiguous shapes.  The text cannot tell a merged cell from an empty one, so:

* an absent Source or Destination is read as merged from the row above (the page's
  convention), never as empty;
* an absent Type is read as merged when the row has a port, as empty (a note row) when
  it has neither type nor port;
* an absent Port or Details is read as empty, never as merged;
* a merged cell that is not leading (a Destination merged under a new Source) reads as
  the leading one being merged.

So a rowspan on Port or Details, an empty Source or Destination, or a non-leading merge
is read by the convention; only the HTML or Markdown form can tell them apart.  Beyond
that, when two placements cost exactly the same and give the row a different meaning,
the row is kept with the first (leading cells merged) and marked ``ambiguous`` in its
problems; a cell still unlike its column after the best placement ("'22' does not look
like a destination") is marked too, so the ports stage rejects such rows instead of
trusting them.  The property tests (tests/test_properties.py) render random tables that
follow the convention to HTML and through trafilatura 1.12, and check that every row
comes back exactly or is marked.

The trailing ``||`` padding trafilatura adds (one pipe per cell it did not print) makes
the cells and padding of every row of a table but the last add up to the same width
(``table_width``), and a line cut short after a URL cell carries none: a URL line without
padding followed by a row line is one row broken in two.  The width tells damage: a row
that misses it by one lost or gained a separator and is read again with the fault undone
(``single_fault_readings``); lines that reach it together are one row broken over them;
a line over it may be two rows joined (``joined_rows``).  Each repair is named in a
warning; docs/reading-the-page.md lists them.
"""

from __future__ import annotations

import functools
import math
import re

from pipeline.catalogue import warning
from pipeline.core.bounded import limits
from pipeline.core.normalize import clean, lines, norm
from pipeline.errors import InputError, Location
from pipeline.page.grammar import type_words
from pipeline.page.model import ENTITY_ROLES, INHERITED_ROLES, Page, PageBuilder, Row, Table
from pipeline.page.readers.cells import (
    SEPARATOR_CELL,
    RowChecks,
    build_row,
    classify,
    fold_extra_cells,
    header_roles,
    looks_like_row,
    lost_columns,
    misfit,
    place,
)
from pipeline.page.readers.steps import TableSteps
from pipeline.page.vocabulary import Vocabulary, load


def split_row(line: str) -> tuple[list[str], int]:
    """Cells of a text row line and the number of padding pipes at its end.

    >>> split_row("TCP | 22 | Accès SSH/SCP | ||")
    (['TCP', '22', 'Accès SSH/SCP'], 2)
    """
    split = _split_row if len(line) <= CACHED_LINE_CHARS else _split_row.__wrapped__
    cells, padding = split(line)
    return list(cells), padding


CACHED_LINE_CHARS = int(limits()["reader"]["cached_line_chars"])


@functools.lru_cache(maxsize=8192)  # a table's lines are split again at every step
def _split_row(line: str) -> tuple[tuple[str, ...], int]:
    body = line.strip()
    tokens = body.split("|")
    if tokens and tokens[0].strip() == "" and body.startswith("|"):
        tokens = tokens[1:]
    cells = [clean(t) for t in tokens]
    padding = 0
    while cells and cells[-1] == "":
        cells.pop()
        padding += 1
    # The pipe that closes the last cell leaves one empty token: not padding.
    padding = max(0, padding - 1)
    return tuple(c for c in cells if c), padding


def is_separator(line: str) -> bool:
    """True for the ``---|---|`` line under a table header.

    >>> is_separator("---|---|---|"), is_separator("a | b |")
    (True, False)
    """
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return len(cells) >= 2 and all(SEPARATOR_CELL.match(c) for c in cells if c) and any(cells)


def is_heading(line: str, vocab: Vocabulary) -> bool:
    """True for a line the text rendering kept of a heading (see the module docstring)."""
    text = clean(line)
    if not text or "|" in text or len(text) > vocab.heading_max_chars:
        return False
    if len(text.split()) > vocab.heading_max_words:
        return False
    first = text[0]
    caseless = first.isalpha() and not first.isupper() and not first.islower()  # 管, ア
    if not (first.isupper() or first.isdigit() or caseless):
        return False
    if text[-1] in ".:;,!?-–—…»\"'。！？：、":
        return False
    if re.search(r"://|[\\<>={}]|\bwww\.", text):
        return False
    first = re.split(r"[\s:：]", text, maxsplit=1)[0]
    return norm(first) not in {norm(m) for m in vocab.note_markers}


def width_of(line: str) -> int:
    """A row line's cells and end padding, added up (a line of pipes alone, the end of a
    row broken before its padding: each pipe is padding).

    >>> width_of("TCP | 22 | x | ||"), width_of("||")
    (5, 2)
    """
    cells, padding = split_row(line)
    return len(cells) + padding if cells else line.count("|")


def width_of_part(part: list[tuple[int, str]]) -> int:
    """A row's cells and end padding, added up over its physical lines."""
    return sum(width_of(text) for _, text in part)


def table_width(rows: list[list[tuple[int, str]]], header: int | None = None) -> int | None:
    """What the cells and end padding of a table's rows add up to: the most common sum of
    its rows (each over its lines) but the last, which is never padded (of sums as common,
    the one closest to the ``header``'s cells, which the rendering pads its rows to); None
    when fewer than two rows tell.

    >>> table_width([[(1, "A | B | TCP | 80 | d | C | TCP | 81 | e | |")],
    ...              [(2, "TCP | 22 | x | ||")], [(3, "TCP | 1 | z |")]], header=5)
    5
    """
    judged = [width_of_part(part) for part in rows[:-1]]
    if len(judged) < 2:
        return None
    counts = {s: judged.count(s) for s in judged}
    near = header if header is not None else max(counts)
    return max(counts, key=lambda s: (counts[s], -abs(s - near), s))


def padding_problems(rows: list[list[tuple[int, str]]], width: int | None = None) -> list[str]:
    """For each row, the problem when its cells and end padding do not add up to the
    table's width ("" when they do, or cannot be told).

    trafilatura ends every row but a table's last with one ``|`` per cell it did not
    print (covered by a merged cell, or empty), so cells + padding is the same for every
    row of a table.  A row whose sum differs lost a cell separator or gained one: it is
    marked, so that it is rejected instead of read as a merged row.  A row broken over
    lines adds up over them; the last row (never padded) is not judged.

    >>> padding_problems([[(1, "A | B | TCP | 80 | d |")], [(2, "TCP | 22 | x | ||")],
    ...                   [(3, "C D | TCP | 443 | y |")], [(4, "TCP | 1 | z |")]])[2][:40]
    'the row has 4 cells and 0 padding pipes '
    """

    sums = [width_of_part(part) for part in rows]  # a row over lines: over them
    width = table_width(rows) if width is None else width
    if width is None:
        return [""] * len(rows)
    out = []
    for n, total in enumerate(sums):
        if n == len(rows) - 1 or total == width:
            out.append("")
            continue
        cells = sum(len(split_row(t)[0]) for _, t in rows[n])
        out.append(
            f"the row has {cells} cells and {total - cells} padding pipes where the "
            f"table's rows add up to {width}: a cell separator (|) was lost or added?"
        )
    return out


class TextReader(TableSteps, RowChecks, PageBuilder):
    """Reads the lines of a text rendering into sections, tables and notes."""

    form = "text"

    def __init__(self, text: str, source_name: str, vocab: Vocabulary | None = None):
        super().__init__(source_name)
        self.vocab = vocab or load()
        self.lines = lines(text)

    def read(self) -> list[Table]:
        """Read every line; returns the tables found.

        Raises ``InputError`` at the first line of table cells that is in no table (its
        header was lost or is not one the vocabulary knows): no row is dropped silently.
        """
        i, n = 0, len(self.lines)
        self.line_kinds = {}
        while i < n:
            stripped = self.lines[i].strip()
            if not stripped:
                self.account(i + 1, "blank")
                i += 1
                continue
            cells, _ = split_row(stripped) if "|" in stripped else ([], 0)
            roles = header_roles(cells, self.vocab) if cells else None
            if roles and not stripped.startswith("|"):
                i = self.read_table(i, cells, self.completed(i, cells, roles))
                continue
            if stripped.startswith("|") and self.read_flattened(self.lines[i], i + 1):
                self.account(i + 1, "table_flattened")
                i += 1
                continue
            if (
                len(cells) >= 3
                and not stripped.startswith("|")
                and i + 1 < n
                and is_separator(self.lines[i + 1])
            ):
                roles = self.roles_by_content(i, cells)
                if roles:
                    i = self.read_table(i, cells, roles)
                    continue
            if is_separator(stripped) and i + 1 < n and self.starts_table(i + 1):
                # the separator under a caption row (a <th colspan> above the header, now
                # the note above it, its padding pipes dropped): the header is the next line
                notes = self.section().notes
                caption = split_row(self.lines[i - 1].strip())[0] if i else []
                if notes and notes[-1].line == i and len(caption) == 1:
                    notes[-1].text = caption[0]
                self.account(i + 1, "table_separator")
                header = split_row(self.lines[i + 1].strip())[0]
                known = header_roles(header, self.vocab) or []  # starts_table: known
                i = self.read_table(i + 1, header, self.completed(i + 1, header, known), True)
                continue
            if len(cells) >= 2:
                raise InputError(
                    f"a line of {len(cells)} table cells is outside any table: its table's "
                    "header was lost or is not one the vocabulary knows",
                    Location(self.source_name, i + 1, section=self.section().heading),
                    hint="check the header line above it; a header in a new language needs "
                    "its words in pipeline/data/vocabulary.toml",
                )
            if is_heading(stripped, self.vocab):
                self.open_section(clean(stripped), i + 1)
                self.account(i + 1, "heading")
            else:
                self.note(i + 1, clean(stripped))
                self.account(i + 1, "note")
            i += 1
        return self.tables

    # -- ordinary tables -----------------------------------------------------------

    def read_table(
        self, start: int, header: list[str], roles: list[str], separated: bool = False
    ) -> int:
        """A table from its header line: its rows, rows broken after a URL joined,
        each placed; returns the index after it.  A missing separator line is warned
        about, never a reason to lose the table (``separated``: it stood above the
        header, under the table's caption row)."""
        table = self.add_table(header, roles, start + 1)
        self.account(start + 1, "table_header")
        i = start + 1
        if i < len(self.lines) and is_separator(self.lines[i]):
            self.account(i + 1, "table_separator")
            i += 1
        elif not separated:
            where = Location(
                self.source_name, start + 1, table.number, section=table.section.heading
            )
            self.warnings.append(warning("header-without-separator", where=where))
        row_lines: list[list[tuple[int, str]]] = []  # physical lines of each row
        while i < len(self.lines) and "|" in self.lines[i] and not self.starts_table(i):
            if is_separator(self.lines[i]):  # a stray separator line: no row
                self.account(i + 1, "table_separator")
            else:
                row_lines.append([(i + 1, self.lines[i])])
                self.account(i + 1, "table_row")
            i += 1
        self.warn_if_row_without_pipes(i, table)
        # of the lines as they are, those of rows a URL cell broke added up over their two
        # lines (a row broken otherwise counts little), near the header's cells
        after_url = {n for n, part in enumerate(row_lines[:-1]) if self.cut_short(part[0][1])}
        rows = [
            part + row_lines[n + 1] if n in after_url else part
            for n, part in enumerate(row_lines)
            if n - 1 not in after_url  # the second line of a row a URL cell broke
        ]
        width = table_width(rows, len(header))
        # Join rows broken after a URL cell (the URL ended the line early).
        merged: list[list[tuple[int, str]]] = []
        cut_short = False
        absorbed = -1  # a line already joined to the row before it
        for n, part in enumerate(row_lines):
            if n == absorbed:
                continue
            # the rest of a row a URL cell broke, that ends with a URL of its own: the
            # start of the next such row joined on (a lost line break), whose rest is the
            # line after it; the three lines are the two rows when they split so
            if cut_short and self.cut_short(part[-1][1]) and n + 1 < len(row_lines):
                three = merged[-1] + part + row_lines[n + 1]
                if self.joined_rows(
                    self.cells_of(three), roles, True, split_row(three[-1][1])[1], width
                ):
                    merged[-1], absorbed, cut_short = three, n + 1, False
                    continue
            if (cut_short and self.join_better(merged[-1], part, roles, width)) or (
                merged
                and len(merged[-1]) == 1
                and self.ends_with_url(merged[-1][0][1])
                and self.width_joins(merged[-1], part, width)
            ):  # a URL-ended line with padding (a pipe added): only where the width says
                merged[-1] = merged[-1] + part
                cut_short = False
                # names alone on the line before a row a URL cell broke: one row with it
                if (
                    len(merged) > 1
                    and len(merged[-2]) == 1
                    and self.split_in_two(merged[-2], merged[-1], roles, width)
                ):
                    merged[-2:] = [self.rejoined(merged[-2], merged[-1])]
                continue
            # a row over one line, or one a URL cell broke when the width says so
            if (
                merged
                and (
                    len(merged[-1]) == 1
                    or (width is not None and width_of_part(merged[-1] + part) == width)
                )
                and self.split_in_two(merged[-1], part, roles, width)
            ):
                merged[-1] = self.rejoined(merged[-1], part)
                continue
            merged.append(part)
            cut_short = self.cut_short(part[0][1])
        for part, problem in zip(merged, padding_problems(merged, width)):
            added = self.place_row(table, part, width)
            if problem and len(added) == 1:  # two rows split back explain their padding
                added[0].problems.append(problem)
                self.passes_on(added[0], part, width, roles, len(table.rows) > 1)
        if merged and table.rows and not table.rows[-1].problems and len(merged[-1]) == 1:
            self.last_row_readings(table.rows[-1], merged[-1], roles, len(table.rows) > 1)
        self.finish_table(table)
        return i

    def last_row_readings(
        self, row: Row, part: list[tuple[int, str]], roles: list[str], has_row_above: bool
    ) -> None:
        """A table's last row is never padded, so a separator it lost or gained goes
        unseen: its other readings with one fault (two cells joined, a cell split) are
        kept in ``Row.readings``, for a previous build to tell (``stages.settle``: the row
        is marked when one of them, and not the row as read, is a row of that build)."""
        cells, _ = split_row(part[0][1])
        readings = [  # every cell of each reading: the row is compared whole
            {r: reading.get(r, "") for r in roles}
            for width in (len(cells) - 1, len(cells) + 1)
            for reading in self.single_fault_readings(cells, 0, width, roles, has_row_above)
        ]
        row.readings = [r for r in readings if r != {k: row.cells.get(k, "") for k in r}]

    def full_rows(self, start: int, header: list[str]) -> list[list[str]]:
        """The rows of the table whose header is line ``start`` that write every cell
        (the others lost merged or empty cells): what its content says of its columns."""
        full, lines = [], []
        j = start + 1
        while j < len(self.lines) and ("|" in self.lines[j] or is_separator(self.lines[j])):
            if not is_separator(self.lines[j]):
                lines.append(split_row(self.lines[j])[0])
            j += 1
        for k, cells in enumerate(lines):
            if len(cells) == len(header):
                full.append(cells)
            elif (
                k + 1 < len(lines)
                and cells
                and classify(cells[-1], self.vocab) == "url"
                and len(cells) + len(lines[k + 1]) == len(header)
            ):
                full.append(cells + lines[k + 1])  # a row broken after its URL cell
        return full

    def completed(self, start: int, header: list[str], roles: list[str]) -> list[str]:
        """Roles of a header only partly in the vocabulary, the columns its known words
        leave given by what they hold (with a warning), else the roles as they are."""
        return self.table_roles(header, roles, self.full_rows(start, header), start + 1) or roles

    def roles_by_content(self, start: int, header: list[str]) -> list[str] | None:
        """The roles of a table whose header words are not known, from the rows that
        write every cell (the others lost merged or empty cells); None when it is no port
        table.  Raises ``InputError`` when its columns cannot be told apart."""
        return self.table_roles(header, None, self.full_rows(start, header), start + 1)

    def starts_table(self, i: int) -> bool:
        """True when line ``i`` is a table header (its separator line may be lost)."""
        line = self.lines[i].strip()
        cells, _ = split_row(line)
        return not line.startswith("|") and header_roles(cells, self.vocab) is not None

    def warn_if_row_without_pipes(self, i: int, table: Table) -> None:
        """A prose line right after a table that names a protocol and a port may be a
        row that lost every ``|``: it is kept as a note, and named in a warning."""
        while i < len(self.lines) and not self.lines[i].strip():
            i += 1
        if i >= len(self.lines) or "|" in self.lines[i]:
            return
        if looks_like_row(self.lines[i], self.vocab):
            where = Location(self.source_name, i + 1, table.number, section=table.section.heading)
            self.warnings.append(warning("row-without-cells", where=where))

    def cut_short(self, line: str) -> bool:
        """Whether a row line ends with a URL and no padding: the rendering breaks the
        line after a URL cell, the rest of the row is on the next line (the URL may be the
        last word of a cell whose separator before it was lost)."""
        return split_row(line)[1] == 0 and self.ends_with_url(line)

    def ends_with_url(self, line: str) -> bool:
        """Whether a row line's last cell ends with a URL (whatever its padding)."""
        cells = split_row(line)[0]
        return bool(cells) and classify(cells[-1].split()[-1], self.vocab) == "url"

    def width_joins(self, first, second, width: int | None) -> bool:
        """Whether the table's ``width`` says two lines are one row: the first falls short
        of it by more than a fault, together they miss it by one at most."""
        return (
            width is not None
            and abs(width_of_part(first + second) - width) <= 1
            and width - width_of_part(first) > 1
        )

    def rejoined(
        self, first: list[tuple[int, str]], second: list[tuple[int, str]]
    ) -> list[tuple[int, str]]:
        """One row of the lines of a row split in two (a line break inside it), said in a
        warning."""
        where = Location(self.source_name, second[0][0], section=self.section().heading)
        self.warnings.append(
            warning("row-split", where=where, first=first[-1][0], second=second[0][0])
        )
        return first + second

    def cells_of(self, part: list[tuple[int, str]]) -> list[str]:
        """The cells of a row's physical lines."""
        return [c for _, text in part for c in split_row(text)[0]]

    def join_better(self, first, second, roles, width: int | None = None) -> bool:
        """True when two lines read better as one row than as two, or when the table's
        ``width`` says so: the first falls short of it by more than a fault, together they
        miss it by one at most (a row a URL cell broke, damaged on its second line)."""
        if self.width_joins(first, second, width):
            return True  # (a pipe added on it may give the row a cell too many)
        a, b = self.cells_of(first), self.cells_of(second)
        if len(a) + len(b) > len(roles):
            return False
        joined = place(a + b, roles, True, self.vocab)[0].cost
        apart = (
            place(a, roles, True, self.vocab)[0].cost + place(b, roles, True, self.vocab)[0].cost
        )
        return joined < apart

    def split_in_two(self, first, second, roles, width: int | None = None) -> bool:
        """True when two lines are one row broken at a cell boundary: together they fit
        the columns with every cell like its column, the second does not start a row
        under merged cells (a Type and a Port), the first does not end with the empty
        cells a whole row writes (``| |``), and apart the first is not a whole row
        (a Type without its Port, a flow without its Details followed by a lone text
        cell, or a name alone, which no row is).  ``width``: what the table's cells and
        end padding add up to, where its rows tell; with it, a second line of pipes alone
        is the end padding of a first line that falls short by as many, and a name alone
        makes one row with a second line that brings the rest of the sum."""
        a, b = self.cells_of(first), self.cells_of(second)
        if a and not b and width:  # the padding went to a line of its own
            return width_of_part(first + second) == width
        if not a or not b or len(a) + len(b) > len(roles):
            return False
        if split_row(first[-1][1])[1] > 0:
            return False  # the line writes its empty cells (``| |``): it is a whole row
        # names alone are no row, and with the next line they make a whole row (a shorter
        # one could be a row under a merged cell whose name lost a pipe: the table's width
        # tells, where its rows give it: the second line alone would fall short of it)
        rest = len(b) + split_row(second[-1][1])[1]
        names = len([r for r in ENTITY_ROLES if r in roles])
        kinds_a = [classify(c, self.vocab) for c in a]
        lone_name = (len(a) == 1 and kinds_a[0] == "name" and len(a) + len(b) == len(roles)) or (
            width is not None
            and len(a) + rest == width
            and len(a) <= names
            and all(k not in ("port", "ditto", "url") for k in kinds_a)
            and not any(self.flow_at(a, j) for j in range(len(a) - 1))
        )
        if self.starts_flow(b) and not lone_name:
            return False  # the second line is a row of its own, under merged cells
        joined = place(a + b, roles, True, self.vocab)[0]
        if joined.misfits or math.isinf(joined.cost):
            return False
        if lost_columns(dict(zip(joined.roles, a + b)), self.vocab):
            return False
        if lone_name:
            return True  # the rest of the row is on the next line
        alone = place(a, roles, True, self.vocab)[0]
        cells_a = dict(zip(alone.roles, a))
        if alone.misfits or lost_columns(cells_a, self.vocab):
            return True  # the first line alone is no row
        kinds = [classify(c, self.vocab) for c in b]
        # a Details that names a protocol (``SSH``) only where the width says so
        adds_up = width is not None and width_of_part(first + second) == width
        return (
            len(b) == 1
            and (
                kinds[0] not in ("protocol", "port", "url", "ditto")
                or (kinds[0] == "protocol" and adds_up)
            )
            and bool(cells_a.get("type"))
            and bool(cells_a.get("port"))
            and not cells_a.get("details")
        )  # a flow whose Details went to the next line

    def starts_flow(self, cells: list[str]) -> bool:
        """Whether a line's cells start with a Type and a Port."""
        return len(cells) >= 2 and self.flow_at(cells, 0)

    def place_row(
        self, table: Table, part: list[tuple[int, str]], width: int | None = None
    ) -> list[Row]:
        """Place a row's cells into the table's columns and add it, marked where it is
        damaged or ambiguous; returns the rows added: one, or two when the line holds two
        rows joined (each with the table's shape, the second starting with a Type and a
        Port), split back with a warning."""
        line = part[0][0]
        raw = "\n".join(text for _, text in part)
        cells = self.cells_of(part)
        roles = table.roles
        # empty cells the text rendering moved to the end of the line (merged cells): a
        # row that has them did not write every name, whatever its cells now say (of the
        # lines joined: a row's padding may have gone to a line of its own)
        padded = split_row(" ".join(text for _, text in part))[1] > 0
        end_padding = split_row(part[-1][1])[1]
        # more cells than columns, or than the table's width leaves room for with the
        # line's padding (a note row's, joined on)
        if len(cells) > len(roles) or (
            width is not None and len(part) == 1 and len(cells) + end_padding > width
        ):
            halves = self.joined_rows(cells, roles, bool(table.rows), end_padding, width)
            if halves:
                where = Location(self.source_name, line, section=self.section().heading)
                start = " ".join(repr(c[:60]) for c in halves[1][:2])
                self.warnings.append(warning("rows-joined", where=where, start=start))
                return [self.add_placed(table, half, line, raw, padded=True) for half in halves]
        if len(cells) > len(roles):
            fitted, problems = fold_extra_cells(cells, len(roles))
            row = build_row(dict(zip(roles, fitted)), roles, line, raw)
            row.problems.extend(problems)
            if not padded:
                row.intact = self.intact_names(cells, list(roles), roles)
            table.rows.append(row)
            return [row]
        if not cells:
            row = build_row({}, roles, line, raw)
            row.problems.append("row has no cells")
            # it wrote nothing, so whatever it is, the rows under it inherit what is above it
            row.passes = {r: "" for r in INHERITED_ROLES if r in roles}
            table.rows.append(row)
            return [row]
        return [self.add_placed(table, cells, line, raw, padded)]

    def add_placed(
        self, table: Table, cells: list[str], line: int, raw: str, padded: bool = True
    ) -> Row:
        """Add the row of ``cells`` (no more than the table's columns), placed by what
        they hold; ``padded``: its line ends with empty cells (none of its names is then
        taken as intact)."""
        roles = table.roles
        options = place(cells, roles, bool(table.rows), self.vocab)
        best = options[0]
        row = build_row(dict(zip(best.roles, cells)), roles, line, raw)
        row.problems.extend(best.misfits)
        if len(options) > 1 and options[1].cost == best.cost and options[1].roles != best.roles:
            row.problems.append(
                "ambiguous: the cells fit columns "
                + ", ".join(best.roles)
                + " as well as "
                + ", ".join(options[1].roles)
            )
        elif not padded:
            row.intact = self.intact_names(cells, list(best.roles), roles)
        table.rows.append(row)
        return row

    def intact_names(self, cells: list[str], placed: list[str], roles: list[str]) -> set[str]:
        """The name roles a (possibly damaged) row wrote intact: when its first cells are
        exactly the table's Source and Destination, all of them, in order, none empty or
        like a Type or a Port, the next cell is a Type and no later cell is one, its damage
        lies after them.  (A row that writes fewer names is one under a merged cell or one
        whose names lost the pipe between them; a second Type may be a second row joined
        on, whose names are what the rows below inherit: nothing tells, so nothing it
        writes is trusted.)"""
        names = [r for r in ENTITY_ROLES if r in roles]
        k = len(names)
        if not k or len(cells) <= k or placed[:k] != names:
            return set()
        if any(not c or classify(c, self.vocab) in ("protocol", "port") for c in cells[:k]):
            return set()
        kinds = [classify(c, self.vocab) for c in cells[k:]]
        return set(names) if kinds[0] == "protocol" and "protocol" not in kinds[1:] else set()

    def single_fault_readings(
        self, cells: list[str], padding: int, width: int, roles: list[str], has_row_above: bool
    ) -> list[dict[str, str]]:
        """Every reading of a row line whose cells and end padding miss the table's width
        by one, as one fault would leave it: the cells as they are (the fault among the
        padding pipes), or, for a separator added, two neighbouring cells joined, or, for
        one lost, a cell split at a space; each reading placed into the columns (ties
        too), kept when no cell is unlike its column and no column was visibly lost.

        >>> r = TextReader("", "x")
        >>> for reading in r.single_fault_readings(["TCP", "22", "Used by", "rsync"], 2, 5,
        ...         ["source", "destination", "type", "port", "details"], True):
        ...     print(reading)
        {'type': 'TCP', 'port': '22 Used by', 'details': 'rsync'}
        {'type': 'TCP', 'port': '22', 'details': 'Used by rsync'}
        """
        total = len(cells) + padding
        if abs(total - width) != 1:
            return []
        # the cells as they are: a padding pipe lost, or one added (then there is padding)
        options = [cells] if total < width or padding > 0 else []
        if total > width:  # a separator added: two cells were one
            options += [
                [*cells[:i], f"{cells[i]} {cells[i + 1]}", *cells[i + 2 :]]
                for i in range(len(cells) - 1)
            ]
        else:  # a separator lost: a cell was two
            for i, cell in enumerate(cells):
                words = cell.split(" ")
                options += [
                    [*cells[:i], " ".join(words[:k]), " ".join(words[k:]), *cells[i + 1 :]]
                    for k in range(1, len(words))
                ]
        readings = []
        for option in options:
            if len(option) > len(roles):
                continue
            kinds = [classify(c, self.vocab) for c in option]
            ranked = place(option, roles, has_row_above, self.vocab, kinds)
            for placement in ranked:
                if placement.cost != ranked[0].cost or math.isinf(placement.cost):
                    break
                if any(misfit(c, r, k) for c, r, k in zip(option, placement.roles, kinds)):
                    continue
                cells_by_role = dict(zip(placement.roles, option))
                if not lost_columns(cells_by_role, self.vocab):
                    readings.append(cells_by_role)
        return readings

    def passes_on(
        self,
        row: Row,
        part: list[tuple[int, str]],
        width: int | None,
        roles: list[str],
        has_row_above: bool,
    ) -> None:
        """Set what a row whose cells and padding miss the table's width passes on to the
        rows below (``Row.passes``): the Source, Destination and Type on which every
        single-fault reading of its line agrees (a value, or none written), said in a
        warning.  The row itself stays rejected."""
        if width is None:
            return
        # the padding of each line (a pipe added at the end of a URL-ended first line)
        cells, padding = self.cells_of(part), sum(split_row(t)[1] for _, t in part)
        readings = self.single_fault_readings(cells, padding, width, roles, has_row_above)
        if not readings:
            return
        inherited = [r for r in INHERITED_ROLES if r in roles]
        row.readings = [{r: reading.get(r, "") for r in inherited} for reading in readings]
        for role in inherited:
            values = {reading.get(role, "") for reading in readings}
            if len(values) == 1:
                row.passes[role] = values.pop()
        if row.passes:
            where = Location(self.source_name, row.line, section=self.section().heading)
            said = ", ".join(
                f"its {role} {value!r}" if value else f"no {role} (the one above it stands)"
                for role, value in row.passes.items()
            )
            self.warnings.append(warning("separator-lost", where=where, agreed=said))

    def flow_at(self, cells: list[str], j: int, prose: bool = False) -> bool:
        """Whether ``cells[j]`` and ``cells[j + 1]`` are a Type and a Port (``prose``: or
        a Type and the prose some rows write for their Port, ``Port non réservé…``), or
        ``cells[j]`` a Type without ports (``ICMP``) and ``cells[j + 1]`` its Details."""
        if classify(cells[j], self.vocab) != "protocol":
            return False
        ports = ("port", "ditto", "prose") if prose else ("port", "ditto")
        return classify(cells[j + 1], self.vocab) in ports or (
            self.vocab.is_portless(type_words(cells[j], self.vocab) or [])
            and classify(cells[j + 1], self.vocab) == "prose"
        )

    def joined_rows(
        self,
        cells: list[str],
        roles: list[str],
        has_row_above: bool,
        padding: int = 0,
        width: int | None = None,
    ) -> list[list[str]] | None:
        """The two rows a line of too many cells holds, when it is two rows joined: both
        halves fit the columns with no cell unlike its column, each writes a Type and a
        Port (or the prose of a Port, then Details), and the second starts with them, or
        with names and then them after a first half that ends with its Details: every
        name of the table (a whole row, after a first half without Details too when its
        cells and the line's end ``padding`` add up to the table's ``width``), or fewer
        when they add up to it (a row under a merged cell; its first name may then be
        the URL of a row a URL cell broke).  The second may be a note row (one cell of
        prose) after a whole flow, and the first a note row that writes names before a
        whole row, where the width says so.  None otherwise (the cheapest split when
        several would do)."""
        best: tuple[float, int] | None = None
        names = len([r for r in ENTITY_ROLES if r in roles])
        for k in range(1, len(cells)):
            first, second = cells[:k], cells[k:]
            if len(first) > len(roles) or len(second) > len(roles):
                continue
            width_says = len(second) + padding == width  # the line's padding is the second's
            # how many names the second half starts with, then a Type and a Port
            written = next(
                (
                    m
                    for m in range(names + 1)
                    if len(second) > m + 1
                    # a Type and a Port, or the prose of one and then Details
                    and (
                        self.flow_at(second, m)
                        or (len(second) > m + 2 and self.flow_at(second, m, prose=True))
                    )
                    # a name may be a protocol's (``Syslog``, ``SNMP``), never a port; a URL
                    # (a Destination the page links) only where the width says so
                    and all(
                        classify(c, self.vocab) not in ("port", "ditto")
                        and (width_says or classify(c, self.vocab) != "url")
                        for c in second[:m]
                    )
                ),
                None,
            )
            # a whole flow: a Type, a Port (or the prose of one) and its Details
            details = any(self.flow_at(first, j, prose=True) for j in range(len(first) - 2))
            # a row a URL cell broke starts with its URL: the first half may end without
            # Details (the URL is no Details of it: the width puts it in the second)
            linked = bool(written) and classify(second[0], self.vocab) == "url"
            # a note row (one cell of prose across the table) after a whole flow
            note = (
                len(second) == 1
                and classify(second[0], self.vocab) == "prose"
                and width_says
                and details
            )
            fits = (
                note
                or written == 0
                or (
                    written is not None
                    and (
                        (written == names and (details or width_says))
                        or (width_says and (details or linked))
                    )
                )
            )
            # a note row that writes names (``A | B | prose… | ||``) before a whole row
            noted = (
                written == names
                and width_says
                and classify(first[-1], self.vocab) == "prose"
                and not any(classify(c, self.vocab) in ("protocol", "port", "ditto") for c in first)
            )
            if not (
                fits
                and (details or noted or any(self.flow_at(first, j) for j in range(len(first) - 1)))
            ):
                continue  # the first half must write a Type and a Port: a flow row
            a = place(first, roles, has_row_above, self.vocab)[0]
            b = place(second, roles, True, self.vocab)[0]
            if a.misfits or b.misfits or math.isinf(a.cost + b.cost):
                continue
            if best is None or a.cost + b.cost < best[0]:
                best = (a.cost + b.cost, k)
        return [cells[: best[1]], cells[best[1] :]] if best else None

    # -- a table collapsed onto one line --------------------------------------------


def read_text(text: str, source_name: str, locale: str, vocab: Vocabulary | None = None) -> Page:
    """The ``Page`` of a text rendering."""
    reader = TextReader(text, source_name, vocab)
    reader.read()
    return reader.page(locale)
