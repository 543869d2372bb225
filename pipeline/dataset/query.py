"""Query stage: ask the published ports questions.

Input: the published ports (a build directory, ``ports.csv`` or ``ports.parquet``) and
filters.  Output: the matching rows, in the dataset's order, as a table that fits the
terminal, CSV or JSON; or, when nothing matches, the closest names.

Names match case- and accent-insensitively, as substrings: ``storefront`` finds
``Serveur StoreFront``, ``controleur`` finds ``Contrôleur de domaine``; with the
component registry they also match by id or by any alias in any language
(``storefront`` and ``StoreFront Server`` find ``Serveur StoreFront`` on the French
page), and a name that denotes several components matches each of them.  A component
matches the source, the destination or the section; ``--from`` / ``--to`` look at one
side only, and a bidirectional flow answers them both ways.  ``--port`` takes a port, a
list or a range (``443,80``, ``1494-2598``) and matches a row whose range meets it.
Standard library only: asking a question imports neither pandas nor pyarrow (unless the
input is Parquet).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.core.nearest import nearest
from pipeline.core.normalize import fold
from pipeline.core.shown import escaped
from pipeline.dataset import published
from pipeline.dataset.schema import MAX_PORT, port_range

PortRanges = list[tuple[int, int]]


def parse_ports(text: str) -> PortRanges:
    """Ports, lists and ranges as the ``--port`` option takes them.

    >>> parse_ports("443,80"), parse_ports("1494-2598")
    ([(443, 443), (80, 80)], [(1494, 2598)])

    Raises ``ValueError`` for anything else (a word, a port above 65535, a reversed range).
    """
    ranges = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(\d+)(?:\s*(?:-|\.\.)\s*(\d+))?", part)
        if not m:
            raise ValueError(f"{part!r} is not a port or a range (443, 80,443, 1494-2598)")
        start, end = int(m.group(1)), int(m.group(2) or m.group(1))
        if end > MAX_PORT or start > end:
            raise ValueError(f"{part!r} is not a range of ports 0-{MAX_PORT}")
        ranges.append((start, end))
    if not ranges:
        raise ValueError("no port given")
    return ranges


def asked(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """A filter's values as a tuple: a repeated option gives several, any of which may
    match (``--from storefront --from director``)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class Kinded(Protocol):
    """A registry entry as the readers see it: its kind (``component``, ``any``…)."""

    @property
    def kind(self) -> str:
        """``component``, ``service``, ``any``…"""
        ...


class NameRegistry(Protocol):
    """What the readers of published data ask the component registry: this layer may
    not import it, and ``pipeline.registry.components.Registry`` is one."""

    @property
    def components(self) -> Mapping[str, Kinded]:
        """Every entry by id."""
        ...

    def exact(self, text: str) -> frozenset[str]:
        """The component ``text`` is, whole: an id or a whole name."""
        ...

    def resolve(self, text: str) -> frozenset[str]:
        """The components a person may mean by ``text``."""
        ...

    def stands_for(self, cid: str) -> frozenset[str]:
        """The ids a row's end ``cid`` stands for."""
        ...

    def english(self, eid: str, what: str = "component") -> str:
        """The English name of an id."""
        ...

    def section_id(self, name: str) -> str:
        """The id of a section heading."""
        ...


def end_matches(
    text: str, name: str, cid: str, registry: NameRegistry | None = None, whole: bool = False
) -> bool:
    """Whether a row's end (``name`` as the page writes it, registry id ``cid``) is what
    a person means by ``text``.  An id means that component only (``sta`` is the STA,
    never a name holding those letters), and with ``whole`` so does a whole name of the
    registry; otherwise a part of the name (case and accents ignored; the whole name
    with ``whole``), or,
    with the registry, a component some of whose names hold ``text``.  A component
    also answers for a name it is a member of, and every Citrix server component for
    "any Citrix component".

    >>> end_matches("controleur", "Contrôleur de domaine", "")
    True
    >>> end_matches("controleur", "Contrôleur de domaine", "", whole=True)
    False
    """
    if registry is not None and (whole or text in registry.components):
        exact = registry.exact(text)
        if exact:
            return fold(text) == fold(name) or stands_for_any(exact, cid, registry)
    if whole:
        return fold(text) == fold(name)
    if fold(text) in fold(name):
        return True
    if not registry or not cid:
        return False
    meant = registry.resolve(text)
    if not meant and fold(text) in fold(registry.english(cid)):
        return True
    return stands_for_any(meant, cid, registry)


