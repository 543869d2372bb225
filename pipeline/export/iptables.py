"""iptables and ip6tables: the export plan as ``iptables-restore --noflush`` input.

Input: a ``Plan`` and the build's source.  Output: a ``Rendered`` file that empties and
refills chain ``CITRIX-PORTS`` only, one IP version per file (the rules of the other
version warned about, one warning per flow, never a silent gap); long address lists
split so that no parameter exceeds the tools' limits.
"""

from __future__ import annotations

from pipeline.catalogue import warning
from pipeline.export.formats import Options, Rendered, addr, header, safe_text, tag
from pipeline.export.plan import Plan


def chunks(nets: tuple, size: int) -> list[tuple]:
    """``nets`` in lists of at most ``size`` (a rule's -s or -d)."""
    return [nets[i : i + size] for i in range(0, len(nets), size)] or [()]


def _render_xtables(p: Plan, source: dict, version: int) -> Rendered:
    from pipeline.export.addresses import limits

    tool = "iptables" if version == 4 else "ip6tables"
    other = "ip6tables" if version == 4 else "iptables"
    per_rule = limits()["iptables"]["networks_per_rule"]
    out = [
        header("#", source),
        f"# IPv{version} rules. Load: {tool}-restore --noflush FILE (always --noflush: "
        "without it the tool deletes every other rule of the host).",
        "# Each load empties chain CITRIX-PORTS and writes these rules (nothing else is "
        "touched). Then, once:",
        f"#   {tool} -C INPUT -j CITRIX-PORTS 2>/dev/null || {tool} -A INPUT -j CITRIX-PORTS",
        "*filter",
        ":CITRIX-PORTS - [0:0]",
        "-F CITRIX-PORTS",
    ]
    count, skipped = 0, []
    warnings: list[str] = []
    for rule in p.rules:
        pairs = [(s, d) for v, s, d in rule.families if v == version]
        if not pairs:
            warnings.append(
                warning(
                    "other-ip-version",
                    rules=", ".join(rule.rule_ids),
                    source=rule.source,
                    destination=rule.destination,
                    protocol=rule.protocol,
                    ports=rule.ports,
                    version=version,
                    other=other,
                )
            )
            skipped.append(rule)
            continue
        out.append(f"# {safe_text(rule.comment(), 400)}")
        for s_all, d_all in pairs:
            if rule.protocol == "icmp":
                proto = "-p icmp" if version == 4 else "-p ipv6-icmp"
            else:
                proto = (
                    f"-p {rule.protocol} -m {rule.protocol} --dport {rule.ports.replace('-', ':')}"
                )
            for s in chunks(s_all, per_rule):
                for d in chunks(d_all, per_rule):
                    out.append(
                        f"-A CITRIX-PORTS -s {','.join(map(addr, s))} -d "
                        f"{','.join(map(addr, d))} {proto} -m comment --comment "
                        f'"{tag(rule)}" -j ACCEPT'
                    )
                    count += 1
    out.append("COMMIT")
    return Rendered("\n".join(out) + "\n", count, warnings, skipped)


def render_iptables(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """``iptables-restore`` input: the IPv4 rules (IPv6 flows warned about)."""
    return _render_xtables(p, source, 4)


def render_ip6tables(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """``ip6tables-restore`` input: the IPv6 rules (IPv4 flows warned about)."""
    return _render_xtables(p, source, 6)
