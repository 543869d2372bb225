"""Zones of the address map: which network zone each mapped component sits in.

Input: the optional ``zones:`` section of the address map (zone name -> keys of
``components:``: ids, names as written there, or ``glob:`` / ``re:`` patterns matched
against those keys and their ids), and the bound ``AddressMap``.  Output: ``Zones``,
which says the zone of a network and splits an export plan's rules by the zones of their
ends (a rule whose ends are in different zones is a perimeter flow; ``pipeline.export``
keeps those from and to the zones asked, ``--from-zone`` and ``--to-zone``).

Refused, located at the line (exit 2): a zone name a firewall cannot take (letters,
digits, ``_`` and ``-``, at most 31 characters, starting with a letter), a member that
matches no key of ``components:``, a key in two zones, the same network in two zones.

    zones:
      users: [user-device]
      dmz: ["glob:netscaler-*"]
      servers: [delivery-controller, storefront-server, vda]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.core.bounded import excerpt
from pipeline.errors import InputError, Location

# The map and the plan are the modules that use zones (this one imports neither).
AddressMap = Any
Network = Any
Rule = Any

ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,30}")


@dataclass
class Zones:
    """Zone name -> its members (``Entry`` without networks: text, line, pattern);
    resolved against a map."""

    members: dict[str, list[Any]] = field(default_factory=dict)  # zone -> Entry
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # zone -> line of its name
    # (network, zone) of every network of a key in a zone, most specific first
    nets: list[tuple[Any, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.members)

    @property
    def names(self) -> list[str]:
        """The zones, in the map's order."""
        return list(self.members)

    def fail(self, message: str, line: int | None, hint: str = "") -> InputError:
        """An error located at a line of the map."""
        return InputError(message, Location(self.path, line), hint=hint)

    def resolve(self, amap: AddressMap) -> None:
        """The zone of each key of ``components:``; refuses what the docstring says."""
        zone_of_entry: dict[int, tuple[str, int]] = {}
        for zone, members in self.members.items():
            for member in members:
                line = member.line
                hits = [i for i, e in enumerate(amap.entries) if member_matches(member, e, amap)]
                if not hits:
                    raise self.fail(
                        f"zone {zone!r}: {excerpt(member.key)} is no key of 'components'",
                        line,
                        hint="list the keys of components: (ids, names as written there) "
                        "or glob:/re: patterns of them",
                    )
                for i in hits:
                    if i in zone_of_entry and zone_of_entry[i][0] != zone:
                        other, other_line = zone_of_entry[i]
                        raise self.fail(
                            f"the key {excerpt(amap.entries[i].key)} is in zone {other!r} "
                            f"(line {other_line}) and in zone {zone!r} (line {line})",
                            line,
                            hint="a component sits in one zone: remove it from one of them",
                        )
                    zone_of_entry[i] = (zone, line)
        seen: dict[Any, str] = {}
        for i, (zone, line) in sorted(zone_of_entry.items()):
            for net in amap.entries[i].networks:
                if seen.get(net, zone) != zone:
                    raise self.fail(
                        f"{net} is in zone {seen[net]!r} and in zone {zone!r} (the keys of "
                        "both give it)",
                        line,
                        hint="a network sits in one zone: give the two keys their own "
                        "addresses or put them in the same zone",
                    )
                seen[net] = zone
        self.nets = sorted(seen.items(), key=lambda nz: -nz[0].prefixlen)

    def zone_of(self, net: Network) -> str:
        """The zone of the most specific zoned network that holds ``net`` ("" if none)."""
        for zoned, zone in self.nets:
            if zoned.version == net.version and net.subnet_of(zoned):
                return zone
        return ""

    def crossings(self, rule: Rule) -> list[tuple[str, str]]:
        """The pairs of zones ``split`` leaves out of the rule (``confined``), sorted."""
        return sorted(
            {
                (zs, zd)
                for _, sources, destinations in rule.families
                for zs in {self.zone_of(n) for n in sources}
                for zd in {self.zone_of(n) for n in destinations}
                if confined(rule, zs, zd)
            }
        )

    def split(self, rule: Rule) -> list[tuple[str, str, Rule]]:
        """The rule cut by the zones of its ends: (source zone, destination zone, the
        rule narrowed to the networks of those zones), sorted; "" is no zone.  An end
        that is "any Citrix component" standing for the Citrix servers of the map stays
        in the zone of the flow's other end (the licence server's "any Citrix
        component" is the Citrix servers of its own zone, never the DMZ's NetScalers
        across the perimeter); the map's own addresses for it are taken as given."""
        pieces: dict[tuple[str, str], list] = {}
        for version, sources, destinations in rule.families:
            zone = {n: self.zone_of(n) for n in sources + destinations}
            for zs in sorted({zone[n] for n in sources}):
                for zd in sorted({zone[n] for n in destinations}):
                    if confined(rule, zs, zd):
                        continue
                    s = tuple(n for n in sources if zone[n] == zs)
                    d = tuple(n for n in destinations if zone[n] == zd)
                    pieces.setdefault((zs, zd), []).append((version, s, d))
        return [
            (zs, zd, replace(rule, families=tuple(f))) for (zs, zd), f in sorted(pieces.items())
        ]


def confined(rule: Rule, source_zone: str, destination_zone: str) -> bool:
    """Whether a piece of the rule from ``source_zone`` to ``destination_zone`` is left
    out: one end is "any Citrix component" standing for the Citrix servers of the map,
    and the two zones differ (both known)."""
    crossing = source_zone and destination_zone and source_zone != destination_zone
    return bool(crossing and (rule.any_source or rule.any_destination))


def member_matches(member, entry, amap: AddressMap) -> bool:
    """Whether a zone's member (an ``Entry`` without networks, compiled as the map's
    keys are) names this key of ``components:``: the key as written, the key or its id
    matched by the member's pattern, or the same component id."""
    key_id = amap.key_id(entry)
    if member.key == entry.key or member.matches(entry.key):
        return True
    if member.kind != "exact":
        return bool(key_id and member.matches(key_id))
    registry = amap.registry
    if registry is None or not key_id:
        return False
    wanted = member.key if member.key in registry.components else registry.component_id(member.key)
    return wanted == key_id


def parse_zones(loader, node, path: str, compile_key) -> Zones:
    """The ``zones:`` section as written (each name checked, each member compiled by
    ``compile_key(text, line)`` as the map compiles its keys, a bad pattern refused at
    its line; members are resolved against the map once it is bound)."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise loader.fail(
            "'zones' must map zone names to keys of 'components'",
            node.start_mark.line + 1,
            hint="zones:\n  dmz: [netscaler-gateway-snip]",
        )
    zones = Zones(path=path)
    for key, value in loader.pairs(node):
        line = key.start_mark.line + 1
        name = str(key.value)
        if not isinstance(key, yaml.ScalarNode) or not ZONE_NAME.fullmatch(name):
            raise loader.fail(
                f"zone name {excerpt(name)} is not one a firewall takes",
                line,
                hint="letters, digits, _ and -, at most 31 characters, starting with a letter",
            )
        values = value.value if isinstance(value, yaml.SequenceNode) else [value]
        members = []
        for v in values:
            if not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
                raise loader.fail(
                    f"zone {name!r}: a member must be a key of 'components'",
                    v.start_mark.line + 1,
                )
            members.append(compile_key(str(v.value), v.start_mark.line + 1))
        if not members:
            raise loader.fail(f"zone {name!r} has no member", line)
        zones.members[name] = members
        zones.lines[name] = line
    return zones
