"""Reader of the text rendering of the page (what trafilatura makes of the HTML).

Input: the text of a snapshot.  Output: a ``Page`` of sections, tables and rows in the
common table model (``pipeline.model``), with merged cells resolved.

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

The trailing ``||`` padding trafilatura adds (one pipe per absent cell) is only a hint
and is not relied on, except that a line cut short after a URL cell carries none: a URL
line without padding followed by a row line is one row broken in two, joined when the
joined row places better than the two parts.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from pipeline.grammar import is_port_list, type_words
from pipeline.model import ENTITY_ROLES, Page, PageBuilder, Row, Table, resolve_merged_cells
from pipeline.vocabulary import Vocabulary, clean, load, norm

SEPARATOR_CELL = re.compile(r"^:?[-–—─―‐‑_]+:?$")
URL = re.compile(r"(?:https?|ftp)://\S+|^\S*\*\.\S+$", re.IGNORECASE)

# How well a kind of cell fits a column (0 = as expected; higher = less likely).
FIT = {
    "source": {"protocol": 1.5, "port": 4, "url": 1, "prose": 2, "name": 0},
    "destination": {"protocol": 1.5, "port": 4, "url": 0, "prose": 2, "name": 0},
    "type": {"protocol": 0, "port": 5, "url": 5, "prose": 5, "name": 4},
    "port": {"protocol": 5, "port": 0, "url": 5, "prose": 2.5, "name": 2.5},
    "details": {"protocol": 2, "port": 3, "url": 1, "prose": 0, "name": 1},
}
MISSING_MERGED = 0.0  # a leading Source/Destination covered by a merged cell
MISSING_ENTITY_INNER = 2.0  # Source/Destination missing after a present entity cell
MISSING_NO_ROW_ABOVE = 6.0  # nothing above to merge with
MISSING_TYPE = 1.0
MISSING_PORT = 1.0
MISSING_DETAILS = 0.5
PROSE_MIN_WORDS = 9


def fit(role: str, kind: str) -> float:
    """How unlike a column a kind of cell is; unknown extra columns fit like Details."""
    return FIT.get(role, FIT["details"])[kind]


@functools.lru_cache(maxsize=8192)
def classify(text: str, vocab: Vocabulary) -> str:
    """The kind of a cell: protocol, port, url, prose or name."""
    if type_words(text, vocab) is not None:
        return "protocol"
    if is_port_list(text, vocab):
        return "port"
    if URL.search(text) and " " not in text.strip():
        return "url"
    if len(text.split()) >= PROSE_MIN_WORDS or text.rstrip().endswith((".", "!", "?", ":")):
        return "prose"
    return "name"


MISFIT = 3.0  # a cell this unlike its column is reported, whatever placement wins


@dataclass
class Placement:
    roles: tuple[str, ...]  # role of each present cell
    cost: float
    misfits: tuple[str, ...] = ()  # "cell 'x' in column y" for cells unlike their column


def place(cells: list[str], roles: list[str], has_row_above: bool, vocab: Vocabulary,
          kinds: list[str] | None = None) -> list[Placement]:
    """Every placement of ``cells`` into ``roles`` keeping order, cheapest first.

    An empty string is a cell the source wrote empty (Markdown): it takes a column
    but fits any.  ``kinds`` (from ``classify``) may be given when already known.
    """
    if kinds is None:
        kinds = [classify(c, vocab) if c else "" for c in cells]
    placements = []
    for chosen in itertools.combinations(range(len(roles)), len(cells)):
        cost = sum(fit(roles[i], k) for i, k in zip(chosen, kinds) if k)
        first_present = chosen[0] if chosen else len(roles)
        for i, role in enumerate(roles):
            if i in chosen:
                continue
            if role in ENTITY_ROLES:
                if not has_row_above:
                    cost += MISSING_NO_ROW_ABOVE
                elif i > first_present:
                    cost += MISSING_ENTITY_INNER
                else:
                    cost += MISSING_MERGED
            elif role == "type":
                cost += MISSING_TYPE
            elif role == "port":
                cost += MISSING_PORT
            else:
                cost += MISSING_DETAILS
        placements.append(Placement(tuple(roles[i] for i in chosen), cost))
    placements.sort(key=lambda p: p.cost)
    if placements:  # what is wrong with the winner, said in words
        best = placements[0]
        best.misfits = tuple(f"{cells[n]!r} does not look like a {role}"
                             for n, (role, k) in enumerate(zip(best.roles, kinds))
                             if k and fit(role, k) >= MISFIT)
    return placements


def split_row(line: str) -> tuple[list[str], int]:
    """Cells of a text row line and the number of padding pipes at its end."""
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
    return [c for c in cells if c], padding


def header_roles(cells: list[str], vocab: Vocabulary) -> list[str] | None:
    roles = [vocab.role_of_header(c) for c in cells]
    known = [r for r in roles if r]
    if "port" not in known or len(known) < 3 or len(set(known)) != len(known):
        return None
    if roles[0] is None:
        return None
    # Unknown extra columns are folded into Details (see build_row).
    return [r or f"extra:{c}" for r, c in zip(roles, cells)]


def is_separator(line: str) -> bool:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return len(cells) >= 2 and all(SEPARATOR_CELL.match(c) for c in cells if c) and any(cells)


def is_heading(line: str, vocab: Vocabulary) -> bool:
    text = clean(line)
    if not text or "|" in text or len(text) > vocab.heading_max_chars:
        return False
    if len(text.split()) > vocab.heading_max_words:
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[-1] in ".:;,!?-–—…»\"'":
        return False
    if re.search(r"://|[\\<>={}]|\bwww\.", text):
        return False
    first = re.split(r"[\s:]", text, maxsplit=1)[0]
    return norm(first) not in {norm(m) for m in vocab.note_markers}


MAX_CELL_CHARS = 4000  # the page's longest cell is under 700 characters


def build_row(cells_by_role: dict[str, str], roles: list[str], line: int, raw: str) -> Row:
    """A row from its placed cells; unknown columns are folded into Details; a cell over
    ``MAX_CELL_CHARS`` is cut there and the row marked."""
    cells = {r: "" for r in roles if not r.startswith("extra:")}
    extras = []
    problems = []
    for role, text in cells_by_role.items():
        if len(text) > MAX_CELL_CHARS:
            problems.append(f"the {role} cell has {len(text)} characters, more than "
                            f"{MAX_CELL_CHARS}: cut")
            text = text[:MAX_CELL_CHARS]
        if role.startswith("extra:"):
            if text:
                extras.append(f"{role[6:]}: {text}")
        else:
            cells[role] = text
    if extras:
        cells["details"] = " ".join(filter(None, [cells.get("details", "")] + extras))
    return Row(cells=cells, line=line, raw=raw[: 4 * MAX_CELL_CHARS], problems=problems)


class TextReader(PageBuilder):
    form = "text"

    def __init__(self, text: str, source_name: str, vocab: Vocabulary | None = None):
        super().__init__(source_name)
        self.vocab = vocab or load()
        self.lines = text.splitlines()

    def read(self) -> list[Table]:
        i, n = 0, len(self.lines)
        while i < n:
            line = self.lines[i]
            stripped = line.strip()
            if not stripped:
                i += 1
                continue
            cells, _ = split_row(stripped) if "|" in stripped else ([], 0)
            roles = header_roles(cells, self.vocab) if cells else None
            if roles and not stripped.startswith("|") and i + 1 < n and is_separator(self.lines[i + 1]):
                i = self.read_table(i, cells, roles)
                continue
            if stripped.startswith("|") and self.read_flattened(i):
                i += 1
                continue
            if is_heading(stripped, self.vocab):
                self.open_section(clean(stripped), i + 1)
            else:
                self.note(i + 1, clean(stripped))
            i += 1
        return self.tables

    # -- ordinary tables -----------------------------------------------------------

    def read_table(self, start: int, header: list[str], roles: list[str]) -> int:
        table = self.add_table(header, roles, start + 1)
        i = start + 2
        row_lines: list[list[tuple[int, str]]] = []  # physical lines of each row
        while i < len(self.lines) and "|" in self.lines[i] and not self.starts_table(i):
            row_lines.append([(i + 1, self.lines[i])])
            i += 1
        # Join rows broken after a URL cell (the URL ended the line early).
        merged: list[list[tuple[int, str]]] = []
        cut_short = False
        for part in row_lines:
            if cut_short and self.join_better(merged[-1], part, roles):
                merged[-1] = merged[-1] + part
                cut_short = False
                continue
            merged.append(part)
            cells, padding = split_row(part[0][1])
            cut_short = bool(cells) and padding == 0 and classify(cells[-1], self.vocab) == "url"
        for part in merged:
            self.place_row(table, part)
        resolve_merged_cells(table)
        return i

    def starts_table(self, i: int) -> bool:
        cells, _ = split_row(self.lines[i])
        return (header_roles(cells, self.vocab) is not None and i + 1 < len(self.lines)
                and is_separator(self.lines[i + 1]))

    def cells_of(self, part: list[tuple[int, str]]) -> list[str]:
        return [c for _, text in part for c in split_row(text)[0]]

    def join_better(self, first, second, roles) -> bool:
        a, b = self.cells_of(first), self.cells_of(second)
        if len(a) + len(b) > len(roles):
            return False
        joined = place(a + b, roles, True, self.vocab)[0].cost
        apart = place(a, roles, True, self.vocab)[0].cost + place(b, roles, True, self.vocab)[0].cost
        return joined < apart

    def place_row(self, table: Table, part: list[tuple[int, str]]) -> None:
        line = part[0][0]
        raw = "\n".join(text for _, text in part)
        cells = self.cells_of(part)
        roles = table.roles
        if len(cells) > len(roles):
            row = build_row(dict(zip(roles, cells[: len(roles) - 1] + [" | ".join(cells[len(roles) - 1:])])),
                            roles, line, raw)
            row.problems.append(f"row has {len(cells)} cells but the table has {len(roles)} "
                                "columns; the extra cells were folded into the last column")
            table.rows.append(row)
            return
        if not cells:
            row = build_row({}, roles, line, raw)
            row.problems.append("row has no cells")
            table.rows.append(row)
            return
        options = place(cells, roles, bool(table.rows), self.vocab)
        best = options[0]
        row = build_row(dict(zip(best.roles, cells)), roles, line, raw)
        row.problems.extend(best.misfits)
        if len(options) > 1 and options[1].cost == best.cost and options[1].roles != best.roles:
            row.problems.append(
                "ambiguous: the cells fit columns " + ", ".join(best.roles) + " as well as "
                + ", ".join(options[1].roles))
        table.rows.append(row)

    # -- a table collapsed onto one line --------------------------------------------

    def read_flattened(self, index: int) -> bool:
        """Read a Markdown table that reached the page as one line, if the line is one."""
        found = flattened_table(self.lines[index], index + 1, self.vocab)
        if found is None:
            return False
        header, roles, rows = found
        self.add_table(header, roles, index + 1, rows, shape="flattened")
        return True


def flattened_table(text: str, line: int, vocab: Vocabulary
                    ) -> tuple[list[str], list[str], list[Row]] | None:
    """Header, roles and rows of a Markdown table collapsed onto one line of text (as it
    reaches the page when its line breaks were lost), or None if the text is not one.
    Every form's reader uses it: the collapsed table is text in HTML and Markdown too."""
    body_text = text.strip()
    if not body_text.startswith("|"):
        return None
    tokens = body_text.split("|")[1:]
    if tokens and not tokens[-1].strip():
        tokens = tokens[:-1]
    # The header: the leading cells that are header names.
    roles: list[str] = []
    header: list[str] = []
    for tok in tokens:
        role = vocab.role_of_header(tok)
        if not role:
            break
        roles.append(role)
        header.append(clean(tok))
    if not header or header_roles(header, vocab) is None:
        return None
    n = len(roles)
    rest = tokens[n:]
    if rest and not rest[0].strip():
        rest = rest[1:]  # the boundary between the header row and the next
    if len(rest) < n or not all(SEPARATOR_CELL.match(clean(t)) for t in rest[:n] if clean(t)):
        return None
    body = rest[n:]
    if body and not body[0].strip():
        body = body[1:]  # the boundary between the separator row and the first row
    rows = []
    for cells, placement, damage in segment(body, roles, vocab):
        raw = "|" + "|".join(cells) + "|"
        texts = [clean(c) for c in cells]
        row = build_row(dict(zip(placement.roles, texts)), roles, line, raw)
        row.problems.extend(placement.misfits)
        if len(texts) != n:
            damage = damage + [f"row has {len(texts)} cells where the table has {n}; "
                               "placed by content"]
        row.problems.extend(f"damaged: {d}" for d in damage)
        rows.append(row)
    return header, roles, rows