def stands_for_any(meant: frozenset[str], cid: str, registry: NameRegistry) -> bool:
    """Whether the end ``cid`` is one of the components ``meant``: itself, a member of
    one of them, or a group one of them belongs to (never "any Citrix component" for
    its members)."""
    if not cid:
        return False
    return bool(meant & registry.stands_for(cid)) or any(
        cid in registry.stands_for(m) and registry.components[m].kind != "any"
        for m in meant
        if m in registry.components
    )


def section_matches(
    text: str, section: str, sid: str, registry: NameRegistry | None = None
) -> bool:
    """Whether a row's section is what ``text`` means: a part of its name, its id, or
    (with the registry) an alias or its English name."""
    if fold(text) in fold(section) or (sid and text == sid):
        return True
    if not registry or not sid:
        return False
    return registry.section_id(text) == sid or fold(text) in fold(registry.english(sid, "section"))


@dataclass
class Filters:
    """The questions of ``citrix-ports query``; a row must answer all that are set.
    ``source``, ``destination`` and ``section`` take one text or several (any of them)."""

    component: str | None = None
    source: str | tuple[str, ...] | None = None
    destination: str | tuple[str, ...] | None = None
    ports: PortRanges | None = None
    protocol: str | None = None
    section: str | tuple[str, ...] | None = None
    ranges: bool = False  # only rows whose ports are a range of several ports
    registry: NameRegistry | None = None  # names also match by id and by alias
    whole: bool = False  # names match whole, never a part (export's --from, --to, --host)
    without: tuple[str, ...] = ()  # conditions whose flows are left out (--without)

    def match(self, row: dict) -> bool:
        """True when the row answers every filter set.

        >>> f = Filters(source="vda", ports=[(80, 80)])
        >>> f.match({"source": "DC", "destination": "VDA", "section": "S", "protocol": "tcp",
        ...          "port_start": 80, "port_end": 80, "bidirectional": True})
        True
        """
        if self.component:
            c = fold(self.component)
            if (
                fold(self.component) not in fold(row["section"])
                and not self.end(self.component, row, "source")
                and not self.end(self.component, row, "destination")
                and c
            ):
                return False
        if (self.source or self.destination) and not self.sides(row):
            return False
        if self.section and not any(
            section_matches(s, row["section"], row.get("section_id") or "", self.registry)
            for s in asked(self.section)
        ):
            return False
        if self.protocol and row["protocol"] != self.protocol.lower():
            return False
        if self.without and row.get("condition") in self.without:
            return False
        if self.ports is not None:
            start, end = row["port_start"], row["port_end"]
            if start is None or not any(a <= end and start <= b for a, b in self.ports):
                return False
        return not (
            self.ranges and (row["port_start"] is None or row["port_start"] == row["port_end"])
        )

    def end(self, text: str, row: dict, side: str) -> bool:
        """Whether the row's ``side`` is what ``text`` means (``end_matches``)."""
        return end_matches(
            text, str(row.get(side) or ""), row.get(f"{side}_id") or "", self.registry, self.whole
        )

    def sides(self, row: dict) -> bool:
        """``--from`` / ``--to`` in the row's direction, or reversed for a flow both ways."""

        def fits(src: str, dst: str) -> bool:
            return (not self.source or any(self.end(s, row, src) for s in asked(self.source))) and (
                not self.destination or any(self.end(d, row, dst) for d in asked(self.destination))
            )

        return fits("source", "destination") or (
            bool(row["bidirectional"]) and fits("destination", "source")
        )

    def unmatched(self, rows: list[dict]) -> list[str]:
        """The values asked that match no row of ``rows`` at all (a typo, a component
        the data lacks): each is an error, with the closest names (``closest``)."""
        out = []
        for text in asked(self.source) + asked(self.destination):
            if not any(self.end(text, r, side) for r in rows for side in ("source", "destination")):
                out.append(text)
        for text in asked(self.section):
            if not any(
                section_matches(text, r["section"], r.get("section_id") or "", self.registry)
                for r in rows
            ):
                out.append(text)
        return out


