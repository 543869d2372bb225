"""The export plan: which firewall rules the published ports and an address map give.

Input: published ports rows (typed and checked by ``pipeline.dataset.published``) and an
``AddressMap``.  Output: a ``Plan``: one ``Rule`` per flow, protocol, port range and
direction, built from typed integers and parsed networks only (every value checked
again here, so nothing but a number, a protocol word or a network reaches a rule
statement); identical rules (the same flow listed in two sections) merged into one that
names every rule id; and what was not planned, each said: a flow with one end mapped
and the other not, or one member of a name that denotes several components without
address (a rule the user may be missing), the components without address and without a
mapped partner in one line, flows without a port, and flows whose sources and
destinations have no IP version in common.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pipeline.catalogue import warning
from pipeline.core.normalize import fold
from pipeline.dataset.schema import MAX_PORT, enum, port_range
from pipeline.export.addresses import (
    AddressMap,
    Network,
    looks_like_address,
    net_key,
    parse_network,
)

if TYPE_CHECKING:
    from pipeline.registry.components import Registry

PROTOCOLS = enum("ports", "protocol")  # what the ports schema allows
RULE_ID = re.compile(r"[0-9a-f]{16}(?:-[0-9]+)?")


@dataclass(frozen=True)
class Rule:
    """One firewall rule: typed values only, with the page's words for its comment."""

    rule_ids: tuple[str, ...]
    sections: tuple[str, ...]
    source: str
    destination: str
    protocol: str
    port_start: int | None
    port_end: int | None
    details: str
    families: tuple[tuple[int, tuple[Network, ...], tuple[Network, ...]], ...]
    reverse: bool = False  # the return direction of a bidirectional flow
    source_id: str = ""  # registry ids of the ends ("" for a name the registry lacks)
    destination_id: str = ""
    outbound: bool = False  # the host selected is the source (--host, --direction out)
    section_ids: tuple[str, ...] = ()  # registry ids of ``sections``, in their order
    # an end that is "any Citrix component" standing for the Citrix servers of the map
    # (not addresses the map gives it): a zoned export keeps it in the other end's zone
    any_source: bool = False
    any_destination: bool = False

    @property
    def ports(self) -> str:
        """The port range as text ("443", "16500-16509", "" for none)."""
        return port_range(self.port_start, self.port_end)

    @property
    def flow_name(self) -> str:
        """What names the rule in a firewall: the registry ids of its ends
        (``storefront-server-domain-controller``), the same for the page in any language
        and after a rewording; the first rule id when an end has no id."""
        if self.source_id and self.destination_id:
            return f"{self.source_id}-{self.destination_id}"
        return self.rule_id

    @property
    def rule_id(self) -> str:
        """The first rule id (names the rule in the firewall's own comment field)."""
        return self.rule_ids[0]

    def comment(self) -> str:
        """What the rule is, for a comment: rule ids, sections, the flow, the details.

        The text comes from the page: every renderer passes it through its own escaping
        (``formats.safe_text``) before it reaches a file."""
        arrow = "<-" if self.reverse else "->"
        text = (
            f"{', '.join(self.rule_ids)} | {'; '.join(self.sections)} | {self.source} "
            f"{arrow} {self.destination} | {self.details}"
        )
        return " ".join(text.split())


# What became of a ports row (``Plan.status``).
WRITTEN = "written"
NO_ADDRESS = "an end without address"
NO_PORT = "no port"
UNMEETABLE = "IP versions that cannot meet"
NOT_SELECTED = "not selected (--host, --from, --to, --from-zone, --to-zone)"
WITHOUT = "required only under a condition left out (--without)"


@dataclass
class Plan:
    """The rules to write and what was left out, each with its reason."""

    rules: list[Rule] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # component -> flows skipped
    # flows with one end (or one member of an end) without address: (rule id, name) -> warning
    half_mapped: dict[tuple[str, str], str] = field(default_factory=dict)
    portless: list[dict] = field(default_factory=list)  # flows without a port
    unmeetable: list[str] = field(default_factory=list)  # warnings: no common IP version
    merged: int = 0  # rules that were the same as another and were merged into it
    derived: list[str] = field(default_factory=list)  # what each flow a note derives comes from

    # what became of each ports row (by its index): WRITTEN or the reason it was not
    status: list[str] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)  # the rule id of each of those rows


