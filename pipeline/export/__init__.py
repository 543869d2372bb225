"""Export stage: firewall rules from the published ports and a user's address map.

Input: published ports rows (checked against their schema by ``pipeline.published``)
and an address map.  Output: a rule file in one of ``FORMATS`` and what was not
written, each said: components with no address (never a rule open to any address),
keys of the map that match no component (with the closest names), very wide networks
(refused without ``allow_any``), flows without a port, flows whose IP versions cannot
meet, flows a format cannot express.  One rule per flow, protocol, port range and
direction; identical rules written once, naming every rule id; a bidirectional flow
both ways.  The summary counts the statements written.

Three modules, one job each: ``addresses`` (the map), ``plan`` (the typed rules),
``formats`` (the file of each firewall).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.export.addresses import AddressMap, load_address_map
from pipeline.export.formats import RENDERERS, Options, Rendered
from pipeline.export.plan import Plan, plan, report

FORMATS = tuple(RENDERERS)


@dataclass
class Export:
    """An export: the rendered file, its plan, and every warning, in order."""

    rendered: Rendered
    plan: Plan
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: the statements written and what was left out."""
        p = self.plan
        return (f"{self.rendered.rules} rule(s) written; {p.merged} duplicate(s) merged; "
                f"{len(p.unmapped)} component(s) without address; {len(p.portless)} flow(s) "
                f"without port; {len(p.unmeetable)} flow(s) whose IP versions cannot meet")


def export(rows: list[dict], addresses: AddressMap, fmt: str, source: dict | None = None,
           options: Options = Options()) -> Export:
    """The rule file of ``fmt`` for the ports ``rows`` under ``addresses``.

    Raises ``KeyError`` for an unknown format and ``ValueError`` for a row that is not
    a checked ports row.
    """
    components = sorted({r["source"] for r in rows} | {r["destination"] for r in rows})
    ids = {i for r in rows for i in (r.get("source_id"), r.get("destination_id")) if i}
    if addresses.registry is not None:
        ids |= {m for i in ids for m in addresses.registry.members(i)}
    p = plan(rows, addresses)
    rendered = RENDERERS[fmt](p, source or {}, options)
    warnings = addresses.warnings + addresses.unused_keys(components, ids) + report(p) \
        + rendered.warnings
    return Export(rendered, p, warnings)


__all__ = ["FORMATS", "Export", "Options", "export", "load_address_map"]
