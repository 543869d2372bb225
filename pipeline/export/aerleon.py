"""aerleon: the export plan as a policy a network team drops into an aerleon repository,
and each perimeter platform's configuration compiled from it by aerleon itself.

Input: a ``Plan``, the map's ``Zones``, the platforms asked (aerleon's names, described in
``data/aerleon_platforms.toml``) and the build's source.  Output: a ``Rendered`` whose
``files`` are ``pol/citrix.yaml`` (the policy: a filter for the platforms that filter by
address, ending with a deny, and one per pair of zones for the zone-based ones, ending
with one only when asked; one term per flow and protocol holding the flow's ports as
services, named from the ids of its ends, with the rule ids and the page's words, made
safe, as the term's comment), ``def/networks.yaml`` and ``def/services.yaml`` (an object
per role of the map, named after it; the ports of the page, named), and
``out/citrix.<suffix>`` for each platform, what ``aerleon.api.Generate`` (the library
behind ``aclgen``) writes.  Palo Alto rules name application ``any`` and the page's
ports as services: an App-ID would narrow a rule to what Palo Alto recognises, and
Citrix traffic on 443 is not only ``ssl`` (ICA through the Gateway, EDT), so a wrong
App-ID would drop flows the page requires; a firewall team adds App-IDs knowingly.

Nothing is opened that the plan does not hold: a term holds only the plan's networks,
protocol and ports; the platforms whose rules name no destination (Kubernetes, Google
Compute Engine) are refused unless every rule has the same destination (one host,
``--host ID``), and a zone-based platform without zones in the map is refused.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, cast

from pipeline import DATA_DIR
from pipeline.errors import InputError
from pipeline.export.formats import Options, Rendered, header, safe_text
from pipeline.export.plan import Plan, Rule

PLATFORMS_FILE = DATA_DIR / "aerleon_platforms.toml"
POLICY = "pol/citrix.yaml"
NETWORKS = "def/networks.yaml"
SERVICES = "def/services.yaml"
TERM_LENGTH = 50  # Palo Alto names a term's service "service-<term>-<protocol>", at most 63


@functools.cache
def platforms() -> dict[str, dict]:
    """The platforms of ``data/aerleon_platforms.toml``, each with its defaults filled."""
    import tomllib

    data = tomllib.loads(PLATFORMS_FILE.read_text("utf-8"))["platforms"]
    return {
        name: {"zones": False, "destination": True, "deny": True, **spec}
        for name, spec in data.items()
    }


@dataclass
class Names:
    """Unique, stable names for the policy's networks, services and terms."""

    networks: dict[str, dict] = field(default_factory=dict)
    services: dict[str, list[dict]] = field(default_factory=dict)
    _by_nets: dict[tuple, str] = field(default_factory=dict)
    _terms: set[str] = field(default_factory=set)

    def network(self, label: str, nets: tuple) -> str:
        """The name of a role's networks: its component id in capitals, numbered when
        the same id stands for other networks (a zone's or a host's part of them).  Two
        roles on one address are two objects, each named after its role (the STA on the
        Delivery Controllers is ``STA``, the Delivery Controllers ``DELIVERY_CONTROLLER``)."""
        key = (label, *(str(n) for n in nets))
        if key in self._by_nets:
            return self._by_nets[key]
        base = re.sub(r"[^A-Z0-9]+", "_", label.upper()).strip("_") or "NETWORKS"
        name, n = base, 1
        while name in self.networks:
            n += 1
            name = f"{base}_{n}"
        self.networks[name] = {"values": [{"address": a} for a in key[1:]]}
        self._by_nets[key] = name
        return name

    def service(self, protocol: str, start: int, end: int) -> str:
        """The name of a protocol's port range: ``TCP_443``, ``UDP_16500_16509``."""
        name = f"{protocol.upper()}_{start}" + (f"_{end}" if end != start else "")
        self.services[name] = [
            {"port": start if start == end else f"{start}-{end}", "protocol": protocol}
        ]
        return name

    def term(self, flow: str, what: str = "") -> str:
        """A term name from its flow (``storefront-server-to-delivery-controller``) and
        what it holds (``tcp``, ``icmpv6-return``): lower case, at most ``TERM_LENGTH``
        characters, unique; the flow is shortened at a word, never the part after it,
        and a second term of the same name is numbered (``…-2-tcp``), never hashed.

        >>> Names().term("a-very-long-component-name-to-another-long-component-name", "tcp")
        'a-very-long-component-name-to-another-long-tcp'
        """
        slug = lambda t: re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")  # noqa: E731
        head, tail = slug(flow), slug(what)
        n = 1
        while True:
            number = f"-{n}" if n > 1 else ""
            room = TERM_LENGTH - len(number) - (len(tail) + 1 if tail else 0)
            cut = head if len(head) <= room else head[: room + 1].rsplit("-", 1)[0][:room]
            name = "-".join(filter(None, [cut.strip("-") + number, tail]))
            if name not in self._terms:
                self._terms.add(name)
                return name
            n += 1