def rule_protocol_and_ports(row: dict) -> tuple[str, int | None, int | None]:
    """The protocol and ports of a row, checked to be what a rule may hold.

    Raises ``ValueError`` for anything else (the published reader refuses such rows
    first; this is the last line before a rule statement).

    >>> rule_protocol_and_ports({"rule_id": "0123456789abcdef", "protocol": "tcp", "port_start": 80, "port_end": 80})
    ('tcp', 80, 80)
    """
    protocol, start, end = row["protocol"], row["port_start"], row["port_end"]
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r} is not one of {PROTOCOLS}")
    if not isinstance(row["rule_id"], str) or not RULE_ID.fullmatch(row["rule_id"]):
        raise ValueError(f"rule id {row['rule_id']!r} is not a rule id")
    for port in (start, end):
        if port is not None and (type(port) is not int or not 0 <= port <= MAX_PORT):
            raise ValueError(f"port {port!r} is not an integer from 0 to {MAX_PORT}")
    if (start is None) != (end is None) or (start is not None and start > end):
        raise ValueError(f"ports {start!r}-{end!r} are not a range")
    if protocol == "icmp" and start is not None:
        raise ValueError("ICMP has no ports")
    return protocol, start, end


def families(
    sources: list[Network], destinations: list[Network]
) -> tuple[tuple[int, tuple[Network, ...], tuple[Network, ...]], ...]:
    """(IP version, sources, destinations) for each version both sides have."""
    out = []
    for version in (4, 6):
        s = tuple(sorted((n for n in sources if n.version == version), key=net_key))
        d = tuple(sorted((n for n in destinations if n.version == version), key=net_key))
        if s and d:
            out.append((version, s, d))
    return tuple(out)


@dataclass(frozen=True)
class Selection:
    """Which directed flows an export keeps: ``sources`` / ``destinations`` (texts as
    ``query --from`` / ``--to`` take them, any of which may match the end of the flow in
    its own direction), and ``hosts`` (ids, names or addresses): only the flows whose
    local end is one of them, inbound to it (``direction`` ``in``), outbound from it
    (``out``) or both, the local end narrowed to that host's addresses."""

    sources: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    direction: str = "in"
    registry: Registry | None = None
    from_zones: tuple[str, ...] = ()  # only the rules from these zones of the map
    to_zones: tuple[str, ...] = ()  # only the rules to these zones of the map
    without: tuple[str, ...] = ()  # conditions whose flows are left out (--without)

    def end_is(self, texts: tuple[str, ...], end: End, parent: bool = True) -> bool:
        """Whether ``end`` is one of ``texts``, each an id or a whole name (``query``'s
        matching, never a part of a name: a selection opens ports), or, with ``parent``,
        the row's end it comes from is named by its very id or name (``--from
        any-citrix-component``; never a member for its group)."""
        from pipeline.dataset.query import end_matches

        if any(end_matches(t, end.name, end.cid, self.registry, whole=True) for t in texts):
            return True
        name, cid = end.parent
        if not parent or (name, cid) == (end.name, end.cid):
            return False
        return any(
            fold(t) == fold(name)
            or (self.registry is not None and cid and cid in self.registry.exact(t))
            for t in texts
        )

    def host_nets(self, end: End) -> list[Network]:
        """The addresses of ``end`` that are a host asked (all of them for a host asked
        by id or name; those inside an address asked); [] when it is none.  An address
        asked is parsed as the map's are (``parse_network``: no scope id, nothing
        around it); ``ValueError`` otherwise."""
        out: list[Network] = []
        for text in self.hosts:
            if not looks_like_address(text):
                if self.end_is((text,), end, parent=False):
                    return list(end.nets)
                continue
            asked_net = parse_network(text)
            out += [
                asked_net if within(asked_net, n) else n
                for n in end.nets
                if within(asked_net, n) or within(n, asked_net)
            ]
        return sorted(set(out), key=net_key)


NO_SELECTION = Selection()


def within(a: Network, b: Network) -> bool:
    """Whether network ``a`` lies inside ``b`` (False across IP versions)."""
    return a.version == b.version and a.subnet_of(b)  # type: ignore[arg-type]


