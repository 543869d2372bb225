"""Rows marked only for what they inherit from a damaged row, settled by the previous build.

Input: the page as read (a row the text reader marked only because it inherits a cell
from a damaged row whose single-fault readings differ carries ``Row.maybe``: its values
under each reading) and the rules of the previous build (its page's rows as read, before
errata rewrote any; its ports rows where it has no rules).  Output: the page with each
such row whose cells the previous build published under exactly one of those readings
given those values and unmarked, and a warning for each naming its line, the values taken
and the damaged row's readings.  Where no reading, or more than one, matches the previous
build, the row stays marked (rejected): history confirms a reading, it never guesses one.
Without a previous build, ``without_history`` gives the warning that names such rows and
says how to settle them.
"""

from __future__ import annotations

from pipeline.catalogue import Notice, warning
from pipeline.errors import Location
from pipeline.page.model import INHERITED_ROLES, Page

KEY = ("source", "destination", "type", "port", "details")  # a row's cells, as published
PUBLISHED = ("source", "destination", "type_raw", "port_raw", "details")  # the same, there


def key(section: str, cells: dict[str, str]) -> tuple:
    """What a row is compared by: its section and cells (as ``PUBLISHED`` in a build)."""
    return (section, *(cells.get(c, "") for c in KEY))


def settle_from_previous(page: Page, previous: list[dict]) -> tuple[list[Notice], list[dict]]:
    """Settle the rows of ``page`` that the previous build confirms (in place); the
    warnings, and what was settled (for ``manifest.json`` → ``settled``: the section,
    the lines, the values taken and how many ways the damaged row above them reads)."""
    seen = {(r["section"], *(str(r.get(c) or "") for c in PUBLISHED)) for r in previous}
    taken: dict[tuple, list[int]] = {}  # (section, values, readings) -> the rows' lines
    for table in page.tables:
        for row in table.rows:
            if not row.maybe:
                continue
            matching = [
                values
                for values in row.maybe
                if key(table.section.heading, {**row.cells, **values}) in seen
            ]
            if len(matching) != 1:
                continue
            row.cells.update(matching[0])
            row.problems.clear()
            group = (table.section.heading, tuple(matching[0].items()), len(row.maybe))
            taken.setdefault(group, []).append(row.line)
    warnings = last_rows(page, seen)
    records = []
    for (section, values, ways), lines in taken.items():
        records.append(
            {"section": section, "lines": lines, "values": dict(values), "readings": ways}
        )
        said = ", ".join(f"{role} {value!r}" for role, value in values)
        where = Location(page.source_name, lines[0], section=section)
        also = f" (and lines {', '.join(map(str, lines[1:]))})" if lines[1:] else ""
        warnings.append(
            warning("settled-by-previous", where=f"{where}{also}", ways=ways, said=said)
        )
    return warnings, records


def without_history(page: Page) -> list[Notice]:
    """For a build without a previous one: a warning naming the rows rejected only for
    what they inherit from a damaged row, which a previous build could settle ([] when
    there are none)."""
    lines = [row.line for table in page.tables for row in table.rows if row.maybe]
    if not lines:
        return []
    shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if lines[10:] else "")
    return [
        warning("rejected-for-inheritance", source=page.source_name, count=len(lines), lines=shown)
    ]


def last_rows(page: Page, seen: set[tuple]) -> list[Notice]:
    """Mark each table's last row (never padded, so a separator it gained or lost goes
    unseen) that is no row of the previous build as read but is one under another
    single-fault reading of its line (``Row.readings``): a ``|`` added inside a name
    reads as a Source of its own.  The warnings."""
    warnings = []
    for table in page.tables:
        if not table.rows or table.rows[-1].problems or not table.rows[-1].readings:
            continue
        row = table.rows[-1]
        above = table.rows[-2].cells if len(table.rows) > 1 else {}
        section = table.section.heading
        if key(section, row.cells) in seen:
            continue
        others = [  # a Source, Destination or Type not written is the one above
            {r: (v or above.get(r, "")) if r in INHERITED_ROLES else v for r, v in reading.items()}
            for reading in row.readings
        ]
        confirmed = [o for o in others if key(section, {**row.cells, **o}) in seen]
        if not confirmed:
            continue
        said = ", ".join(
            f"{role} {value!r}"
            for role, value in confirmed[0].items()
            if value != row.cells.get(role, "")
        )
        row.problems.append(
            "the table's last row (never padded) is no row of the previous build as read, "
            f"but it is one with {said}: a cell separator lost or added?"
        )
        where = Location(page.source_name, row.line, section=table.section.heading)
        warnings.append(warning("last-row-differs", where=where, said=said))
    return warnings
