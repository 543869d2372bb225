"""Terraform for the clouds Citrix sites run in: the export plan as AWS, Azure or Google
Cloud firewall resources, checked against each cloud's limits before anything is written.

Input: a ``Plan`` (typed rules from the address map), the provider, and the options
(``split`` across groups, ``quota`` for the rules per group), with the limits of
``data/cloud_limits.toml``.  Output: a ``Rendered`` Terraform file in ``terraform fmt``
style (two-space indent, aligned ``=``), sorted and stable: resource names come from the
component ids, the protocol, the ports and the source network, so re-exporting after a
page change changes only the resources of the flows that changed.  Or an ``ExportLimit``
naming the destination, the limit and the count, and what to do.

* ``aws``: ``aws_vpc_security_group_ingress_rule``, one per destination group, source
  network, protocol and port range; the security group of each destination component is
  a variable (``sg_<id>``).
* ``azure``: ``azurerm_network_security_rule``, one per flow, protocol and IP version
  with its port ranges, ``Inbound``, ``Allow``, a unique priority in 100-4096 derived from
  the rule's name (stable when other rules come and go); the network security group of
  each destination component is a variable (``nsg_<id>``).
* ``gcp``: ``google_compute_firewall``, one per flow and IP version, ``INGRESS``, its
  ports grouped per protocol in ``allow`` blocks; the network tag of each destination
  component is a variable (``tag_<id>``).

What differs from one cloud to the other is one ``Provider`` object each (``PROVIDERS``:
its rules, its limits, its resources; the command line's choices come from there); the
file around them is written once.  Never a rule from ``0.0.0.0/0`` or ``::/0``; the
page's words reach a file only in descriptions, cleaned (``safe_text``) and cut at a word.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.core.normalize import slug
from pipeline.dataset.schema import port_range
from pipeline.export.formats import (
    ExportLimit,
    Options,
    Rendered,
    aws_text,
    header,
    safe_text,
)
from pipeline.export.formats import (
    cloud_limits as limits,
)
from pipeline.export.plan import Plan, Rule

# -- HCL ----------------------------------------------------------------------------------


class Expr(str):
    """A bare HCL expression (``var.sg_vda``), written without quotes."""


def hcl(value) -> str:
    """A value in HCL: a quoted string (``${`` and ``%{`` escaped), a number, a bool, a
    list, or an expression.

    >>> hcl('a "b" ${x}'), hcl([80, "443"]), hcl(Expr("var.x"))
    ('"a \\\\"b\\\\" $${x}"', '[80, "443"]', 'var.x')
    """
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    text = json.dumps(str(value), ensure_ascii=False)
    return text.replace("${", "$${").replace("%{", "%%{")


def block(
    head: str, attrs: list[tuple[str, object]], children: list[list[str]] | tuple[()] = ()
) -> list[str]:
    """An HCL block as ``terraform fmt`` writes it: attributes aligned on ``=``, nested
    blocks after them, two spaces per level."""
    width = max((len(k) for k, _ in attrs), default=0)
    out = [head + " {"]
    out += [f"  {k.ljust(width)} = {hcl(v)}" for k, v in attrs]
    for child in children:
        out += [f"  {line}" if line else "" for line in child]
    out.append("}")
    return out


def ident(text: str) -> str:
    """A Terraform identifier from any text: lower-case letters, digits, ``_``.

    >>> ident("storefront-server"), ident("10.0.0.1/32")
    ('storefront_server', 'n10_0_0_1_32')
    """
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"
    return out if out[0].isalpha() else f"n{out}"


def cut(text: str, limit: int) -> str:
    """Text at most ``limit`` characters, cut at a word with ``...`` when too long."""
    if len(text) <= limit:
        return text
    head = text[: limit - 3]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;|") + "..."


def short(name: str, limit: int) -> str:
    """A name at most ``limit`` long: cut, with a hash of the whole to stay unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-_')}-{digest}"


# -- what is written ----------------------------------------------------------------------


def group_of(rule: Rule) -> str:
    """The destination group of a rule: its component id, else its name as a slug."""
    return rule.destination_id or "name-" + (slug(rule.destination) or "x")


def source_of(rule: Rule) -> str:
    """The source of a rule as it names a resource: its id, else its name as a slug."""
    return rule.source_id or slug(rule.source) or "x"


def describe(rules: list[Rule]) -> str:
    """What a resource stands for: rule ids, sections, the flow and the details."""
    ids = sorted({i for r in rules for i in r.rule_ids})
    first = rules[0]
    sections = list(dict.fromkeys(s for r in rules for s in r.sections))
    arrow = "<-" if first.reverse else "->"
    return safe_text(
        f"citrix-ports {', '.join(ids)} | {'; '.join(sections)} | {first.source} "
        f"{arrow} {first.destination} | {first.details}",
        4000,
    )


@dataclass
class Item:
    """One resource to be written, before its group is chosen."""

    group: str
    name: str  # stable, unique within the provider's file
    rules: list[Rule] = field(default_factory=list)
    protocol: str = ""
    version: int = 4
    sources: set = field(default_factory=set)
    destinations: set = field(default_factory=set)
    ports: dict = field(default_factory=dict)  # protocol -> {(start, end)}

    @property
    def weight(self) -> int:
        """What the item counts against Azure's addresses-or-ports limit."""
        return (
            len(self.sources)
            + len(self.destinations)
            + sum(len(p) or 1 for p in self.ports.values())
        )


def check_networks(plan: Plan) -> None:
    """Never a cloud rule from or to any address."""
    for rule in plan.rules:
        for _, sources, destinations in rule.families:
            for net in (*sources, *destinations):
                if net.prefixlen == 0:
                    raise ExportLimit(
                        f"flow {', '.join(rule.rule_ids)} ({rule.source} -> {rule.destination}) "
                        f"would be open to {net}: Terraform exports never write a rule from or "
                        "to any address",
                        hint="give the component its real addresses in the address map",
                    )


def aws_items(plan: Plan) -> list[Item]:
    """AWS: one item per destination group, protocol, port range and source network."""
    items: dict[tuple, Item] = {}
    for rule in plan.rules:
        for version, sources, _ in rule.families:
            for net in sources:
                key = (group_of(rule), rule.protocol, rule.port_start, rule.port_end, str(net))
                name = ident(f"{key[0]}_{rule.protocol}_{rule.ports or 'all'}_{net}")
                item = items.setdefault(
                    key, Item(key[0], name, protocol=rule.protocol, version=version)
                )
                item.rules.append(rule)
                item.sources.add(net)
                item.ports.setdefault(rule.protocol, set()).add((rule.port_start, rule.port_end))
    return sorted(items.values(), key=lambda i: i.name)


def flow_items(plan: Plan, per_protocol: bool) -> list[Item]:
    """Azure (one per flow, protocol, IP version) or GCP (one per flow, IP version).

    A rule holds its sources, destinations and ports as a product, so only rules with
    the very same networks share one (the same ends written under two keys of the map,
    with other addresses, are two rules: never one source paired with another's ports);
    GCP targets a destination by its tag, so only its sources count there."""
    items: dict[tuple, Item] = {}
    for rule in plan.rules:
        for version, sources, destinations in rule.families:
            proto = rule.protocol if per_protocol else ""
            nets = (
                tuple(sorted(map(str, sources))),
                tuple(sorted(map(str, destinations))) if per_protocol else (),
            )
            key = (group_of(rule), source_of(rule), rule.reverse, proto, version, nets)
            name = "-".join(
                filter(
                    None,
                    [
                        "citrix",
                        key[1],
                        "to",
                        key[0],
                        proto,
                        "return" if rule.reverse else "",
                        "v6" if version == 6 else "",
                    ],
                )
            )
            item = items.setdefault(key, Item(key[0], name, protocol=proto, version=version))
            item.rules.append(rule)
            item.sources.update(sources)
            item.destinations.update(destinations)
            ports = item.ports.setdefault(rule.protocol, set())
            if rule.port_start is not None:
                ports.add((rule.port_start, rule.port_end))
    return unique_names(list(items.values()))


def unique_names(items: list[Item]) -> list[Item]:
    """The items sorted by name, those that share a name told apart by a digest of their
    networks (stable when other rules come and go)."""
    by_name: dict[str, list[Item]] = {}
    for item in items:
        by_name.setdefault(item.name, []).append(item)
    for same in by_name.values():
        if len(same) > 1:
            for item in same:
                nets = ",".join(
                    sorted(map(str, item.sources)) + ["to"] + sorted(map(str, item.destinations))
                )
                item.name += "-" + hashlib.sha256(nets.encode()).hexdigest()[:8]
    return sorted(items, key=lambda i: i.name)


# -- limits -------------------------------------------------------------------------------


def merged_count(items: list[Item]) -> int:
    """AWS rules left if adjacent or overlapping port ranges of the same group, source
    and protocol were merged (exact: the same packets pass)."""
    spans: dict[tuple, list[tuple[int, int]]] = {}
    for item in items:
        for start, end in item.ports[item.protocol]:
            spans.setdefault((item.protocol, tuple(item.sources), start is None), []).append(
                (start if start is not None else -1, end if end is not None else -1)
            )
    count = 0
    for ranges in spans.values():
        ranges.sort()
        last = None
        for start, end in ranges:
            if last is None or start > last + 1:
                count += 1
                last = end
            else:
                last = max(last, end)
    return count


def aws_over_limit(items: list[Item], quota: int | None) -> str:
    """Why the rules of one security group do not fit, or ""."""
    rules_limit = quota or limits()["aws"]["rules_per_group"]
    for version in (4, 6):
        n = sum(1 for i in items if i.version == version)
        if n > rules_limit:
            merged = merged_count([i for i in items if i.version == version])
            hint = (
                f"; merging adjacent port ranges would give {merged}"
                if merged < n
                else "; no port ranges are adjacent"
            )
            return (
                f"{n} IPv{version} inbound rules, {n - rules_limit} over the limit of "
                f"{rules_limit} per security group{hint}"
            )
    return ""


def azure_over_limit(items: list[Item], quota: int | None) -> str:
    """Why the rules of one network security group do not fit, or ""."""
    lim = limits()["azure"]
    rules_limit = quota or lim["rules_per_group"]
    span = lim["priority_max"] - lim["priority_min"] + 1
    if len(items) > min(rules_limit, span):
        if len(items) > span:
            return (
                f"{len(items)} security rules, {len(items) - span} more than the "
                f"{span} priorities of {lim['priority_min']}-{lim['priority_max']}"
            )
        return (
            f"{len(items)} security rules, {len(items) - rules_limit} over the limit of "
            f"{rules_limit} per network security group"
        )
    weight = sum(i.weight for i in items)
    if weight > lim["addresses_or_ports_per_group"]:
        return (
            f"{weight} addresses and port ranges, {weight - lim['addresses_or_ports_per_group']}"
            f" over the limit of {lim['addresses_or_ports_per_group']} per network "
            "security group"
        )
    return ""


def gcp_over_limit(items: list[Item], quota: int | None) -> str:
    """Why a firewall rule of one network tag does not fit, or ""."""
    lim = limits()["gcp"]
    for item in items:
        n = sum(len(p) for p in item.ports.values())
        if n > lim["ports_per_rule"]:
            return (
                f"firewall {item.name} has {n} ports, {n - lim['ports_per_rule']} over "
                f"the limit of {lim['ports_per_rule']} per rule"
            )
    return ""


def chunks(provider: Provider, items: list[Item], quota: int | None) -> list[list[Item]]:
    """The items of a group in as few groups as fit the limits (``--split``)."""
    out: list[list[Item]] = [[]]
    for item in items:
        if out[-1] and provider.over_limit(out[-1] + [item], quota):
            out.append([])
        out[-1].append(item)
    return out


def grouped(provider: Provider, items: list[Item], options: Options) -> dict[str, list[Item]]:
    """Items by variable suffix: the group itself, or ``<group>_1``, ``_2`` when split."""
    by_group: dict[str, list[Item]] = {}
    for item in items:
        by_group.setdefault(item.group, []).append(item)
    out: dict[str, list[Item]] = {}
    problems = []
    for group, members in sorted(by_group.items()):
        why = provider.over_limit(members, options.quota)
        if not why:
            out[group] = members
        elif options.split:
            parts = chunks(provider, members, options.quota)
            for n, part in enumerate(parts, start=1):
                out[f"{group}_{n}"] = part
        else:
            problems.append(f"destination {group!r}: {why}")
    if problems:
        raise ExportLimit(
            f"the {provider.name} rules do not fit the cloud's limits:\n  " + "\n  ".join(problems),
            hint="split the rules of these destinations across several groups with --split "
            "(attach them all to the destination), raise the limit with --quota N when "
            "your quota is higher, or give sources as wider networks where that is right",
        )
    return out


# -- providers ----------------------------------------------------------------------------


def variable(provider: Provider, group: str, part: list[Item]) -> list[str]:
    """The input variable of a destination group: its security group, NSG or tag."""
    prefix, what = provider.variable
    names = sorted({r.destination for i in part for r in i.rules})
    return block(
        f'variable "{prefix}_{ident(group)}"',
        [
            ("description", safe_text(f"{what} the component {group} ({', '.join(names)})", 400)),
            ("type", Expr("string")),
        ],
    )


def aws_resource(group: str, item: Item) -> list[str]:
    """An ``aws_vpc_security_group_ingress_rule`` (ICMP: ports -1)."""
    lim = limits()["aws"]
    ((start, end),) = item.ports[item.protocol]
    net = next(iter(item.sources))
    icmp = item.protocol == "icmp"
    attrs = [
        ("security_group_id", Expr(f"var.sg_{ident(group)}")),
        ("description", cut(aws_text(describe(item.rules), 4000), lim["description_length"])),
        ("ip_protocol", ("icmpv6" if item.version == 6 else "icmp") if icmp else item.protocol),
        ("from_port", -1 if icmp else start),
        ("to_port", -1 if icmp else end),
        ("cidr_ipv4" if item.version == 4 else "cidr_ipv6", str(net)),
    ]
    return block(f'resource "aws_vpc_security_group_ingress_rule" "{item.name}"', attrs)


def azure_priorities(items: list[Item]) -> dict[str, int]:
    """A unique priority per rule of one group, derived from its name (so that rules that
    stay keep theirs when others come and go); collisions move up, in name order."""
    lim = limits()["azure"]
    span = lim["priority_max"] - lim["priority_min"] + 1
    taken: dict[int, str] = {}
    out = {}
    for item in sorted(items, key=lambda i: i.name):
        p = int(hashlib.sha256(item.name.encode()).hexdigest(), 16) % span
        while p in taken:
            p = (p + 1) % span
        taken[p] = item.name
        out[item.name] = lim["priority_min"] + p
    return out


def azure_resource(group: str, item: Item, priority: int) -> list[str]:
    """An ``azurerm_network_security_rule``: inbound, allow, its port ranges."""
    lim = limits()["azure"]
    name = short(item.name, lim["name_length"])
    attrs = [
        ("name", name),
        ("description", cut(describe(item.rules), lim["description_length"])),
        ("resource_group_name", Expr("var.resource_group_name")),
        ("network_security_group_name", Expr(f"var.nsg_{ident(group)}")),
        ("priority", priority),
        ("direction", "Inbound"),
        ("access", "Allow"),
        ("protocol", item.protocol.capitalize()),
        ("source_port_range", "*"),
    ]
    ports = sorted(item.ports[item.protocol])
    if ports:
        attrs.append(("destination_port_ranges", [port_range(a, b) for a, b in ports]))
    else:
        attrs.append(("destination_port_range", "*"))
    attrs += [
        ("source_address_prefixes", sorted(map(str, item.sources))),
        ("destination_address_prefixes", sorted(map(str, item.destinations))),
    ]
    return block(f'resource "azurerm_network_security_rule" "{ident(name)}"', attrs)


def azure_resources(group: str, items: list[Item]) -> list[list[str]]:
    """The security rules of one network security group, each with its priority."""
    priorities = azure_priorities(items)
    return [azure_resource(group, item, priorities[item.name]) for item in items]


def gcp_name(name: str) -> str:
    """A Google Cloud resource name: RFC 1035, at most 63 characters."""
    lim = limits()["gcp"]
    clean = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    clean = clean if clean[:1].isalpha() else f"c-{clean}"
    return short(clean, lim["name_length"]).rstrip("-")


def gcp_resource(group: str, item: Item) -> list[str]:
    """A ``google_compute_firewall``: ingress, one ``allow`` block per protocol."""
    lim = limits()["gcp"]
    name = gcp_name(item.name)
    allows = []
    for protocol in sorted(item.ports):
        ports = sorted(item.ports[protocol])
        proto = "58" if protocol == "icmp" and item.version == 6 else protocol  # ICMPv6
        attrs = [("protocol", proto)]
        if ports:
            attrs.append(("ports", [port_range(a, b) for a, b in ports]))
        allows.append(block("allow", attrs))
    attrs = [
        ("name", name),
        ("network", Expr("var.network")),
        ("direction", "INGRESS"),
        ("description", cut(describe(item.rules), lim["description_length"])),
        ("source_ranges", sorted(map(str, item.sources))),
        ("target_tags", [Expr(f"var.tag_{ident(group)}")]),
    ]
    return block(f'resource "google_compute_firewall" "{ident(name)}"', attrs, allows)


@dataclass(frozen=True)
class Provider:
    """What one cloud does its own way; the rest of the file is the same for all."""

    name: str
    required: tuple[str, str]  # the required_providers entry: local name, source
    variable: tuple[str, str]  # a destination's variable: prefix, what it is
    shared: tuple[tuple[str, str], ...]  # variables every resource uses: name, what
    items: Callable[[Plan], list[Item]]  # the plan as the cloud's rules
    over_limit: Callable[[list[Item], int | None], str]  # why a group does not fit
    resources: Callable[[str, list[Item]], list[list[str]]]  # a group's resources


PROVIDERS = {
    "aws": Provider(
        "aws",
        ("aws", "hashicorp/aws"),
        ("sg", "Security group of"),
        (),
        aws_items,
        aws_over_limit,
        lambda group, items: [aws_resource(group, i) for i in items],
    ),
    "azure": Provider(
        "azure",
        ("azurerm", "hashicorp/azurerm"),
        ("nsg", "Network security group of"),
        (("resource_group_name", "Resource group of the network security groups"),),
        lambda p: flow_items(p, per_protocol=True),
        azure_over_limit,
        azure_resources,
    ),
    "gcp": Provider(
        "gcp",
        ("google", "hashicorp/google"),
        ("tag", "Network tag of the instances of"),
        (("network", "VPC network of the firewall rules"),),
        lambda p: flow_items(p, per_protocol=False),
        gcp_over_limit,
        lambda group, items: [gcp_resource(group, i) for i in items],
    ),
}


def render_terraform(p: Plan, source: dict, options: Options) -> Rendered:
    """The Terraform file of ``options.provider`` for the plan (see the module docstring)."""
    provider = PROVIDERS.get(options.provider or "")
    if provider is None:
        raise ExportLimit(
            f"--provider must be one of {', '.join(PROVIDERS)}, not {options.provider!r}",
            hint=f"export terraform --provider {'|'.join(PROVIDERS)}",
        )
    check_networks(p)
    groups = grouped(provider, provider.items(p), options)
    name, source_url = provider.required
    out = [
        header("#", source),
        f"# Terraform for {provider.name}: set the variables (one per destination component) "
        "to your own resources; see docs/exports.md.",
        "",
    ]
    out += block(
        "terraform",
        [],
        [block("required_providers", [(name, Expr(f'{{ source = "{source_url}" }}'))])],
    )
    for var, text in provider.shared:
        out += [""] + block(f'variable "{var}"', [("description", text), ("type", Expr("string"))])
    count = 0
    labels: set[str] = set()
    for group, part in groups.items():
        out += [""] + variable(provider, group, part)
    for group, part in groups.items():
        for lines in provider.resources(group, part):
            label = lines[0]
            if label in labels:  # two keys that read alike: never two resources of one name
                raise ExportLimit(
                    f"two resources would share the name {label!r}",
                    hint="this is a bug of citrix-ports: please report it",
                )
            labels.add(label)
            out += [""] + lines
            count += 1
    return Rendered("\n".join(out) + "\n", count)