def comment_text(text: str, limit: int = 200) -> str:
    """Page text as a term's comment on every platform: ``safe_text``, and never a C
    comment's opening or closing (Junos writes comments as ``/* … */``: ``*/`` in the
    page's words would end it, and the rest would be configuration).

    >>> comment_text("LDAP */ inactive: /* x */*/")
    'LDAP * / inactive: / * x * / * /'
    """
    return safe_text(text, limit).replace("/*", "/ *").replace("*/", "* /").strip()


def terms_of(rules: list[Rule], names: Names, destination: bool) -> list[dict]:
    """The accept terms of the rules: one per flow (the same ends, protocol, direction and
    networks) holding every port range of it as services, or one per IP version (ICMP).
    Rules join only when their networks are the same, so a term opens no pair of a
    source and a port that its flows do not pair."""
    flows: dict[tuple, list[Rule]] = {}
    for rule in rules:
        key = (
            rule.source_id or rule.source,
            rule.destination_id or rule.destination,
            rule.protocol,
            rule.reverse,
            rule.outbound,
            rule.families,
        )
        flows.setdefault(key, []).append(rule)
    out = []
    for same in flows.values():
        first = same[0]
        groups: list[tuple[str, tuple, tuple]] = []
        if first.protocol == "icmp":
            for version, s, d in first.families:
                groups.append(("icmp" if version == 4 else "icmpv6", s, d))
        else:
            s = tuple(n for _, sources, _ in first.families for n in sources)
            d = tuple(n for _, _, dests in first.families for n in dests)
            groups.append((first.protocol, s, d))
        services = list(
            dict.fromkeys(
                names.service(r.protocol, r.port_start, r.port_end)
                for r in same
                if r.port_start is not None and r.port_end is not None
            )
        )
        ids = sorted({i for r in same for i in r.rule_ids})
        comment = comment_text(" | ".join([", ".join(ids), *first.comment().split(" | ")[1:]]))
        for protocol, s, d in groups:
            term = {
                "name": names.term(
                    f"{first.source_id or 'src'}-to-{first.destination_id or 'dst'}",
                    f"{protocol}{'-return' if first.reverse else ''}"
                    f"{'-out' if first.outbound else ''}",
                ),
                "comment": comment,
                "source-address": names.network(first.source_id or first.source, s),
            }
            if destination:
                term["destination-address"] = names.network(
                    first.destination_id or first.destination, d
                )
            term["protocol"] = protocol
            if services:
                term["destination-port"] = " ".join(services)
            term["action"] = "accept"
            out.append(term)
    return out


def destinations(p: Plan) -> set[tuple]:
    """The distinct destination network sets of the plan's rules."""
    return {tuple(n for _, _, d in r.families for n in d) for r in p.rules}


def platforms_to_write(options: Options, p: Plan) -> list[str]:
    """The platforms asked, or by default every one that applies: the zone-based ones
    when the map has zones, those without destinations when the plan has one."""
    known = platforms()
    if options.platforms:
        return list(dict.fromkeys(options.platforms))
    one = len(destinations(p)) == 1
    return [
        name
        for name, spec in known.items()
        if (not spec["zones"] or options.zones) and (spec["destination"] or one)
    ]


