"""Cells of a port table, shared by every reader: what a cell holds, which column it fits,
how a row's cells are placed into columns, and how a row is built.

Input: header cells and row cells (text).  Output: the role of each header column
(``header_roles``), the kind of a cell (``classify``: protocol, port, url, prose,
name), the cheapest order-keeping placement of a short row's cells (``place``), and a
``model.Row`` (``build_row``).  Damage every form can show is handled here once:
``fold_extra_cells`` is the one behaviour for a row with more cells than the header
(the extra cells are folded into the last column and the row is marked), and
``build_row`` cuts cells over ``MAX_CELL_CHARS`` and marks the row.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass

from pipeline.core.bounded import limits
from pipeline.core.normalize import norm
from pipeline.page.grammar import is_port_list, type_words
from pipeline.page.model import ENTITY_ROLES, Row, Table
from pipeline.page.vocabulary import Vocabulary

SEPARATOR_CELL = re.compile(r"^:?[-–—─―‐‑_]+:?$")
URL = re.compile(r"(?:https?|ftp)://\S+|^\S*\*\.\S+$", re.IGNORECASE)

# How well a kind of cell fits a column (0 = as expected; higher = less likely).
# A "ditto" cell (a dash, 〃, idem) means "same as above" in Source or Destination and
# "no port" in Port: it fits all three.
FIT: dict[str, dict[str, float]] = {
    "source": {"protocol": 1.5, "port": 4, "url": 1, "prose": 2, "name": 0, "ditto": 0},
    "destination": {"protocol": 1.5, "port": 4, "url": 0, "prose": 2, "name": 0, "ditto": 0},
    "type": {"protocol": 0, "port": 5, "url": 5, "prose": 5, "name": 4, "ditto": 5},
    "port": {"protocol": 5, "port": 0, "url": 5, "prose": 2.5, "name": 2.5, "ditto": 0},
    "details": {"protocol": 2, "port": 3, "url": 3, "prose": 0, "name": 1, "ditto": 2},
}
MISSING_MERGED = 0.0  # a leading Source/Destination covered by a merged cell
MISSING_ENTITY_INNER = 2.0  # Source/Destination missing after a present entity cell
MISSING_NO_ROW_ABOVE = 6.0  # nothing above to merge with
MISSING_TYPE = 1.0
MISSING_TYPE_WITHOUT_PORT = 2.0  # Type missing while the Port cell holds no port list
MISSING_PORT = 1.0
MISSING_DETAILS = 0.5
PROSE_MIN_WORDS = 9
# Scripts written without spaces (Japanese, Chinese): a cell is prose by its length in
# characters; a sentence may end in 。！？ as well.
PROSE_MIN_WIDE_CHARS = 24
SENTENCE_ENDS = (".", "!", "?", ":", "。", "！", "？", "：")


def wide_chars(text: str) -> int:
    """How many characters of a script written without spaces (East Asian wide or
    full-width) the text holds.

    >>> wide_chars("NTPサーバ"), wide_chars("Serveur NTP")
    (3, 0)
    """
    return sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))


def fit(role: str, kind: str) -> float:
    """How unlike a column a kind of cell is; unknown extra columns fit like Details.

    >>> fit("port", "port"), fit("type", "prose")
    (0, 5)
    """
    return FIT.get(role, FIT["details"])[kind]


@functools.lru_cache(maxsize=8192)
def classify(text: str, vocab: Vocabulary) -> str:
    """The kind of a cell: ditto, protocol, port, url, prose or name (cached per text).

    >>> from pipeline.page.vocabulary import load
    >>> [classify(t, load()) for t in ("TCP, UDP", "49152–65535", "https://x.com", "StoreFront")]
    ['protocol', 'port', 'url', 'name']
    """
    if norm(text) in vocab.placeholders:
        return "ditto"
    if type_words(text, vocab) is not None:
        return "protocol"
    if is_port_list(text, vocab):
        return "port"
    if URL.search(text) and " " not in text.strip():
        return "url"
    if (
        len(text.split()) >= PROSE_MIN_WORDS
        or text.rstrip().endswith(SENTENCE_ENDS)
        or wide_chars(text) >= PROSE_MIN_WIDE_CHARS
    ):
        return "prose"
    return "name"


MISFIT = 3.0  # a cell this unlike its column is reported, whatever placement wins
MAX_PLACEMENT_STEPS = int(limits()["reader"]["max_placement_steps"])


@dataclass(frozen=True)
class Placement:
    """Where the cells of a row go: one role per present cell, and what it costs."""

    roles: tuple[str, ...]  # role of each present cell
    cost: float
    misfits: tuple[str, ...] = ()  # "cell 'x' in column y" for cells unlike their column


def misfit(text: str, role: str, kind: str) -> str:
    """The problem of a cell too unlike its column ("" when it fits well enough)."""
    return f"{text!r} does not look like a {role}" if kind and fit(role, kind) >= MISFIT else ""


def misfits(cells_by_role: dict[str, str], vocab: Vocabulary) -> list[str]:
    """The problems of the cells of a row whose columns the source spells out (Markdown,
    HTML): the same marks the text reader gives a placed row, so the forms agree.

    >>> from pipeline.page.vocabulary import load
    >>> misfits({"source": "A", "type": "Citrix Gateway", "port": "443"}, load())
    ["'Citrix Gateway' does not look like a type"]
    """
    found = []
    for role, text in cells_by_role.items():
        if text:
            problem = misfit(text, role, classify(text, vocab))
            if problem:
                found.append(problem)
    return found


def repeats_header(cells: list[str], header: list[str]) -> bool:
    """Whether a body row is the table's header written again (long tables repeat it):
    the same words in the same columns, case and spaces aside.  Such a row is no rule.

    >>> repeats_header(["Source", "destination ", "Type"], ["Source", "Destination", "Type"])
    True
    >>> repeats_header(["Source", "B", "TCP"], ["Source", "Destination", "Type"])
    False
    """
    return len(cells) == len(header) and all(
        norm(c).casefold() == norm(h).casefold() for c, h in zip(cells, header)
    )


SHORT_FIT = 1.0  # in a row short of cells, every cell must fit its column this well


def short_row(
    cells_by_role: dict[str, str], written: int, columns: int, vocab: Vocabulary
) -> list[str]:
    """The problem of a row that writes fewer cells than its table has columns (Markdown,
    HTML: where a cell was lost, the cells after it moved left): none when each cell it
    writes fits its column closely (a row that only left its last cells out), else the
    row is marked, naming the first cell out of place.

    >>> from pipeline.page.vocabulary import load
    >>> short_row({"destination": "C", "type": "TCP", "port": "443"}, 4, 5, load())
    []
    >>> short_row({"destination": "C", "type": "TCP", "port": "Traps from ADC"}, 4, 5, load())
    ["the row has 4 cells where the table has 5, and 'Traps from ADC' does not look like a port: a cell is missing and the cells after it moved"]
    """
    if written >= columns:
        return []
    for role, text in cells_by_role.items():
        if text and fit(role, classify(text, vocab)) > SHORT_FIT:
            return [
                f"the row has {written} cells where the table has {columns}, and {text!r} "
                f"does not look like a {role}: a cell is missing and the cells after it moved"
            ]
    return []


def place(
    cells: list[str],
    roles: list[str],
    has_row_above: bool,
    vocab: Vocabulary,
    kinds: list[str] | None = None,
) -> tuple[Placement, ...]:
    """Every placement of ``cells`` into ``roles`` keeping order, cheapest first.

    An empty string is a cell the source wrote empty (Markdown): it takes a column
    but fits any.  ``kinds`` (from ``classify``) may be given when already known.
    """
    if kinds is None:
        kinds = [classify(c, vocab) if c else "" for c in cells]
    return placed(tuple(cells), tuple(roles), has_row_above, tuple(kinds))


@functools.lru_cache(maxsize=4096)
def placed(
    cells: tuple[str, ...], roles: tuple[str, ...], has_row_above: bool, kinds: tuple[str, ...]
) -> tuple[Placement, ...]:
    """``place`` for cells whose kinds are known (cached: a reading of a page tries the
    same cells again, and pages read again are mostly the same)."""
    placements = ranked(kinds, roles, has_row_above)
    if not placements:
        return ()
    (chosen, cost), rest = placements[0], placements[1:]
    if cost == math.inf:
        said: tuple[str, ...] = (
            f"the row has {len(cells)} cells for {len(roles)} columns: "
            "too many ways to place them, read left to right",
        )
    else:  # what is wrong with the winner, said in words
        said = tuple(
            filter(
                None,
                (misfit(cells[n], role, k) for n, (role, k) in enumerate(zip(chosen, kinds))),
            )
        )
    return (Placement(chosen, cost, said), *(Placement(c, k) for c, k in rest))


def ranked(
    kinds: tuple[str, ...], roles: tuple[str, ...], has_row_above: bool
) -> tuple[tuple[tuple[str, ...], float], ...]:
    """Every order-keeping placement of cells of ``kinds`` into ``roles`` with its cost,
    cheapest first (what ``place`` ranks: it depends on the kinds only, so it is cached).

    A row with more placements than the limits allow (``max_placement_steps``: a damaged
    table thousands of columns wide) gets one, left to right, at an infinite cost, so the
    cost of reading stays linear in the row.

    >>> ranked(("name", "port"), ("source", "destination", "port"), True)[0]
    (('destination', 'port'), 0.0)
    >>> ranked(("name",) * 98, ("details",) * 100, True)[0][1]
    inf
    """
    if math.comb(len(roles), len(kinds)) * max(1, len(roles)) > MAX_PLACEMENT_STEPS:
        return ((roles[: len(kinds)], math.inf),)
    return all_placements(kinds, roles, has_row_above)


@functools.lru_cache(maxsize=4096)
def all_placements(
    kinds: tuple[str, ...], roles: tuple[str, ...], has_row_above: bool
) -> tuple[tuple[tuple[str, ...], float], ...]:
    """The placements of ``ranked``, every one of them, cheapest first (cached)."""
    out = []
    for chosen in itertools.combinations(range(len(roles)), len(kinds)):
        cost = sum(fit(roles[i], kinds[n]) if kinds[n] else 0 for n, i in enumerate(chosen))
        first_present = chosen[0] if chosen else len(roles)
        present = set(chosen)
        for i, role in enumerate(roles):
            if i in present:
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
                # a Type is merged from above only for a row that has a port: a cell placed
                # in Port that is no port list makes that reading unlikely
                port_kind = next(
                    (kinds[n] for n, i_ in enumerate(chosen) if roles[i_] == "port"), None
                )
                if port_kind not in (None, "port", "ditto", ""):
                    cost += MISSING_TYPE_WITHOUT_PORT
            elif role == "port":
                cost += MISSING_PORT
            else:
                cost += MISSING_DETAILS
        out.append((tuple(roles[i] for i in chosen), cost))
    out.sort(key=lambda p: p[1])
    return tuple(out)


WORD_SPLIT = re.compile(r"[\s,;/|()\[\]]+")
NUMBER = re.compile(r"^\d{1,5}$")


def flow_words(text: str, vocab: Vocabulary) -> tuple[bool, bool]:
    """Whether a text names a protocol word, and whether it holds a port-like number.

    >>> from pipeline.page.vocabulary import load
    >>> flow_words("Director TCP 80; 443", load()), flow_words("Serveur StoreFront", load())
    ((True, True), (False, False))
    """
    words = [w for w in WORD_SPLIT.split(text) if w]
    protocol = any(norm(w) in vocab.protocol_words for w in words)
    number = any(NUMBER.match(w) for w in words)
    return protocol, number


ROW_WORD_SPLIT = re.compile(r"[\s,;/|]+")


def looks_like_row(text: str, vocab: Vocabulary) -> bool:
    """True for prose that reads like a table row that lost its ``|``: a protocol word
    next to a port number ("Director TCP 80; 443 …"), not inside parentheses.

    >>> from pipeline.page.vocabulary import load
    >>> looks_like_row("Director TCP 80; 443 Accès", load())
    True
    >>> looks_like_row("l’interface du port 443 (HTTPS) du Connector Appliance.", load())
    False
    """
    words = [w for w in ROW_WORD_SPLIT.split(text) if w]
    for i, word in enumerate(words):
        if norm(word) in vocab.protocol_words:
            near = words[max(0, i - 1) : i] + words[i + 1 : i + 2]
            if any(NUMBER.match(w) for w in near):
                return True
    return False


def lost_columns(cells_by_role: dict[str, str], vocab: Vocabulary) -> list[str]:
    """The problems of a row whose cells show that a cell separator was lost or a row was
    broken in two (checked on the cells the row itself writes, in every form):

    * neither Type nor Port, but a Source or Destination that names a protocol or a port;
    * neither Type, Port nor Details: a fragment of a row;
    * no Type, but a cell beside it names a transport (``DNS TCP, UDP``);
    * a Type that names TCP or UDP, but no Port at all (``S/O`` says "no port").

    >>> from pipeline.page.vocabulary import load
    >>> lost_columns({"source": "A", "destination": "DNS TCP, UDP", "port": "53"}, load())
    ["the row has no Type, but its destination 'DNS TCP, UDP' names a transport: a cell separator (|) was lost?"]
    >>> lost_columns({"source": "A", "destination": "B", "type": "TCP"}, load())
    ["the row names 'TCP' but has no Port (a page says 'no port' in words): a row broken in two?"]
    """
    type_cell, port = cells_by_role.get("type", ""), cells_by_role.get("port", "")
    if not type_cell and not port:
        for role in ENTITY_ROLES:
            text = cells_by_role.get(role, "")
            if text and any(flow_words(text, vocab)):
                return [
                    f"the row has no Type or Port, but its {role} {text!r} names a "
                    "protocol or a port: a cell separator (|) was lost?"
                ]
        details = cells_by_role.get("details", "")
        if not details and any(cells_by_role.values()):
            return ["the row has neither Type, Port nor Details: a row broken in two?"]
        first = next(iter(WORD_SPLIT.split(details.strip())), "")
        if first and (norm(first) in vocab.protocol_words or NUMBER.match(first)):
            return [
                f"the row has no Type or Port, but its details start with {first!r}: a "
                "cell separator (|) was lost?"
            ]
        return []
    if not type_cell:
        for role, text in cells_by_role.items():
            if (
                role != "details"
                and text
                and any(norm(w) in vocab.transports for w in WORD_SPLIT.split(text) if w)
            ):
                return [
                    f"the row has no Type, but its {role} {text!r} names a transport: a "
                    "cell separator (|) was lost?"
                ]
    if type_cell and not port:
        words = [w for w in vocab.type_split_re.split(type_cell) if w and w.strip()]
        kinds = {vocab.transports.get(norm(w)) or vocab.applications.get(norm(w)) for w in words}
        if kinds & {"tcp", "udp"}:
            return [
                f"the row names {type_cell!r} but has no Port (a page says 'no port' in "
                "words): a row broken in two?"
            ]
    return []


def header_roles(cells: list[str], vocab: Vocabulary) -> list[str] | None:
    """The role of each header cell, or None when the header is not a port table's.

    A port table names a Port column and at least two other known columns, each once,
    and its first column is a known one; an unknown column gets the role
    ``extra:<header>`` and its cells are folded into Details (``build_row``).
    """
    roles = [vocab.role_of_header(c) for c in cells]
    known = [r for r in roles if r]
    if "port" not in known or len(known) < 3 or len(set(known)) != len(known):
        return None
    if roles[0] is None:
        return None
    return [r or f"extra:{c}" for r, c in zip(roles, cells)]


def fold_extra_cells(cells: list[str], columns: int) -> tuple[list[str], list[str]]:
    """A row's cells fitted to the table's columns, and the problem to record.

    Trailing empty cells beyond the header are dropped silently (Markdown and HTML
    write them); other extra cells are folded into the last column, joined by ``|``,
    and the row is marked, in every form alike.

    >>> fold_extra_cells(["a", "b", "TCP", "80", "d", "extra"], 5)[0]
    ['a', 'b', 'TCP', '80', 'd | extra']
    >>> fold_extra_cells(["a", "b", "", ""], 3)
    (['a', 'b', ''], [])
    """
    if len(cells) <= columns:
        return list(cells), []
    extra = [c for c in cells[columns:] if c]
    if not extra:
        return list(cells[:columns]), []
    problem = (
        f"row has more cells than the table's {columns} columns; the extra cells "
        "were folded into the last column"
    )
    last = " | ".join(c for c in [cells[columns - 1]] + extra if c)
    return list(cells[: columns - 1]) + [last], [problem]


MAX_CELL_CHARS = int(limits()["reader"]["max_cell_chars"])  # the page's longest: < 700


def build_row(cells_by_role: dict[str, str], roles: list[str], line: int, raw: str) -> Row:
    """A row from its placed cells; unknown columns are folded into Details; a cell over
    ``MAX_CELL_CHARS`` is cut there and the row marked."""
    cells = {r: "" for r in roles if not r.startswith("extra:")}
    extras = []
    problems = []
    for role, text in cells_by_role.items():
        if len(text) > MAX_CELL_CHARS:
            problems.append(
                f"the {role} cell has {len(text)} characters, more than {MAX_CELL_CHARS}: cut"
            )
            text = text[:MAX_CELL_CHARS]
        if role.startswith("extra:"):
            if text:
                extras.append(f"{role[6:]}: {text}")
        else:
            cells[role] = text
    if extras:
        cells["details"] = " ".join(filter(None, [cells.get("details", "")] + extras))
        if len(cells["details"]) > MAX_CELL_CHARS:
            problems.append(
                f"the details cell, with {len(extras)} unknown columns folded "
                f"into it, has {len(cells['details'])} characters, more than "
                f"{MAX_CELL_CHARS}: cut"
            )
            cells["details"] = cells["details"][:MAX_CELL_CHARS]
    return Row(cells=cells, line=line, raw=raw[: 4 * MAX_CELL_CHARS], problems=problems)


class RowChecks:
    """What every reader does to a finished row (mixed into each reader)."""

    vocab: Vocabulary

    def prepare_row(self, row: Row) -> None:
        """A Source or Destination that is only a ditto mark (``-``, ``〃``, ``idem``…)
        is emptied, so that it is read as merged from the row above."""
        for role in ENTITY_ROLES:
            if norm(row.cells.get(role, "")) in self.vocab.placeholders:
                row.cells[role] = ""

    explicit_cells = False  # the form writes every cell (Markdown, HTML): not placed

    def check_row(self, row: Row, table: Table) -> list[str]:
        """A row with neither Type nor Port that names a protocol or port is damaged
        (checked on the cells the row itself writes, before merged cells are filled);
        in a form that writes every cell, a cell unlike its column is marked as the text
        reader marks a placed one."""
        problems = []
        if self.explicit_cells and table.shape == "table":  # a flattened one was placed
            problems += misfits(
                {r: t for r, t in row.cells.items() if r not in row.inherited}, self.vocab
            )
            row.moved = row.moved or bool(problems)
        return problems + lost_columns(row.cells, self.vocab)


NAME_KINDS = ("name", "url", "ditto")
MIN_SHARE = 0.6  # share of a column's cells that must be of one kind to give it its role


def infer_roles(
    header: list[str], rows: list[list[str]], vocab: Vocabulary
) -> tuple[list[str] | None, str]:
    """Roles of the columns of a table whose header words the vocabulary does not know,
    from what the cells hold: the column of protocol words is Type, the column of port
    lists is Port, the name columns before them are Source and Destination (one alone is
    the Destination, as in the page's Service tables), the first column after them is
    Details.  ``rows`` are rows whose cells are in their columns (every cell written).

    Returns ``(roles, "")``, or ``(None, reason)``: ``reason`` starts with "ambiguous"
    when the table holds protocols and ports but its columns cannot be told apart (two
    port-like columns, say), and with "not a port table" when it holds none.

    >>> from pipeline.page.vocabulary import load
    >>> infer_roles(["Bron", "Doel", "Soort", "Poort", "Omschrijving"],
    ...             [["A", "B", "TCP", "80", "web"], ["A", "C", "UDP", "53", "dns"]], load())
    (['source', 'destination', 'type', 'port', 'details'], '')
    """
    n = len(header)
    kinds = [[classify(r[j], vocab) for r in rows if j < len(r) and r[j]] for j in range(n)]

    def share(j: int, wanted: tuple[str, ...]) -> float:
        return sum(k in wanted for k in kinds[j]) / len(kinds[j]) if kinds[j] else 0.0

    types = [j for j in range(n) if share(j, ("protocol",)) >= MIN_SHARE]
    ports = [j for j in range(n) if share(j, ("port",)) >= MIN_SHARE]
    if len(ports) > 1 and not types:
        which = [header[j] for j in ports]
        return None, (
            f"ambiguous: the columns {', '.join(map(repr, which))} all hold port "
            "lists and none holds protocol words"
        )
    if not types or not ports:
        return None, "not a port table: no column holds " + (
            "protocol words" if not types else "port lists"
        )
    if len(types) > 1 or len(ports) > 1 or types == ports:
        which = [header[j] for j in sorted(set(types + ports))]
        return None, (
            f"ambiguous: the columns {', '.join(map(repr, which))} all hold protocols "
            "or ports; which is the Type and which the Port cannot be told"
        )
    t, p = types[0], ports[0]
    roles: list[str | None] = [None] * n
    roles[t], roles[p] = "type", "port"
    before = [j for j in range(min(t, p)) if share(j, NAME_KINDS) >= MIN_SHARE]
    if not before:
        return None, "ambiguous: no column before the Type and Port names the components"
    if len(before) == 1:
        roles[before[0]] = "destination"
    else:
        roles[before[0]], roles[before[1]] = "source", "destination"
    after = [j for j in range(max(t, p) + 1, n) if kinds[j]]
    if after:
        roles[after[0]] = "details"
    return [r or f"extra:{h}" for r, h in zip(roles, header)], ""


def complete_roles(
    header: list[str], roles: list[str], rows: list[list[str]], vocab: Vocabulary
) -> list[str] | None:
    """A header only partly in the vocabulary: the roles its known words leave without a
    column (the Type, say) given to its unknown columns by what they hold, when the
    content agrees with every known word; None when nothing was completed.

    >>> from pipeline.page.vocabulary import load
    >>> complete_roles(["Origem", "Destino", "Tipo", "Porta"],
    ...                ["source", "destination", "extra:Tipo", "port"],
    ...                [["A", "B", "TCP", "80"], ["A", "C", "UDP", "53"]], load())
    ['source', 'destination', 'type', 'port']
    """
    extras = [j for j, r in enumerate(roles) if r.startswith("extra:")]
    if not extras or "type" in roles:
        return None
    inferred, _ = infer_roles(header, rows, vocab)
    if inferred is None:
        return None
    if any(r != inferred[j] for j, r in enumerate(roles) if not r.startswith("extra:")):
        return None  # the content says otherwise than the known words: not guessed
    done = list(roles)
    for j in extras:
        if not inferred[j].startswith("extra:") and inferred[j] not in roles:
            done[j] = inferred[j]
    return done if "type" in done else None


def inferred_said(header: list[str], roles: list[str], vocab: Vocabulary) -> str:
    """What the warning of a table whose columns were recognised by their content says
    (after where it is)."""
    unknown = [h for h in header if not vocab.role_of_header(h)]
    named = ", ".join(f"{h} = {r}" for h, r in zip(header, roles) if not r.startswith("extra:"))
    return (
        f"the header words {', '.join(map(repr, unknown))} are not in the vocabulary; the "
        f"columns were recognised by what they hold: {named}"
    )
