"""Export stage: firewall rules from the published ports and a user's address map.

Input: published ports rows (checked against their schema by ``pipeline.dataset.published``),
an address map and a selection (``--host``, ``--from``, ``--to``).  Output: a rule file
in one of ``FORMATS``, one short summary that adds up (rules written; every ports row
written or left out, by reason, with counts) and the details (``explain``): components
with no address (never a rule open to any address), keys of the map that match no
component of the dataset (with the closest names), what each pattern and "any Citrix
component" stood for, flows without a port, flows whose IP versions cannot meet, flows
a format cannot express, port ranges wider than ``wide_range``.  A rule that opens
every port is refused unless ``allow_all_ports``.  One rule per flow, protocol, port
range and direction; identical rules written once, naming every rule id; a
bidirectional flow both ways, each direction belonging to the host at its own end.

One module per job: ``addresses`` (the map), ``zones`` (its zones), ``plan`` (the typed
rules), ``formats`` (what every rule file shares), and a module per format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from pipeline.core.limits import opens_all_ports
from pipeline.errors import InputError
from pipeline.export.addresses import AddressMap, limits, load_address_map
from pipeline.export.aws_sg import render_aws_sg
from pipeline.export.formats import Options, Rendered
from pipeline.export.iptables import render_ip6tables, render_iptables
from pipeline.export.nftables import render_nftables
from pipeline.export.plan import (
    NO_SELECTION,
    NOT_SELECTED,
    WRITTEN,
    Plan,
    Selection,
    plan,
    report,
)
from pipeline.export.windows import render_windows


def render_terraform(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """Terraform for AWS, Azure or Google Cloud (``pipeline.export.terraform``, imported
    only for it)."""
    from pipeline.export.terraform import render_terraform as render

    return render(p, source, options)


def render_aerleon(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """An aerleon policy and what aerleon compiles from it (``pipeline.export.aerleon``,
    imported only for it)."""
    from pipeline.export.aerleon import render_aerleon as render

    return render(p, source, options)


# The formats, one line each: the command line's choices come from here.
RENDERERS = {
    "nftables": render_nftables,
    "iptables": render_iptables,
    "ip6tables": render_ip6tables,
    "aws-sg": render_aws_sg,
    "windows": render_windows,
    "terraform": render_terraform,
    "aerleon": render_aerleon,
}
FORMATS = tuple(RENDERERS)


@dataclass
class Export:
    """An export: the rendered file, its plan, the details and the wide ranges."""

    rendered: Rendered
    plan: Plan
    warnings: list[str] = field(default_factory=list)  # about the map: always shown
    details: list[str] = field(default_factory=list)  # per flow: --explain
    wide: list[str] = field(default_factory=list)  # ranges wider than the limit

    def outcome(self) -> Counter:
        """What became of each ports row: written, or the reason it was not."""
        written_ids = {
            i for r in self.plan.rules if r not in self.rendered.skipped for i in r.rule_ids
        }
        skipped_ids = {i for r in self.rendered.skipped for i in r.rule_ids} - written_ids
        out: Counter = Counter()
        for status, rid in zip(self.plan.status, self.plan.row_ids):
            if status == WRITTEN and rid in skipped_ids:
                status = "not expressible in this format (other IP version)"
            out[status] += 1
        return out

    def summary(self) -> str:
        """A few short lines: the statements written, every ports row accounted for."""
        p = self.plan
        outcome = self.outcome()
        rows = sum(outcome.values())
        left = [f"{n} {reason}" for reason, n in sorted(outcome.items()) if reason != WRITTEN]
        lines = [
            f"{self.rendered.rules} rule(s) written from {outcome[WRITTEN]} of {rows} "
            f"flow row(s) ({p.merged} duplicate(s) merged)"
            + (f"; left out: {', '.join(left)}" if left else "")
        ]
        if self.wide:
            lines.append(
                f"{len(self.wide)} rule(s) open more than "
                f"{limits()['ports']['wide_range']} ports: " + ", ".join(sorted(set(self.wide)))
            )
        if self.details:
            lines.append(f"{len(self.details)} detail(s): rerun with --explain to see them")
        return "\n".join(lines)


def elsewhere_notes(refs: list[dict], addresses: AddressMap, registry, url: str = "") -> list[str]:
    """For each sentence of the page that sends the reader elsewhere for a product's ports
    (``published.ports_elsewhere``), when a component the map gives belongs to that
    product (its family or section, as the registry says): a line naming the product and
    where its ports are (the link made absolute against the page's ``url``)."""
    from urllib.parse import urljoin

    from pipeline.core.normalize import name_key

    mapped = [registry.components[c] for c in addresses.by_id() if c in registry.components]
    out = []
    for ref in refs:
        product = name_key(ref["product"])
        section = registry.sections.get(ref["section_id"]) if ref["section_id"] else None
        owners = sorted(
            e.id
            for e in mapped
            if (e.family and name_key(e.family) in product)
            or (section is not None and e.family == section.name)
        )
        targets = [k["target"] for k in ref["links"] if not k["target"].startswith("#")]
        if not owners or (ref["links"] and not targets):  # a link within this page: here
            continue
        where = ", ".join(urljoin(url, t) if url else t for t in targets) or (
            f"the page says so at line {ref['line']} ({ref['section']}), without the link"
        )
        out.append(
            f"note: the ports of {ref['product']} ({', '.join(owners)} in the map) are on "
            f"another page: {where}"
        )
    return sorted(set(out))


def all_ports(rule) -> bool:
    """Whether a rule opens every port of its protocol, or so many that it counts as
    every port (``opens_all_ports``)."""
    return opens_all_ports(rule.port_start, rule.port_end)


def by_zones(p: Plan, addresses: AddressMap, selection: Selection) -> Plan:
    """The plan's rules from and to the zones asked (``--from-zone``, ``--to-zone``)."""
    zones = addresses.zones
    if not zones:
        raise InputError(
            "--from-zone and --to-zone need zones in the address map",
            hint="add a zones: section (zone name -> keys of components:), as in "
            "examples/address-map.yaml",
        )
    unknown = [z for z in selection.from_zones + selection.to_zones if z not in zones.names]
    if unknown:
        raise InputError(
            f"{', '.join(map(repr, unknown))} is no zone of the address map",
            hint=f"its zones: {', '.join(zones.names)}",
        )
    sources, destinations = selection.from_zones, selection.to_zones
    kept = [
        piece
        for rule in p.rules
        for zs, zd, piece in zones.split(rule)
        if zs and zd and (not sources or zs in sources) and (not destinations or zd in destinations)
    ]
    ids = {i for r in kept for i in r.rule_ids}
    status = [
        NOT_SELECTED if s == WRITTEN and rid not in ids else s
        for s, rid in zip(p.status, p.row_ids)
    ]
    return replace(p, rules=kept, status=status)


def export(
    rows: list[dict],
    addresses: AddressMap,
    fmt: str,
    *,
    source: dict | None = None,
    options: Options = Options(),
    selection: Selection = NO_SELECTION,
    allow_all_ports: bool = False,
) -> Export:
    """The rule file of ``fmt`` for the ports ``rows`` under ``addresses``.

    ``addresses`` is bound to the whole dataset first (``AddressMap.bind``), else to
    ``rows``.  Raises ``KeyError`` for an unknown format, ``ValueError`` for a row that
    is not a checked ports row, ``InputError`` for a rule that opens every port
    (without ``allow_all_ports``).
    """
    if not addresses.ends:
        addresses.bind(addresses.registry, rows)
    p = plan(rows, addresses, selection)
    if selection.from_zones or selection.to_zones:
        p = by_zones(p, addresses, selection)
    every = [r for r in p.rules if all_ports(r)]
    if every and not allow_all_ports:
        shown = "; ".join(
            f"{', '.join(r.rule_ids)} ({r.source} -> {r.destination}, {r.protocol} {r.ports})"
            for r in every[:5]
        )
        raise InputError(
            f"{len(every)} rule(s) would open every port, or more ports than the page's "
            f"widest range ({limits()['ports']['all_ports_width']}): {shown}",
            hint="check the page's row (the build warns about it, with its "
            "line); pass --allow-all-ports if this is meant",
        )
    width = limits()["ports"]["wide_range"]
    wide = [
        f"{r.protocol} {r.ports}"
        for r in p.rules
        if r.port_start is not None
        and r.port_end is not None
        and r.port_end - r.port_start + 1 > width
    ]
    rendered = RENDERERS[fmt](p, source or {}, options)
    warnings = addresses.warnings + addresses.unused_keys() + addresses.nested_networks()
    details = (
        report(p)
        + rendered.warnings
        + [
            f"pattern {entry.key!r} (line {entry.line}) matched: "
            + (", ".join(repr(n) for n in names) if names else "nothing")
            for entry, names in addresses.pattern_matches()
        ]
    )
    if any(addresses.is_any(n, c) for n, c in addresses.ends):
        stood = [cid for cid, _ in addresses.any_members()]
        details.append(
            "'any Citrix component' stood for the Citrix server components the "
            f"map gives: {', '.join(stood) if stood else 'none'}"
        )
    if addresses.zones and (fmt == "aerleon" or selection.from_zones or selection.to_zones):
        details += [
            f"flow {', '.join(r.rule_ids)} ({r.source} -> {r.destination}, {r.protocol} "
            f"{r.ports}): 'any Citrix component' stays in the other end's zone; not "
            f"written from zone {zs} to zone {zd}"
            for r in p.rules
            for zs, zd in addresses.zones.crossings(r)
        ]
    return Export(rendered, p, warnings, details, wide)


__all__ = ["FORMATS", "Export", "Options", "Selection", "export", "load_address_map"]