def check_conditions(asked: tuple[str, ...], rows: list[dict]) -> None:
    """``InputError`` for a ``--without`` condition no flow of ``rows`` carries (a typo
    would otherwise leave out nothing, silently), with the conditions the data has."""
    from pipeline.errors import InputError

    known = sorted({r.get("condition") or "" for r in rows} - {""})
    unknown = [c for c in asked if c not in known]
    if unknown:
        raise InputError(
            f"--without {', '.join(map(repr, unknown))}: no flow of the data has "
            f"{'this condition' if len(unknown) == 1 else 'these conditions'}",
            hint=f"the data's conditions: {', '.join(known) or 'none'} (the condition column)",
        )


def load_ports(spec: Path) -> list[dict]:
    """The published ports of a build directory, ``ports.csv`` or ``ports.parquet``,
    checked against their schema (``InputError`` / ``DataError`` otherwise)."""
    if spec.suffix == ".parquet":
        return published.read_parquet(spec, "ports").rows
    return published.read(spec, "ports").rows


def query(rows: list[dict], filters: Filters) -> list[dict]:
    """The rows that answer the filters, in the dataset's order."""
    return [r for r in rows if filters.match(r)]


def english_names(rows: list[dict], registry: NameRegistry) -> list[dict]:
    """Rows with the registry's English names for the section, source and destination
    (``--names en``); a name without an id stays as the page writes it."""
    out = []
    for r in rows:
        r = dict(r)
        for name, what in (
            ("section", "section"),
            ("source", "component"),
            ("destination", "component"),
        ):
            r[name] = registry.english(r.get(f"{name}_id") or "", what) or r[name]
        out.append(r)
    return out


def unmatched_message(unmatched: list[str]) -> str:
    """The error for names the data does not have: ``'x' matches no component…``."""
    verb = "matches" if len(unmatched) == 1 else "match"
    return f"{', '.join(map(repr, unmatched))} {verb} no component or section of the data"


def closest(rows: list[dict], filters: Filters) -> list[str]:
    """When nothing matches: for each name asked, the closest names and ids of the data
    (an id one letter off, ``licence-server``, is answered ``license-server``)."""
    names = sorted(
        {r[end] for r in rows for end in ("source", "destination")}
        | {r.get(f"{end}_id") or "" for r in rows for end in ("source", "destination")} - {""}
    )
    sections = sorted(
        {r["section"] for r in rows} | {r.get("section_id") or "" for r in rows} - {""}
    )
    hints = []
    wanted = (  # (text, the names it may be, whether it names an end, a section)
        [(filters.component, names + sections, True, True)]
        + [(a, names, True, False) for a in asked(filters.source) + asked(filters.destination)]
        + [(a, sections, False, True) for a in asked(filters.section)]
    )
    for text, pool, an_end, a_section in wanted:
        if not text:
            continue
        folded = {fold(n): n for n in pool}
        if filters.registry is not None and (  # ids match too: a name the data has is no typo
            an_end
            and any(
                Filters(registry=filters.registry, whole=filters.whole).end(text, r, side)
                for r in rows
                for side in ("source", "destination")
            )
            or a_section
            and any(
                section_matches(text, r["section"], r.get("section_id") or "", filters.registry)
                for r in rows
            )
        ):
            continue
        whole = filters.whole and an_end
        found = [n for n in folded if fold(text) in n]
        if found and whole:
            hints.append(
                f"names are matched whole here; {text!r} is a part of "
                + ", ".join(repr(folded[n]) for n in found[:5])
                + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            )
        elif not found:
            near = nearest(text, pool)
            hints.append(
                f"no name matches {text!r}"
                + (f"; did you mean {', '.join(map(repr, near))}?" if near else "")
            )
    return hints


