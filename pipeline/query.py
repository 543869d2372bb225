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
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.diff import DiffError, parse_csv
from pipeline.errors import InputError, Location
from pipeline.grammar import port_range


def fold(text: str) -> str:
    """Comparison form: no accents, case-folded, white space collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split()).casefold()


@dataclass
class Filters:
    component: str | None = None
    source: str | None = None
    destination: str | None = None
    port: int | None = None
    protocol: str | None = None
    section: str | None = None
    ranges: bool = False  # only rows whose ports are a range of several ports

    def match(self, row: dict) -> bool:
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
    path = spec / "ports.csv" if spec.is_dir() else spec
    try:
        version = parse_csv(path.read_text("utf-8"), str(path), "ports")
    except OSError as exc:
        raise InputError(f"cannot read the ports: {exc.strerror}", Location(str(path)),
                         hint="run `make` first, or give --data a build directory") from None
    except DiffError as exc:
        raise InputError(exc.message, Location(str(path))) from None
    return version.rows


def query(rows: list[dict], filters: Filters) -> list[dict]:
    return [r for r in rows if filters.match(r)]


def ports_text(row: dict) -> str:
    if row["port_start"] is None:
        return row["port_raw"] if row["protocol"] != "icmp" else ""
    return port_range(row["port_start"], row["port_end"])


TABLE_COLUMNS = ("section", "source", "destination", "protocol", "ports", "service", "both ways")


def render_table(rows: list[dict], width: int = 40) -> str:
    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = [TABLE_COLUMNS]
    for r in rows:
        lines.append((cut(r["section"]), cut(r["source"]), cut(r["destination"]), r["protocol"],
                      cut(ports_text(r)), r["service"], "yes" if r["bidirectional"] else ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_COLUMNS))]
    out = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
           for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from pipeline.publish import csv_text
        from pipeline.validate import table_schema

        return csv_text(rows, [f["name"] for f in table_schema("ports")["fields"]])
    return render_table(rows)