def segment(tokens: list[str], roles: list[str], vocab: Vocabulary
            ) -> list[tuple[list[str], Placement, list[str]]]:
    """Split the cells of a flattened table into rows, and place each row's cells.

    Each row should be ``n`` cells followed by an empty token (the row's closing pipe
    meeting the next row's opening pipe, ``| |``); empty cells are explicit.  Where the
    page damaged a boundary (a lost pipe, a lost cell), the cheapest split is taken by
    dynamic programming: a row of other than ``n`` cells, a boundary without its empty
    token, and cells that fit their columns badly all cost more.
    """
    n, m = len(roles), len(tokens)
    texts = [clean(t) for t in tokens]
    kinds = [classify(t, vocab) if t else "" for t in texts]
    inf = float("inf")
    best = [inf] * (m + 1)
    choice: list[tuple[int, int, Placement, list[str]] | None] = [None] * (m + 1)
    best[0] = 0.0
    for i in range(m):
        if best[i] == inf:
            continue
        for size in range(1, n + 1):
            j = i + size
            if j > m:
                break
            damage = []
            placement = place(texts[i:j], roles, i > 0, vocab, kinds[i:j])[0]
            cost = placement.cost + 3 * (n - size)
            if j == m:
                nxt = m
            elif not tokens[j].strip():
                nxt = j + 1
            else:
                cost += 2
                nxt = j
                damage.append("the pipes between this row and the next were lost")
            if best[i] + cost < best[nxt]:
                best[nxt] = best[i] + cost
                choice[nxt] = (i, j, placement, damage)
    rows = []
    k = m
    while k > 0 and choice[k] is not None:
        i, j, placement, damage = choice[k]
        rows.append((tokens[i:j], placement, damage))
        k = i
    rows.reverse()
    return rows


def read_text(text: str, source_name: str, locale: str, vocab: Vocabulary | None = None) -> Page:
    reader = TextReader(text, source_name, vocab)
    reader.read()
    return reader.page(locale)
