"""Export stage: firewall rules from the published ports and a user's address map.

Input: the published ports and an address map (YAML: component name or pattern -> one
or more addresses or CIDRs).  Output: a rule file in one of ``FORMATS`` (nftables,
iptables-restore, Windows PowerShell, AWS security-group ingress as CloudFormation JSON)
and a report of what was not emitted: components with no address (warnings, never a
rule open to any address) and flows without a port (listed, not emitted).

One rule per flow, protocol and port range, commented with the rule id, section and the
page's details; ICMP rules carry no port; a bidirectional flow is emitted both ways.
Output is sorted and free of run times, so a re-export after a page change diffs
cleanly.

Address map::

    # citrix-ports address map
    components:
      Serveur StoreFront: [10.0.10.11, 10.0.10.12]   # exact name (case and accents ignored)
      "glob:Contrôleur de domaine*": 10.0.0.10        # shell-style pattern
      "re:^Poste de travail": 10.0.99.0/24            # regular expression (search)

An exact name wins over patterns; patterns are tried in file order.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, Location
from pipeline.grammar import port_range
from pipeline.normalize import fold

FORMATS = ("nftables", "iptables", "windows", "aws-sg")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class AddressMap:
    exact: dict[str, list[Network]]
    patterns: list[tuple[str, re.Pattern[str], list[Network]]]

    def lookup(self, component: str) -> list[Network]:
        key = fold(component)
        if key in self.exact:
            return self.exact[key]
        for _, pattern, nets in self.patterns:
            if pattern.search(key):
                return nets
        return []


def load_address_map(path: Path) -> AddressMap:
    import yaml

    where = Location(str(path))
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the address map: {exc.strerror}", where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"the address map is not valid YAML: {getattr(exc, 'problem', exc)}",
                         Location(str(path), mark.line + 1 if mark else None)) from None
    if not isinstance(data, dict) or not isinstance(data.get("components"), dict):
        raise InputError("the address map needs a 'components' mapping of component name "
                         "or pattern to addresses", where,
                         hint="see the example in examples/address-map.yaml")
    exact: dict[str, list[Network]] = {}
    patterns = []
    for name, value in data["components"].items():
        values = value if isinstance(value, list) else [value]
        nets = []
        for v in values:
            try:
                nets.append(ipaddress.ip_network(str(v), strict=False))
            except ValueError:
                raise InputError(f"component {name!r}: {v!r} is not an address or CIDR",
                                 where) from None
        if not nets:
            raise InputError(f"component {name!r} has no address", where)
        name = str(name)
        if name.startswith("glob:"):
            patterns.append((name, re.compile(fnmatch.translate(fold(name[5:]))), nets))
        elif name.startswith("re:"):
            try:
                patterns.append((name, re.compile(fold(name[3:])), nets))
            except re.error as exc:
                raise InputError(f"pattern {name!r} is not a regular expression: {exc}",
                                 where) from None
        else:
            exact[fold(name)] = nets
    return AddressMap(exact, patterns)


@dataclass
class Rule:
    rule_id: str
    section: str
    source: str
    destination: str
    protocol: str
    port_start: int | None
    port_end: int | None
    details: str
    sources: list[Network]
    destinations: list[Network]
    reverse: bool = False  # the return direction of a bidirectional flow

    @property
    def ports(self) -> str:
        return port_range(self.port_start, self.port_end)

    def comment(self) -> str:
        arrow = "<-" if self.reverse else "->"
        text = (f"{self.rule_id} | {self.section} | {self.source} {arrow} {self.destination}"
                f" | {self.details}")
        return " ".join(text.split())


@dataclass
class Plan:
    rules: list[Rule] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # component -> flows skipped
    portless: list[dict] = field(default_factory=list)  # flows without a port


def plan(rows: list[dict], addresses: AddressMap) -> Plan:
    result = Plan()
    for row in rows:
        if row["protocol"] != "icmp" and row["port_start"] is None:
            result.portless.append(row)
            continue
        src, dst = addresses.lookup(row["source"]), addresses.lookup(row["destination"])
        missing = [name for name, nets in ((row["source"], src), (row["destination"], dst))
                   if not nets]
        if missing:
            for name in missing:
                result.unmapped[name] = result.unmapped.get(name, 0) + 1
            continue
        directions = [(row["source"], row["destination"], src, dst, False)]
        if row["bidirectional"]:
            directions.append((row["destination"], row["source"], dst, src, True))
        for s_name, d_name, s_nets, d_nets, reverse in directions:
            result.rules.append(Rule(row["rule_id"], row["section"], s_name, d_name,
                                     row["protocol"], row["port_start"], row["port_end"],
                                     row["details"], sorted(s_nets, key=net_key),
                                     sorted(d_nets, key=net_key), reverse))
    result.rules.sort(key=lambda r: (r.section, r.source, r.destination, r.protocol,
                                     r.port_start or -1, r.port_end or -1, r.reverse, r.rule_id))
    return result


def addr(net: Network) -> str:
    """A host as its address, a network as its CIDR."""
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string (PowerShell also takes ‘ ’ ‚ ‛ as quotes)."""
    return "'" + re.sub(r"['\u2018\u2019\u201a\u201b]", "''", text) + "'"


