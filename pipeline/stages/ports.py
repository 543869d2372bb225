"""Ports stage: one row per (rule, transport protocol, port or port range).

Input: the ``rules`` DataFrame and the errata.  Output: the ``ports`` DataFrame (its
registry ids left for the identity stage, as errata may change the names), the
``rejects`` DataFrame (rules neither understood nor corrected, with the reason), the
ids of the note rules, and the errata report.  Every rule lands in exactly one of
ports, rejects or notes.

A flow rule is expanded with the grammar (``pipeline.page.grammar``): each transport of its
Type cell times each port range of its Port cell.  A rule is rejected, never guessed,
when its Type is no protocol or cannot be paired with its ports, when its Port cell
cannot be read, when an ICMP rule names ports, when it lacks a source or destination,
or when the reader marked it damaged or ambiguous and no erratum vouches for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from pipeline.catalogue import Notice, warning
from pipeline.core.limits import opens_all_ports
from pipeline.dataset.schema import IDENTITY_COLUMNS, MAX_PORT, columns, frame_records, typed_frame
from pipeline.page.grammar import parse_port, parse_type
from pipeline.page.vocabulary import Vocabulary, load
from pipeline.stages.errata import Erratum, apply_errata, unresolved

PORT_COLUMNS = columns("ports")
REJECT_COLUMNS = columns("rejects")


@dataclass
class PortsResult:
    """What the ports stage makes of the rules: ports, rejects, notes, errata report."""

    ports: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str]
    errata_applied: dict[str, list[str]] = field(default_factory=dict)  # id -> rule ids
    errata_stale: list[str] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)  # rows that open every port
    derived: list[str] = field(default_factory=list)  # note rules that derived flows
    peers: list[dict] = field(default_factory=list)  # service ends given their machine


def all_ports_warnings(ports: list[dict]) -> list[Notice]:
    """A warning, with its line, for each rule whose ports are every port, or so many
    that they count as every port (``opens_all_ports``: 2-65535 is all ports but one):
    the page may mean it, but a firewall rule from it opens the host (``export``
    refuses it without ``--allow-all-ports``)."""
    seen, out = set(), []
    for row in ports:
        if opens_all_ports(row["port_start"], row["port_end"]) and row["rule_id"] not in seen:
            seen.add(row["rule_id"])
            every = row["port_start"] <= 1 and row["port_end"] == MAX_PORT
            out.append(
                warning(
                    "all-ports",
                    line=row["source_line"],
                    section=row["section"],
                    source=row["source"],
                    destination=row["destination"],
                    protocol=row["protocol"],
                    ports=row["port_raw"],
                    extent="every port" if every else "so many ports that it counts as every port",
                )
            )
    return out


def expand(variant: dict, vocab: Vocabulary) -> tuple[list[dict], str]:
    """Port rows of one (corrected) rule, or the reason it cannot be expanded."""
    if not variant["source"] or not variant["destination"]:
        missing = "source" if not variant["source"] else "destination"
        return [], f"the flow has no {missing}"
    for side in ("source", "destination"):
        if not re.search(r"\w", variant[side]):
            return [], f"the {side} {variant[side]!r} is only punctuation, not a name"
    typed = parse_type(variant["type_raw"], vocab)
    if typed.error:
        return [], typed.error
    ported = parse_port(variant["port_raw"], vocab)
    if ported.error:
        return [], ported.error
    rows: list[tuple[str, str, int | None, int | None]] = []
    for protocol, service in typed.protocols:
        if protocol in vocab.portless:  # the vocabulary's transports without ports
            if ported.ranges:
                return [], (
                    f"{protocol.upper()} has no ports, but the Port cell is {variant['port_raw']!r}"
                )
            rows.append((protocol, service, None, None))
        elif ported.ranges:
            rows.extend((protocol, service, a, b) for a, b in ported.ranges)
        else:
            rows.append((protocol, service, None, None))
    return [
        {
            "protocol": p,
            "service": s,
            "port_start": a,
            "port_end": b,
            "bidirectional": ported.bidirectional,
        }
        for p, s, a, b in rows
    ], ""


def ports_frame(
    rules: pd.DataFrame, errata: list[Erratum], locale: str, vocab: Vocabulary | None = None
) -> PortsResult:
    """Every rule into exactly one of ports, rejects or notes, errata applied (those of
    ``locale`` and those of every locale)."""
    vocab = vocab or load()
    active = [e for e in errata if not e.locale or e.locale == locale]
    ports, rejects, notes = [], [], []
    applied_to: dict[str, list[str]] = {e.id: [] for e in active}
    for rule in frame_records(rules):
        variants, applied = apply_errata(rule, active)
        for eid in applied:
            applied_to[eid].append(rule["rule_id"])
        if rule["kind"] == "note" and not applied:
            notes.append(rule["rule_id"])
            continue
        reason = ""
        left = unresolved(rule["problems"], active, applied)
        if left:
            reason = f"the reader marked the row: {'; '.join(left)}"
        expanded: list[dict] = []
        for variant in variants:
            if reason:
                break
            rows, reason = expand(variant, vocab)
            expanded.extend({**variant, **r} for r in rows)
        if reason:
            rejects.append({**{k: rule[k] for k in REJECT_COLUMNS if k in rule}, "reason": reason})
            continue
        for row in expanded:
            row["erratum"] = ",".join(applied)
            row["condition"] = vocab.condition_of(
                " | ".join((row["details"], row["source"], row["destination"])), row["protocol"]
            )
            row["derived_from"] = ""
            ports.append({k: row[k] for k in PORT_COLUMNS if k not in IDENTITY_COLUMNS})
    ports_df = typed_frame("ports", ports).drop_duplicates(
        subset=["rule_id", "protocol", "port_start", "port_end"], keep="first"
    )
    rejects_df = typed_frame("rejects", rejects)
    return PortsResult(
        ports=ports_df.reset_index(drop=True),
        rejects=rejects_df,
        notes=notes,
        errata_applied={k: v for k, v in applied_to.items() if v},
        errata_stale=[k for k, v in applied_to.items() if not v],
        warnings=all_ports_warnings(ports),
    )