def filters_of(p: Plan, options: Options, names: Names, source: dict) -> list[dict]:
    """The policy's filters for the platforms chosen."""
    known = platforms()
    asked = platforms_to_write(options, p)
    filters: list[dict] = []
    comment = comment_text(header("", source))
    plain = [n for n in asked if not known[n]["zones"]]
    for destination in (True, False):
        for deny in (True, False):
            group = [
                n
                for n in plain
                if known[n]["destination"] == destination and known[n]["deny"] == deny
            ]
            if not group:
                continue
            if not destination:
                ends = destinations(p)
                if len(ends) > 1:
                    raise InputError(
                        f"{', '.join(group)}: their rules name no destination (they apply to "
                        f"where they are deployed), and these flows go to {len(ends)} "
                        "different destinations",
                        hint="export one host's rules (--host ID), or --per-host DIR",
                    )
            rules = p.rules
            if options.zones:  # "any Citrix component" stays in the other end's zone
                rules = [piece for r in p.rules for _, _, piece in options.zones.split(r)]
            terms = terms_of(rules, names, destination)
            if deny:
                terms.append({"name": names.term("default-deny"), "action": "deny"})
            filters.append(
                {
                    "header": {
                        "targets": {n: known[n]["options"] for n in group},
                        "comment": comment,
                    },
                    "terms": terms,
                }
            )
    zoned = [n for n in asked if known[n]["zones"]]
    if zoned and not options.zones:
        raise InputError(
            f"{', '.join(zoned)} filter between zones, and the address map has none",
            hint="add a zones: section to the map (zone name -> keys of components:), as "
            "in examples/address-map.yaml, or leave these platforms out",
        )
    if zoned:
        pairs: dict[tuple[str, str], list[Rule]] = {}
        for rule in p.rules:
            for zs, zd, piece in options.zones.split(rule):
                if zs and zd and zs != zd:
                    pairs.setdefault((zs, zd), []).append(piece)
        for (zs, zd), rules in sorted(pairs.items()):
            terms = terms_of(rules, names, True)
            if options.final_deny:  # else the firewall's own default decides
                terms.append({"name": names.term(f"{zs}-to-{zd}-default-deny"), "action": "deny"})
            filters.append(
                {
                    "header": {
                        "targets": {
                            n: known[n]["options"].format(**{"from": zs, "to": zd}) for n in zoned
                        },
                        "comment": f"{comment} Zone {zs} to zone {zd}.",
                    },
                    "terms": terms,
                }
            )
    return filters


def yaml_text(data: dict, first: str) -> str:
    """A YAML file of ``data`` under the comment line ``first``, in the order given."""
    import yaml

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    return f"{first}\n{body}"


def definitions(networks: dict, services: dict):
    """aerleon's ``Naming`` of the policy's networks and services."""
    from aerleon.lib import naming

    defs = naming.Naming()
    defs.ParseDefinitionsObject({"networks": networks, "services": services}, "")
    return defs


def compiled(policy: dict, networks: dict, services: dict) -> dict[str, str]:
    """What aerleon writes for each platform of the policy: {file name: text}."""
    import logging

    from aerleon import api

    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)  # its per-term notes are not the user's business
    try:
        out = api.Generate(cast(Any, [policy]), definitions(networks, services))
    except Exception as exc:  # a policy of ours aerleon refuses is our bug (exit 1)
        raise RuntimeError(
            f"aerleon could not compile the policy: {safe_text(str(exc), 400)} (report it, "
            "with the map and the --platform given)"
        ) from exc
    finally:
        absl.setLevel(level)
    return dict(sorted((out or {}).items()))


def render_aerleon(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """The policy, its definitions and each platform's configuration (see the module)."""
    names = Names()
    filters = filters_of(p, options, names, source)
    policy = {"filename": "citrix", "filters": filters}
    first = header("#", source)
    files = {
        POLICY: yaml_text({"filters": filters}, first),
        NETWORKS: yaml_text({"networks": dict(sorted(names.networks.items()))}, first),
        SERVICES: yaml_text({"services": dict(sorted(names.services.items()))}, first),
    }
    for name, text in compiled(policy, names.networks, names.services).items():
        files[f"out/{name}"] = text
    accepts = sum(1 for f in filters for t in f["terms"] if t.get("action") == "accept")
    text = "".join(f"{path}\n" for path in files)
    return Rendered(text, accepts, files=files)
