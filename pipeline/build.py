"""The whole pipeline: raw snapshot -> tables -> rules -> ports -> validated -> published.

Input: a snapshot file (text rendering, Markdown source or HTML; recognised from its
content) and an output directory.  Output: the published ``build/`` files and a report
of counts, errata applied and stale, and rejects.  Raises a ``PipelineError`` (located,
with an exit code) on bad input, failed validation or, with ``strict``, stale errata;
nothing is published then.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.detect import decode, detect_form, detect_locale
from pipeline.errata import ERRATA_FILE, load_errata
from pipeline.errors import InputError, Location, StaleErrata, ValidationFailed
from pipeline.ports import PortsResult, ports_frame
from pipeline.publish import publish
from pipeline.raw_manifest import provenance
from pipeline.readers import read_page
from pipeline.rules import rules_frame, sections_document
from pipeline.validate import validate


def reconcile(rules: pd.DataFrame, result: PortsResult) -> dict:
    """Every rule in exactly one of ports, rejects, notes; the counts add up."""
    in_ports = set(result.ports["rule_id"])
    in_rejects = set(result.rejects["rule_id"])
    in_notes = set(result.notes)
    all_rules = set(rules["rule_id"])
    problems = []
    for a, b, sa, sb in ((in_ports, in_rejects, "ports", "rejects"),
                         (in_ports, in_notes, "ports", "notes"),
                         (in_rejects, in_notes, "rejects", "notes")):
        for rid in sorted(a & b):
            problems.append(f"rule {rid} is in both {sa} and {sb}")
    for rid in sorted(all_rules - in_ports - in_rejects - in_notes):
        problems.append(f"rule {rid} is in none of ports, rejects, notes")
    for rid in sorted((in_ports | in_rejects | in_notes) - all_rules):
        problems.append(f"rule {rid} is not a rule of the page")
    counts = {
        "rules": len(rules),
        "rules_in_ports": len(in_ports),
        "rules_rejected": len(in_rejects),
        "rules_notes": len(in_notes),
        "ports": len(result.ports),
    }
    if counts["rules"] != counts["rules_in_ports"] + counts["rules_rejected"] + counts["rules_notes"]:
        problems.append("rules != rules in ports + rejected + notes: " + json.dumps(counts))
    if problems:
        raise ValidationFailed("the counts of the stages do not reconcile", problems)
    return counts


@dataclass
class BuildResult:
    """What a build published: its manifest, and the ports stage's result."""
    manifest: dict
    result: PortsResult


def build(input_path: Path, out: Path, strict: bool = False, locale: str | None = None,
          errata_path: Path = ERRATA_FILE) -> BuildResult:
    """Run every stage from the snapshot ``input_path`` into ``out``; returns the
    manifest and the ports result.

    Raises ``InputError`` (the input cannot be read as a page), ``ValidationFailed`` (a
    stage broke its schema or the counts do not reconcile) or, with ``strict``,
    ``StaleErrata``; nothing is published then.
    """
    name = input_path.name
    try:
        data = input_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the input: {exc.strerror}", Location(str(input_path)),
                         hint="give --input the path of a snapshot") from None
    text = decode(data, str(input_path))
    form = detect_form(text)
    locale = locale or detect_locale(text)
    page = read_page(text, form, str(input_path), locale)
    if not page.tables:
        raise InputError("no port table found (a table starts with a header row such as "
                         "'Source | Destination | Type | Port | Details')",
                         Location(str(input_path)),
                         hint="check that the input is the Citrix communication ports page")
    for table in page.tables:
        if not table.rows:
            raise InputError("the table has a header but no rows (is the input truncated?)",
                             Location(str(input_path), table.line, table.number,
                                      section=table.section.heading))
    rules = validate("rules", rules_frame(page), name)
    errata = load_errata(errata_path)
    result = ports_frame(rules, errata, locale)
    if strict and result.errata_stale:
        raise StaleErrata(
            "errata no longer match any row of the page: " + ", ".join(result.errata_stale),
            Location(str(errata_path)),
            hint="the page changed: review these errata, then update or remove them")
    ports = validate("ports", result.ports, name)
    rejects = validate("rejects", result.rejects, name)
    counts = reconcile(rules, result)
    counts = {"sections": len(page.sections), "tables": len(page.tables), **counts}
    report = {
        "source": {
            "name": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "form": form,
            "locale": locale,
            **provenance(input_path),
        },
        "counts": counts,
        "errata": {
            "applied": {k: sorted(v) for k, v in sorted(result.errata_applied.items())},
            "stale": sorted(result.errata_stale),
        },
    }
    manifest = publish(out, {"rules": rules, "ports": ports, "rejects": rejects},
                       sections_document(page), report)
    return BuildResult(manifest, result)