def net_key(net: Network) -> tuple:
    return (net.version, int(net.network_address), net.prefixlen)


def by_family(rule: Rule) -> list[tuple[int, list[Network], list[Network]]]:
    """(IP version, sources, destinations) for each family both sides have."""
    out = []
    for version in (4, 6):
        s = [n for n in rule.sources if n.version == version]
        d = [n for n in rule.destinations if n.version == version]
        if s and d:
            out.append((version, s, d))
    return out


def safe_text(text: str, limit: int = 200) -> str:
    """Comment text safe in every format: one line, no quotes or shell metacharacters."""
    text = " ".join(text.split())
    text = re.sub(r"[\"'`$\\;{}]", "", text)
    return text[:limit]


def header(fmt_comment: str, source: dict) -> str:
    return (f"{fmt_comment} Generated by citrix-ports from {source.get('name', 'the page')} "
            f"(sha256 {source.get('sha256', '?')[:16]}); do not edit, re-export instead.\n")


def render_nftables(p: Plan, source: dict) -> str:
    out = ["#!/usr/sbin/nft -f", header("#", source).rstrip(),
           "# Jump to chain citrix_flows from your own input/forward chain.",
           "table inet citrix_ports {", "\tchain citrix_flows {"]
    for rule in p.rules:
        out.append(f"\t\t# {safe_text(rule.comment(), 400)}")
        for version, s, d in by_family(rule):
            fam = "ip" if version == 4 else "ip6"
            match = (f"{fam} saddr {{ {', '.join(map(addr, s))} }} "
                     f"{fam} daddr {{ {', '.join(map(addr, d))} }}")
            if rule.protocol == "icmp":
                proto = "meta l4proto icmp" if version == 4 else "meta l4proto ipv6-icmp"
            else:
                proto = f"{rule.protocol} dport {rule.ports}"
            out.append(f'\t\t{match} {proto} accept comment "citrix-ports {rule.rule_id}"')
    out += ["\t}", "}"]
    return "\n".join(out) + "\n"


