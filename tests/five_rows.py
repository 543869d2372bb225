"""Five-row tables written by hand, for the unit tests of one rule: rules frames for the
ports stage and its errata, ports tables for the diff and the published-table reader.

Input: the rows, as tuples.  Output: the rules frame, or the ports table as the published
reader gives it.
"""

from __future__ import annotations

from pipeline.dataset.published import csv_text, parse
from pipeline.dataset.schema import columns, typed_frame
from pipeline.stages.rules import rule_id

BASE = [
    ("Sec", "A", "B", "tcp", 80, "web"),
    ("Sec", "A", "B", "tcp", 443, "web"),
    ("Sec", "A", "Licence", "tcp", 27000, "lic"),
    ("Sec", "C", "Licence", "tcp", 7279, "lic"),
    ("Sec", "C", "D", "udp", 53, "dns"),
]


def ports_table(rows, label, ids=None):
    """Ports rows; ``ids`` maps a name to its registry id (else the id is empty)."""
    ids = ids or {}
    recs = []
    for n, (sec, src, dst, proto, port, details) in enumerate(rows, start=1):
        recs.append(
            dict(
                rule_id=f"{n:016x}",
                section=sec,
                source=src,
                destination=dst,
                protocol=proto,
                service="",
                port_start=port,
                port_end=port,
                bidirectional=False,
                type_raw=proto.upper(),
                port_raw=str(port),
                details=details,
                table=1,
                row=n,
                source_line=n,
                erratum="",
                condition="",
                derived_from="",
                section_id=ids.get(sec, ""),
                source_id=ids.get(src, ""),
                destination_id=ids.get(dst, ""),
            )
        )
    return parse(csv_text(recs, columns("ports")), label, "ports")


def rules(*rows: tuple) -> object:
    """A rules frame from (section, source, destination, type, port, details) tuples."""
    records = []
    for n, (section, src, dst, typ, port, details) in enumerate(rows, start=1):
        rec = dict(
            section=section,
            section_path=section,
            table=1,
            row=n,
            source=src,
            destination=dst,
            type_raw=typ,
            port_raw=port,
            details=details,
            kind="flow" if typ or port else "note",
            source_inherited=False,
            destination_inherited=False,
            type_inherited=False,
            problems="",
            source_line=n + 2,
        )
        rec["rule_id"] = rule_id(rec)
        records.append(rec)
    return typed_frame("rules", records)