@dataclass(frozen=True)
class End:
    """One end of a directed flow as a rule sees it: a concrete component (a member of a
    name that denotes several, or one that "any Citrix component" stands for), its
    name, id and networks, and the row's end it comes from (``parent``)."""

    name: str
    cid: str
    nets: tuple[Network, ...]
    parent: tuple[str, str]
    any_: bool = False  # one of the Citrix servers "any Citrix component" stands for


def ends(addresses: AddressMap, name: str, cid: str) -> list[End]:
    """The concrete ends a row's end stands for under the map (those with addresses)."""
    any_ = addresses.is_any(name, cid)
    registry = addresses.registry

    def english(m: str) -> str:
        return registry.english(m) if registry is not None else m

    return [
        End(
            (addresses.names.get(m) or english(m)) if any_ else name,
            m,
            tuple(nets),
            (name, cid),
            any_,
        )
        for m, nets in addresses.destinations(name, cid)
        if nets
    ]


def label(kept: list[End], every: list[End]) -> tuple[str, str]:
    """(name, id) a rule shows for its source ends: the row's, unless the selection kept
    exactly one of several."""
    if len(kept) == 1 and len(every) > 1:
        return kept[0].name, kept[0].cid
    return every[0].parent


def plan(rows: list[dict], addresses: AddressMap, selection: Selection = NO_SELECTION) -> Plan:
    """The rules of the ports rows under an address map (see the module docstring),
    only the directed flows ``selection`` keeps."""
    result = Plan()
    by_key: dict[tuple, Rule] = {}
    for row in rows:
        protocol, start, end = rule_protocol_and_ports(row)
        result.row_ids.append(row["rule_id"])
        if row.get("condition") and row["condition"] in selection.without:
            result.status.append(WITHOUT)
            continue
        if protocol != "icmp" and start is None:
            result.portless.append(row)
            result.status.append(NO_PORT)
            continue
        sid, did = row.get("source_id") or "", row.get("destination_id") or ""
        src = addresses.networks(row["source"], sid)
        dst = addresses.networks(row["destination"], did)
        missing = [
            name for name, nets in ((row["source"], src), (row["destination"], dst)) if not nets
        ]
        flow = f"flow {row['rule_id']} ({row['section']}: {row['source']} -> {row['destination']})"
        if missing:
            result.status.append(NO_ADDRESS)
            for name in missing:
                result.unmapped[name] = result.unmapped.get(name, 0) + 1
            if len(missing) == 1:
                result.half_mapped.setdefault(
                    (row["rule_id"], missing[0]),
                    warning("half-mapped", flow=flow, name=missing[0]),
                )
            continue
        for name, cid in ((row["source"], sid), (row["destination"], did)):
            for member in addresses.unmapped_members(name, cid):
                result.half_mapped.setdefault(
                    (row["rule_id"], member),
                    warning("member-unmapped", flow=flow, member=member, name=name),
                )
        s_ends = ends(addresses, row["source"], sid)
        d_ends = ends(addresses, row["destination"], did)
        directions = [(s_ends, d_ends, False)]
        if row["bidirectional"]:
            directions.append((d_ends, s_ends, True))
        unmeetable = len(result.unmeetable)
        status = NOT_SELECTED
        for froms, tos, reverse in directions:
            for rule in directed(row, froms, tos, reverse, selection, result):
                status = WRITTEN
                key = (protocol, start, end, rule.families, rule.outbound)
                if key in by_key:
                    by_key[key] = merge_rules(by_key[key], rule, row)
                    result.merged += 1
                else:
                    by_key[key] = rule
        if status != WRITTEN and len(result.unmeetable) > unmeetable:
            status = UNMEETABLE
        if status == WRITTEN and row.get("derived_from"):
            result.derived.append(
                f"{flow}, {protocol} {port_range(start, end)}: derived by the note of line "
                f"{row['source_line']} from the rows {row['derived_from']} (their ports, "
                "with the component acting for another)"
            )
        result.status.append(status)
    result.rules = sorted(
        by_key.values(),
        key=lambda r: (
            r.sections[0],
            r.source,
            r.destination,
            r.protocol,
            -1 if r.port_start is None else r.port_start,
            -1 if r.port_end is None else r.port_end,
            r.reverse,
            r.rule_ids,
        ),
    )
    return result


