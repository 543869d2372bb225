"""Identity stage: the registry's ids for the names of the page, and the components table.

Input: rules or ports records (section, source and destination as the page writes them)
and the component registry (``pipeline.registry.components``).  Output: the same records with
``section_id``, ``source_id`` and ``destination_id`` (empty where the registry does not
know the name), a warning for each unknown name with the line it is first on, and the
``components`` table of a build: one row per component its flows name (and per member
of a name that denotes several), with its English name, kind, family, members, the
names this page uses for it and its number of flows.

An unknown name is normal when the page adds a component: it is kept, with an empty
id, and named in the warnings and the manifest; ``build --strict`` fails on it so that
CI asks for a registry update.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.catalogue import Notice, warning
from pipeline.registry.components import Registry

__all__ = ["Unknown", "identify", "components_table"]


RULES = (
    "alias",
    "name",
    "rename",
    "abbreviation",
    "words",
    "plural",
    "qualifier",
    "inferred",
)  # registry.Registry.found
REVIEW = {
    "words": "its words in another order",
    "plural": "its words in the singular",
    "qualifier": "its name without the qualifier",
}


@dataclass
class Unknown:
    """Names of the page the registry does not know: (what, name) -> first line, lines;
    and how the known ones were found: (what, name) -> (rule, id, first line)."""

    first_line: dict[tuple[str, str], int] = field(default_factory=dict)
    lines: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    found: dict[tuple[str, str], tuple[str, str, int]] = field(default_factory=dict)
    evidence: dict[tuple[str, str], Any] = field(default_factory=dict)  # inferred ids

    def known(self, what: str, name: str, rule: str, eid: str, line: int) -> None:
        """Note how a name found its id (the first line it is on)."""
        self.found.setdefault((what, name), (rule, eid, line))

    def by_rule(self) -> dict[str, int]:
        """How many distinct names each rule found, for the manifest."""
        counts = dict.fromkeys(RULES, 0)
        for rule, _, _ in self.found.values():
            counts[rule] += 1
        return counts

    def review(self) -> list[Notice]:
        """A warning per name whose id a heuristic found (words in another order, a
        qualifier left out): to review, and record as an alias when right."""
        return [
            warning("id-by-heuristic", line=line, what=what, name=name, id=eid, rule=REVIEW[rule])
            for (what, name), (rule, eid, line) in sorted(
                self.found.items(), key=lambda kv: (kv[1][2], kv[0])
            )
            if rule in REVIEW
        ]

    def inferred(self, inference) -> None:
        """A name the previous build gave an id (``pipeline.stages.infer``): no longer
        unknown, found by ``inferred``."""
        key = ("component", inference.name)
        line = self.first_line.pop(key, 0)
        self.lines.pop(key, None)
        self.found[key] = ("inferred", inference.id, line)
        self.evidence[key] = inference

    def inferred_warnings(self, previous) -> list[Notice]:
        """A warning per inferred id, with the pairs of lines that show it."""
        out = []
        for (what, name), inference in sorted(self.evidence.items()):
            shown = ", ".join(f"{new}~{old}" for new, old in inference.pairs[:8])
            more = f" (+{len(inference.pairs) - 8})" if len(inference.pairs) > 8 else ""
            out.append(
                warning(
                    "id-inferred",
                    line=self.found[(what, name)][2],
                    what=what,
                    name=name,
                    id=inference.id,
                    previous=previous,
                    names=" / ".join(map(repr, inference.previous_names)),
                    count=len(inference.pairs),
                    pairs=f"{shown}{more}",
                )
            )
        return out

    def add(self, what: str, name: str, line: int) -> None:
        """Note a line that names ``name`` (a component or a section) unknown."""
        self.first_line.setdefault((what, name), line)
        self.lines.setdefault((what, name), set()).add(line)

    def warnings(self) -> list[Notice]:
        """One warning per unknown name, with its first line and row count."""
        return [
            warning(
                "unknown-name", line=line, what=what, name=name, count=len(self.lines[(what, name)])
            )
            for (what, name), line in sorted(self.first_line.items(), key=lambda kv: (kv[1], kv[0]))
        ]

    def counts(self) -> dict[str, int]:
        """How many distinct unknown names, per kind, for the manifest."""
        return {
            "components": sum(1 for w, _ in self.first_line if w == "component"),
            "sections": sum(1 for w, _ in self.first_line if w == "section"),
        }


def identify(rows: list[dict], registry: Registry, unknown: Unknown | None = None) -> list[dict]:
    """The rows with their ids (new dicts; the rows given are not changed); unknown
    names are added to ``unknown``.  An empty name (a column the table lacks) has an
    empty id and is no unknown name.

    >>> from pipeline.registry.components import Registry
    >>> r = Registry.from_data({"section": {"s": {"name": "S", "aliases": {"en": ["S"]}}},
    ...     "component": {"vda": {"name": "VDA", "kind": "component", "family": "F",
    ...                           "aliases": {"en": ["VDA"]}}}})
    >>> identify([{"section": "S", "source": "vda", "destination": "X", "source_line": 3}], r)[0]
    {'section': 'S', 'source': 'vda', 'destination': 'X', 'source_line': 3, 'section_id': 's', 'source_id': 'vda', 'destination_id': ''}
    """
    out = []
    for row in rows:
        line = row["source_line"]
        sid, rule = registry.section_found(row["section"])
        ids = {"section_id": sid}
        if unknown is not None:
            if sid:
                unknown.known("section", row["section"], rule, sid, line)
            else:
                unknown.add("section", row["section"], line)
        for side in ("source", "destination"):
            name = row[side] or ""
            cid, rule = registry.component_found(name) if name else ("", "")
            if name and unknown is not None:
                if cid:
                    unknown.known("component", name, rule, cid, line)
                else:
                    unknown.add("component", name, line)
            ids[f"{side}_id"] = cid
        out.append({**row, **ids})
    return out


def components_table(
    rules: list[dict], ports: list[dict], registry: Registry, unknown: Unknown | None = None
) -> list[dict]:
    """The components of a build, by id: English name, kind, family, members, the names
    this page uses for it (rules and ports, page order), how each of those names found
    the id (``unknown.found``: the rule of ``Registry.found``, or ``inferred``) and its
    flows (the rules of the ports table that name it, or a name it is a member of, at
    either end)."""
    names: dict[str, list[str]] = {}
    flows: dict[str, set[str]] = {}
    for row in [*rules, *ports]:
        for side in ("source", "destination"):
            cid = row[f"{side}_id"]
            if not cid:
                continue
            for member in {cid, *registry.members(cid)}:
                names.setdefault(member, [])
                flows.setdefault(member, set())
            if row[side] not in names[cid]:
                names[cid].append(row[side])
    for row in ports:
        for side in ("source", "destination"):
            cid = row[f"{side}_id"]
            if cid:
                for member in {cid, *registry.members(cid)}:
                    flows[member].add(row["rule_id"])
    table = []
    for cid in sorted(names):
        entry = registry.components[cid]
        table.append(
            {
                "component_id": cid,
                "name": entry.name,
                "kind": entry.kind,
                "family": entry.family,
                "members": " ".join(entry.members),
                "page_names": " | ".join(names[cid]),
                "found_by": " | ".join(
                    unknown.found[("component", n)][0]
                    if unknown and ("component", n) in unknown.found
                    else registry.component_found(n)[1]
                    for n in names[cid]
                ),
                "flows": len(flows[cid]),
            }
        )
    return table