def shown_ports(row: dict) -> str:
    """The ports of a row as the query table shows them: the range, else the Port cell
    as written ("S/O"), else nothing for ICMP."""
    if row["port_start"] is None:
        return row["port_raw"] if row["protocol"] != "icmp" else ""
    return port_range(row["port_start"], row["port_end"])


# Columns of the table format: header, how to get the cell, whether it may wrap.
TABLE_COLUMNS = {
    "section": ("section", lambda r: r["section"], True),
    "source": ("source", lambda r: r["source"], True),
    "destination": ("destination", lambda r: r["destination"], True),
    "protocol": ("protocol", lambda r: r["protocol"], False),
    "ports": ("ports", shown_ports, True),
    "service": ("service", lambda r: r["service"], False),
    "both": ("both ways", lambda r: "yes" if r["bidirectional"] else "", False),
    "details": ("details", lambda r: r["details"], True),
    "line": ("line", lambda r: str(r["source_line"]), False),
    "rule": ("rule", lambda r: r["rule_id"], False),
}
DEFAULT_COLUMNS = ("source", "destination", "protocol", "ports", "both", "details")


def column_widths(natural: list[int], wraps: list[bool], width: int) -> list[int]:
    """Widths that fit ``width`` (two spaces between columns): columns that do not wrap
    keep their natural width; the others share the rest fairly (a column that needs less
    than its share gives the rest to the others), never below 8.

    >>> column_widths([10, 60, 3, 40], [True, True, False, True], 60)
    [10, 20, 3, 21]
    """
    widths = list(natural)
    room = width - 2 * (len(widths) - 1) - sum(w for w, wrap in zip(natural, wraps) if not wrap)
    open_ = sorted((i for i, wrap in enumerate(wraps) if wrap), key=lambda i: natural[i])
    while open_:
        share = max(8, room // len(open_))
        i = open_[0]
        if natural[i] <= share:  # needs less than its share: takes what it needs
            widths[i] = natural[i]
        else:  # every column left needs more than the share: split evenly
            for k, j in enumerate(open_):
                widths[j] = max(8, room // len(open_) + (1 if k < room % len(open_) else 0))
            break
        room -= widths[i]
        open_.pop(0)
    return widths


def render_table(
    rows: list[dict], columns: tuple[str, ...] = DEFAULT_COLUMNS, width: int | None = None
) -> str:
    """Rows as a table for a terminal: the chosen columns, long cells wrapped so that the
    table fits ``width`` (default: the terminal's, else 100)."""
    if not width:
        import shutil  # here: only a table for a terminal asks its width

        width = shutil.get_terminal_size((100, 24)).columns
    specs = [TABLE_COLUMNS[c] for c in columns]
    cells = [[escaped(get(r)) for _, get, _ in specs] for r in rows]
    natural = [max([len(h)] + [len(c[i]) for c in cells]) for i, (h, _, _) in enumerate(specs)]
    widths = column_widths(natural, [w for _, _, w in specs], width)
    out = [
        "  ".join(h.ljust(widths[i]) for i, (h, _, _) in enumerate(specs)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in cells:
        wrapped = [
            textwrap.wrap(text, w, break_long_words=True) or [""] for text, w in zip(row, widths)
        ]
        for k in range(max(len(w) for w in wrapped)):
            out.append(
                "  ".join(
                    (w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)
                ).rstrip()
            )
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


FORMATS = ("table", "csv", "json")


def render(
    rows: list[dict],
    fmt: str,
    columns: tuple[str, ...] = DEFAULT_COLUMNS,
    spreadsheet: bool = False,
) -> str:
    """Rows in one of ``FORMATS`` (CSV and JSON keep every column)."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from pipeline.dataset.published import csv_text
        from pipeline.dataset.schema import columns as schema_columns

        return csv_text(rows, schema_columns("ports"), spreadsheet=spreadsheet)
    return render_table(rows, columns)
