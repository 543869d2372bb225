"""Query stage: ask the published ports questions.

Input: a published ``ports.csv`` (a build directory or the file) and filters.  Output:
the matching rows, in the dataset's order, as an aligned table for a terminal, CSV or
JSON.

Names match case- and accent-insensitively, as substrings: ``storefront`` finds
``Serveur StoreFront``, ``controleur`` finds ``Contrôleur de domaine``.  A component
matches the source, the destination or the section; ``--from`` / ``--to`` look at one
side only.  ``--port N`` matches a row whose range holds N.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline import published
from pipeline.grammar import port_range
from pipeline.normalize import fold


@dataclass
class Filters:
    """The questions of ``citrix-ports query``; a row must answer all that are set."""

    component: str | None = None
    source: str | None = None
    destination: str | None = None
    port: int | None = None
    protocol: str | None = None
    section: str | None = None
    ranges: bool = False  # only rows whose ports are a range of several ports

    def match(self, row: dict) -> bool:
        """True when the row answers every filter set."""
        if self.component:
            c = fold(self.component)
            if not any(c in fold(str(row.get(k) or "")) for k in ("source", "destination", "section")):
                return False
        if self.source and fold(self.source) not in fold(row["source"]):
            return False
        if self.destination and fold(self.destination) not in fold(row["destination"]):
            return False
        if self.section and fold(self.section) not in fold(row["section"]):
            return False
        if self.protocol and row["protocol"] != self.protocol.lower():
            return False
        if self.port is not None:
            start, end = row["port_start"], row["port_end"]
            if start is None or not start <= self.port <= end:
                return False
        if self.ranges and (row["port_start"] is None or row["port_start"] == row["port_end"]):
            return False
        return True


def load_ports(spec: Path) -> list[dict]:
    """The published ports of a build directory or ``ports.csv``, checked against their
    schema (``InputError`` / ``DataError`` otherwise)."""
    return published.read(spec, "ports").rows


def query(rows: list[dict], filters: Filters) -> list[dict]:
    """The rows that answer the filters, in the dataset's order."""
    return [r for r in rows if filters.match(r)]


def shown_ports(row: dict) -> str:
    """The ports of a row as the query table shows them: the range, else the Port cell
    as written ("S/O"), else nothing for ICMP."""
    if row["port_start"] is None:
        return row["port_raw"] if row["protocol"] != "icmp" else ""
    return port_range(row["port_start"], row["port_end"])


TABLE_COLUMNS = ("section", "source", "destination", "protocol", "ports", "service", "both ways")


def render_table(rows: list[dict], width: int = 40) -> str:
    """Rows as an aligned table for a terminal, long cells cut at ``width``."""
    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = [TABLE_COLUMNS]
    for r in rows:
        lines.append((cut(r["section"]), cut(r["source"]), cut(r["destination"]), r["protocol"],
                      cut(shown_ports(r)), r["service"], "yes" if r["bidirectional"] else ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_COLUMNS))]
    out = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
           for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


FORMATS = ("table", "csv", "json")


def render(rows: list[dict], fmt: str) -> str:
    """Rows in one of ``FORMATS``."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from pipeline.published import csv_text
        from pipeline.schema import columns

        return csv_text(rows, columns("ports"))
    return render_table(rows)