def render_iptables(p: Plan, source: dict) -> str:
    out = [header("#", source).rstrip(), "# IPv4 rules; jump to CITRIX-PORTS from INPUT or FORWARD.",
           "*filter", ":CITRIX-PORTS - [0:0]"]
    for rule in p.rules:
        out.append(f"# {safe_text(rule.comment(), 400)}")
        for version, s, d in by_family(rule):
            if version != 4:
                out.append("#   (IPv6 addresses: not in iptables; use the nftables export)")
                continue
            proto = ("-p icmp" if rule.protocol == "icmp" else
                     f"-p {rule.protocol} -m {rule.protocol} --dport "
                     f"{rule.ports.replace('-', ':')}")
            out.append(f"-A CITRIX-PORTS -s {','.join(map(addr, s))} -d {','.join(map(addr, d))} "
                       f"{proto} -m comment --comment \"citrix-ports {rule.rule_id}\" -j ACCEPT")
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def render_windows(p: Plan, source: dict) -> str:
    out = [header("#", source).rstrip(),
           "# Windows Defender Firewall: run on each destination host (inbound rules).",
           "#Requires -Modules NetSecurity"]
    for rule in p.rules:
        families = by_family(rule)
        if not families:
            continue
        remote = ",".join(ps_quote(addr(a)) for _, s, _ in families for a in s)
        local = ",".join(ps_quote(addr(a)) for _, _, d in families for a in d)
        name = (f"citrix-ports-{rule.rule_id}-{rule.protocol}-{rule.ports or 'all'}"
                f"{'-return' if rule.reverse else ''}")
        display = (f"Citrix {rule.section}: {rule.source} to {rule.destination} "
                   f"{rule.protocol} {rule.ports}").strip()
        if rule.protocol == "icmp":
            proto = "-Protocol ICMPv4" if families[0][0] == 4 else "-Protocol ICMPv6"
        else:
            proto = f"-Protocol {rule.protocol.upper()} -LocalPort {rule.ports}"
        out.append(f"New-NetFirewallRule -Name {ps_quote(name)} -DisplayName "
                   f"{ps_quote(' '.join(display.split())[:200])} -Group 'citrix-ports' "
                   f"-Direction Inbound -Action Allow {proto} -RemoteAddress @({remote}) "
                   f"-LocalAddress @({local}) -Description {ps_quote(rule.comment()[:900])}")
    return "\n".join(out) + "\n"


AWS_DESCRIPTION = re.compile(r"[^a-zA-Z0-9. _\-:/()#,@\[\]+=&{}!$*]")


def logical_id(prefix: str, text: str) -> str:
    base = re.sub(r"[^A-Za-z0-9]", "", fold(text).title())[:40] or "X"
    return f"{prefix}{base}{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def render_aws_sg(p: Plan, source: dict) -> str:
    params, resources = {}, {}
    for rule in p.rules:
        group = logical_id("Sg", rule.destination)
        params[group] = {"Type": "AWS::EC2::SecurityGroup::Id",
                         "Description": AWS_DESCRIPTION.sub("", safe_text(
                             f"Security group of the component {fold(rule.destination)}", 250))}
        for _, sources, _ in by_family(rule):
            for net in sources:
                props = {"GroupId": {"Ref": group},
                         "IpProtocol": rule.protocol if rule.protocol != "icmp" else "icmp",
                         "FromPort": rule.port_start if rule.protocol != "icmp" else -1,
                         "ToPort": rule.port_end if rule.protocol != "icmp" else -1,
                         "Description": AWS_DESCRIPTION.sub("", fold(safe_text(rule.comment(), 255)))[:255]}
                if net.version == 4:
                    props["CidrIp"] = str(net)
                else:
                    props["CidrIpv6"] = str(net)
                if rule.protocol == "icmp" and net.version == 6:
                    props["IpProtocol"] = "icmpv6"
                key = f"{rule.rule_id}|{rule.protocol}|{rule.ports}|{rule.reverse}|{net}|{group}"
                resources[logical_id("Ingress", key)] = {
                    "Type": "AWS::EC2::SecurityGroupIngress", "Properties": props}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": AWS_DESCRIPTION.sub("", header("", source).strip())[:1024],
        "Parameters": dict(sorted(params.items())),
        "Resources": dict(sorted(resources.items())),
    }
    return json.dumps(template, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"nftables": render_nftables, "iptables": render_iptables,
             "windows": render_windows, "aws-sg": render_aws_sg}


def report(p: Plan) -> list[str]:
    lines = []
    for name, count in sorted(p.unmapped.items()):
        lines.append(f"warning: no address for component {name!r}: {count} flow(s) not exported")
    for row in p.portless:
        lines.append(f"not exported (no port): {row['section']} | {row['source']} -> "
                     f"{row['destination']} {row['protocol']} {row['port_raw']!r}")
    return lines
