"""nftables: the export plan as an ``nft -f`` file.

Input: a ``Plan``, the build's source, the options (``hooks``, ``policy``).  Output: a
``Rendered`` self-contained ``table inet citrix_ports`` that replaces itself on every
load and touches nothing else: chain ``citrix_flows``, IPv4 and IPv6, and with ``hooks``
a base chain per hook with a policy, established/related, the host's loopback (input
and output) and IPv6 neighbour discovery accepted, that jumps to it.
"""

from __future__ import annotations

from pipeline.export.formats import Options, Rendered, addr, header, safe_text, tag
from pipeline.export.plan import Plan

NFT_TABLE = "inet citrix_ports"
# What every base chain accepts before the flows: replies, the host's own loopback
# (entering on input, leaving on output; a forwarded packet never uses it), and the IPv6
# neighbour and router discovery without which IPv6 stops working.
LOOPBACK = {"input": 'iif "lo" accept', "output": 'oif "lo" accept'}
NDP = (
    "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
    "nd-router-advert } accept"
)


def base_rules(hook: str) -> list[str]:
    """The rules a base chain on ``hook`` holds before it jumps to the flows.

    >>> base_rules("output")[2]
    'oif "lo" accept'
    """
    return [
        "ct state established,related accept",
        "ct state invalid drop",
        *([LOOPBACK[hook]] if hook in LOOPBACK else []),
        NDP,
    ]


def render_nftables(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """An ``nft -f`` file: table ``inet citrix_ports`` (replaced whole on every load),
    chain ``citrix_flows``, and a base chain for each of ``options.hooks``."""
    how = (
        f"# Load: nft -f FILE. Each load replaces table {NFT_TABLE} (and nothing else) "
        "with these rules: load it again after each export."
    )
    if options.hooks:
        what = (
            f"# Base chain(s) {', '.join(options.hooks)} with policy {options.policy}: "
            "what no rule below accepts is "
            f"{'dropped (SSH included: map your admin workstation)' if options.policy == 'drop' else 'accepted'}."
        )
    else:
        what = (
            "# No base chain: this table filters nothing until a chain of its own jumps to "
            "citrix_flows. Export with --hook input (or forward, output) for one."
        )
    out = [
        "#!/usr/sbin/nft -f",
        header("#", source),
        how,
        what,
        f"add table {NFT_TABLE}",
        f"delete table {NFT_TABLE}",
        f"table {NFT_TABLE} {{",
        "\tchain citrix_flows {",
    ]
    count = 0
    for rule in p.rules:
        out.append(f"\t\t# {safe_text(rule.comment(), 400)}")
        for version, s, d in rule.families:
            fam = "ip" if version == 4 else "ip6"
            match = (
                f"{fam} saddr {{ {', '.join(map(addr, s))} }} "
                f"{fam} daddr {{ {', '.join(map(addr, d))} }}"
            )
            if rule.protocol == "icmp":
                proto = "meta l4proto icmp" if version == 4 else "meta l4proto ipv6-icmp"
            else:
                proto = f"{rule.protocol} dport {rule.ports}"
            out.append(f'\t\t{match} {proto} accept comment "{tag(rule)}"')
            count += 1
    out.append("\t}")
    for hook in options.hooks:
        out += [
            f"\tchain {hook} {{",
            f"\t\ttype filter hook {hook} priority filter; policy {options.policy};",
            *(f"\t\t{line}" for line in base_rules(hook)),
            "\t\tjump citrix_flows",
            "\t}",
        ]
    out.append("}")
    return Rendered("\n".join(out) + "\n", count)
