"""``citrix-ports components``: the components of a build, as a person writing an address
map needs them.

Input: the published ``components`` table of a build (and its ``ports``, to restrict the
list to some sections).  Output: the components (id, English name, kind, flows, the
names the page uses), as a table, CSV, JSON, or a YAML address map skeleton keyed by id
with every entry commented out, so that nothing is mapped until a person gives it
addresses.  Standard library only.
"""

from __future__ import annotations

import json

from pipeline.core.normalize import fold
from pipeline.core.shown import printable
from pipeline.core.wording import counted


def listing(components: list[dict], ports: list[dict], section: str | None = None) -> list[dict]:
    """The components, or with ``section`` those the flows of the matching sections name
    (their ``flows`` counted in those sections only)."""
    if not section:
        return components
    wanted = fold(section)
    chosen = [p for p in ports if wanted in fold(p["section"]) or wanted == p.get("section_id")]
    flows: dict[str, set[str]] = {}
    by_id = {c["component_id"]: c for c in components}
    for p in chosen:
        for side in ("source_id", "destination_id"):
            cid = p.get(side)
            if not cid or cid not in by_id:
                continue
            for member in [cid, *by_id[cid]["members"].split()]:
                flows.setdefault(member, set()).add(p["rule_id"])
    return [
        {**c, "flows": len(flows[c["component_id"]])}
        for c in components
        if c["component_id"] in flows
    ]


def render_table(rows: list[dict]) -> str:
    """For a terminal: id, kind, flows, English name, then the page's names."""
    width = max([len(r["component_id"]) for r in rows] + [2])
    out = [f"{'id'.ljust(width)}  {'kind':9}  flows  name (page names)"]
    for r in rows:
        names = f" ({r['page_names']})" if r["page_names"] and r["page_names"] != r["name"] else ""
        members = f" = {' + '.join(r['members'].split())}" if r["members"] else ""
        out.append(
            f"{r['component_id'].ljust(width)}  {r['kind']:9}  {r['flows']:5}  "
            f"{r['name']}{names}{members}"
        )
    out.append(f"({len(rows)} component{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render_csv(rows: list[dict]) -> str:
    """As the published CSV."""
    from pipeline.dataset.published import csv_text
    from pipeline.dataset.schema import columns

    return csv_text(rows, columns("components"))


def render_json(rows: list[dict]) -> str:
    """As the published JSON."""
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def render_yaml(rows: list[dict]) -> str:
    """An address map skeleton: one commented entry per component that can have an
    address (services and compound names left out), keyed by id.  Every value is one
    line of printable text (``printable``): a hand-edited ``components.csv`` cannot
    write a live key."""
    out = [
        "# citrix-ports address map skeleton (citrix-ports components --format yaml).",
        "# Uncomment the components you have and give each its addresses or CIDRs; a",
        "# component left out gets no rule, only a warning.  Keys are registry ids: the",
        "# same map works on the page in any language.",
        "components:",
    ]
    for r in rows:
        if r["kind"] == "service" or r["members"]:
            continue
        names = f"; on the page: {r['page_names']}" if r["page_names"] else ""
        out.append(
            "  # " + printable(f"{r['name']} ({r['kind']}, {counted(r['flows'], 'flow')}{names})")
        )
        out.append(f"  # {printable(r['component_id'])}: [192.0.2.1]")
    return "\n".join(out) + "\n"


FORMATS = {"table": render_table, "csv": render_csv, "json": render_json, "yaml": render_yaml}
