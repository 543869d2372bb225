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


def port_record(
    n: int,
    ends: tuple[str, str, str],
    protocol: str,
    ports: tuple[int | None, int | None],
    *,
    both: bool = False,
    details: str = "d",
    ids: dict | None = None,
) -> dict:
    """One published ports record: rule and row ``n``, ``ends`` (section, source,
    destination), ``ports`` (start, end); ``ids`` maps a name to its registry id."""
    ids = ids or {}
    sec, src, dst = ends
    start, end = ports
    return dict(
        rule_id=f"{n:016x}",
        section=sec,
        source=src,
        destination=dst,
        protocol=protocol,
        service="",
        port_start=start,
        port_end=end,
        bidirectional=both,
        type_raw=protocol.upper(),
        port_raw="" if start is None else str(start),
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


def ports_table(rows, label, ids=None):
    """A ports table of (section, source, destination, protocol, port, details) rows, as
    the published reader gives it; ``ids`` maps a name to its registry id."""
    recs = [
        port_record(n, (sec, src, dst), proto, (port, port), details=details, ids=ids)
        for n, (sec, src, dst, proto, port, details) in enumerate(rows, start=1)
    ]
    return parse(csv_text(recs, columns("ports")), label, "ports")


def plan_rows(*rows: tuple) -> list[dict]:
    """Published ports records from (section, source, destination, protocol, start, end,
    bidirectional) tuples, for the export plan."""
    return [
        port_record(n, (sec, src, dst), p, (a, b), both=both)
        for n, (sec, src, dst, p, a, b, both) in enumerate(rows, start=1)
    ]


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