def merge_rules(first: Rule, rule: Rule, row: dict) -> Rule:
    """``first`` also standing for ``rule``, of ``row``: the same protocol, ports, networks
    and direction (the key they share), so only the rule ids and sections add up.

    >>> nets = ((4, (), ()),)
    >>> a = Rule(("r1",), ("A",), "s", "d", "tcp", 443, 443, "", nets, section_ids=("a",))
    >>> b = Rule(("r2",), ("B",), "s", "d", "tcp", 443, 443, "", nets, section_ids=("b",))
    >>> m = merge_rules(a, b, {"rule_id": "r2", "section": "B"})
    >>> m.rule_ids, m.sections, m.section_ids
    (('r1', 'r2'), ('A', 'B'), ('a', 'b'))
    """
    return replace(
        first,
        rule_ids=tuple(sorted(set(first.rule_ids) | {row["rule_id"]})),
        sections=tuple(dict.fromkeys(first.sections + (row["section"],))),
        families=rule.families,
        outbound=rule.outbound,
        section_ids=tuple(dict.fromkeys(first.section_ids + rule.section_ids)),
        any_source=first.any_source and rule.any_source,
        any_destination=first.any_destination and rule.any_destination,
    )


def directed(
    row: dict, froms: list[End], tos: list[End], reverse: bool, sel: Selection, result: Plan
) -> list[Rule]:
    """The rules of one direction of a row: a rule per destination end, its sources
    merged; only what the selection keeps."""
    protocol, start, end = row["protocol"], row["port_start"], row["port_end"]
    passes = []  # (sources, destinations, outbound) kept, each [(End, networks)]
    kept_from = [(e, list(e.nets)) for e in froms if not sel.sources or sel.end_is(sel.sources, e)]
    kept_to = [
        (e, list(e.nets)) for e in tos if not sel.destinations or sel.end_is(sel.destinations, e)
    ]
    if not sel.hosts:
        passes.append((kept_from, kept_to, False))
    else:
        if sel.direction in ("in", "both"):
            passes.append(
                (kept_from, [(e, n) for e, _ in kept_to if (n := sel.host_nets(e))], False)
            )
        if sel.direction in ("out", "both"):
            passes.append(
                ([(e, n) for e, _ in kept_from if (n := sel.host_nets(e))], kept_to, True)
            )
    rules = []
    for sources, destinations, outbound in passes:
        if not sources or not destinations:
            continue
        s_name, s_id = label([e for e, _ in sources], froms)
        s_nets = sorted({n for _, nets in sources for n in nets}, key=net_key)
        for d_end, d_nets in destinations:
            fams = families(s_nets, d_nets)
            if not fams:
                have = lambda nets: "/".join(f"IPv{v}" for v in sorted({n.version for n in nets}))  # noqa: E731
                result.unmeetable.append(
                    warning(
                        "versions-apart",
                        rule=row["rule_id"],
                        source=s_name,
                        destination=d_end.name,
                        protocol=protocol,
                        ports=port_range(start, end),
                        source_versions=have(s_nets),
                        destination_versions=have(d_nets),
                    )
                )
                continue
            rules.append(
                Rule(
                    (row["rule_id"],),
                    (row["section"],),
                    s_name,
                    d_end.name,
                    protocol,
                    start,
                    end,
                    row["details"],
                    fams,
                    reverse,
                    s_id,
                    d_end.cid,
                    outbound,
                    (row.get("section_id") or "",),
                    any_source=all(e.any_ for e, _ in sources),
                    any_destination=d_end.any_,
                )
            )
    return rules


def report(p: Plan) -> list[str]:
    """What the plan left out, one line each, for standard error."""
    lines = list(p.half_mapped.values())
    with_partner = {name for _, name in p.half_mapped}
    alone = {n: c for n, c in p.unmapped.items() if n not in with_partner}
    if alone:
        lines.append(
            f"{len(alone)} component(s) without address and without a mapped "
            f"partner ({sum(alone.values())} flow ends not exported): "
            + ", ".join(f"{name!r} ({count})" for name, count in sorted(alone.items()))
        )
    lines += p.unmeetable
    lines += sorted(set(p.derived))
    for row in p.portless:
        lines.append(
            f"not exported (no port): {row['section']} | {row['source']} -> "
            f"{row['destination']} {row['protocol']} {row['port_raw']!r}"
        )
    return lines
