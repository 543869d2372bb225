"""The address map of ``citrix-ports export``: component names or patterns -> networks,
checked like code.

Input: a YAML file::

    # citrix-ports address map
    components:
      delivery-controller: [10.0.10.21, 10.0.10.22]  # registry id: any language, any version
      Serveur StoreFront: [10.0.10.11, 10.0.10.12]   # exact name (case and accents ignored)
      "glob:Contrôleur de domaine*": 10.0.0.10        # shell-style pattern
      "re:^Poste de travail": 10.0.99.0/24            # regular expression (search)

Output: an ``AddressMap`` (with the component registry, a key that is an id or an alias
in any language names that component wherever the page names it; an exact name wins
over patterns; patterns are tried in file order; a name that denotes several components
takes the addresses of each member; ``any`` those of every mapped Citrix component), or
an ``InputError`` located at the line of the bad entry.  Every value must be
an IPv4 or IPv6 address or network; a very wide network (``0.0.0.0/0``, ``::/0``, any
IPv4 network shorter than /8 or IPv6 network shorter than /32) is refused unless
``allow_any``, and warned about when allowed.  ``unused_keys`` names the keys that match
no component of the data, with the closest component names.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputError, Location
from pipeline.normalize import fold

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Families of the registry whose components are not Citrix's: a component of kind "any"
# ("Any Citrix component") does not take their addresses.
NOT_CITRIX = {"Microsoft", "Third party", "Infrastructure"}
# A network shorter than this prefix (per IP version) opens a flow to a large part of the
# Internet: it needs --allow-any.
WIDE_PREFIX = {4: 8, 6: 32}


@dataclass
class Entry:
    """One key of the map: as written, its line, how it matches, its networks."""

    key: str
    line: int | None
    kind: str  # "exact", "glob" or "re"
    pattern: re.Pattern[str] | None
    networks: list[Network]

    def matches(self, component: str) -> bool:
        """True when the entry names this component."""
        if self.kind == "exact":
            return fold(self.key) == fold(component)
        return bool(self.pattern.search(fold(component)))


@dataclass
class AddressMap:
    """Component -> networks; an id or exact name wins, then patterns in file order."""

    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)
    registry: Any = None  # a components.Registry: keys may be ids or aliases of any language

    def key_id(self, entry: Entry) -> str:
        """The component id an exact key names: an id, or an alias in any language."""
        if self.registry is None or entry.kind != "exact":
            return ""
        if entry.key in self.registry.components:
            return entry.key
        return self.registry.component_id(entry.key)

    def networks(self, name: str, cid: str = "") -> list[Network]:
        """The networks of the component a row names (``name``, its registry id
        ``cid``): a key with its id (or an alias of it), else its name, else a
        pattern; else, for a name that denotes several components, the networks of
        each member the map gives; else, for a component of kind ``any``, those of
        every Citrix component the map gives.  [] when none: no rule."""
        own = self.own(name, cid)
        if own or not cid or self.registry is None:
            return own
        entry = self.registry.components.get(cid)
        if entry is None:
            return []
        if entry.members:
            return sorted({n for m in entry.members for n in self.networks("", m)}, key=net_key)
        if entry.kind == "any":
            citrix = [e for e in self.entries if (c := self.registry.components.get(
                self.key_id(e))) and c.kind in ("component", "address")
                and c.family not in NOT_CITRIX]
            return sorted({n for e in citrix for n in e.networks}, key=net_key)
        return []

    def lookup(self, component: str) -> list[Network]:
        """The networks of a component, or [] when the map does not name it.

        >>> m = AddressMap([Entry("StoreFront", 1, "exact", None, [_net("10.0.0.1")])])
        >>> m.lookup("STOREFRONT"), m.lookup("Director")
        ([IPv4Network('10.0.0.1/32')], [])
        """
        for entry in self.entries:
            if entry.kind == "exact" and entry.matches(component):
                return entry.networks
        for entry in self.entries:
            if entry.kind != "exact" and entry.matches(component):
                return entry.networks
        return []

    def destinations(self, name: str, cid: str = "") -> list[tuple[str, list[Network]]]:
        """The destinations a row's end stands for, each (id, networks): a name that
        denotes several components, unless the map gives it its own addresses, is each
        member the map gives (a rule per member, so that each member's group or host
        gets its own); any other name is itself."""
        members = self.members_of(name, cid)
        if members:
            return [(m, nets) for m in members if (nets := self.networks("", m))]
        return [(cid, self.networks(name, cid))]

    def unmapped_members(self, name: str, cid: str = "") -> list[str]:
        """The members of a name that denotes several components (unless the map gives
        the name its own addresses) that the map gives no address: they get no rule."""
        return [m for m in self.members_of(name, cid) if not self.networks("", m)]

    def members_of(self, name: str, cid: str) -> tuple[str, ...]:
        """The members a row's end stands for: those of a name that denotes several
        components, unless the map gives the name its own addresses; () otherwise."""
        entry = self.registry.components.get(cid) if self.registry is not None and cid else None
        if entry is None or not entry.members or self.own(name, cid):
            return ()
        return tuple(entry.members)

    def own(self, name: str, cid: str) -> list[Network]:
        """The networks the map gives this very name or id (no members, no ``any``)."""
        for entry in self.entries:
            if cid and self.key_id(entry) == cid:
                return entry.networks
        return self.lookup(name)

    def unused_keys(self, components: list[str], ids: set[str] = frozenset()) -> list[str]:
        """A warning for each key that matches none of ``components`` (names) nor of
        ``ids`` (the registry ids of the data, members included), with the closest
        component names (a misspelt key is otherwise silently ignored)."""
        folded = {fold(c): c for c in components}
        warnings = []
        for entry in self.entries:
            if any(entry.matches(c) for c in components) or self.key_id(entry) in ids:
                continue
            import difflib  # here: only an unused key looks for the closest names

            close = difflib.get_close_matches(fold(entry.key.split(":", 1)[-1]
                                                   if entry.kind != "exact" else entry.key),
                                              list(folded), n=3, cutoff=0.6)
            hint = f"; closest: {', '.join(repr(folded[c]) for c in close)}" if close else ""
            where = f"line {entry.line}: " if entry.line else ""
            warnings.append(f"warning: address map {where}{entry.key!r} matches no component "
                            f"of the data{hint}")
        return warnings


def _net(value: str) -> Network:
    return ipaddress.ip_network(value, strict=False)


def _key_lines(text: str) -> dict[str, int]:
    """The line of each key under ``components`` (1-based), from the YAML node marks."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "components" and isinstance(value, yaml.MappingNode):
                for k, _ in value.value:
                    lines.setdefault(str(k.value), k.start_mark.line + 1)
    return lines


def load_address_map(path: Path, allow_any: bool = False) -> AddressMap:
    """The address map of a YAML file, every entry checked.

    Raises ``InputError``, located at the entry's line, for unreadable YAML, a value
    that is no address or network, an empty entry, a bad pattern, or (without
    ``allow_any``) a very wide network.
    """
    import yaml

    try:
        text = path.read_text("utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InputError(f"cannot read the address map: {exc.strerror}", Location(str(path))) from None
    except UnicodeDecodeError:
        raise InputError("the address map is not UTF-8", Location(str(path))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"the address map is not valid YAML: {getattr(exc, 'problem', exc)}",
                         Location(str(path), mark.line + 1 if mark else None)) from None
    if not isinstance(data, dict) or not isinstance(data.get("components"), dict):
        raise InputError("the address map needs a 'components' mapping of component name "
                         "or pattern to addresses", Location(str(path)),
                         hint="see the example in examples/address-map.yaml")
    lines = _key_lines(text)
    entries, warnings = [], []
    for raw_key, value in data["components"].items():
        key = str(raw_key)
        where = Location(str(path), lines.get(key))
        values = value if isinstance(value, list) else [value]
        nets = []
        for v in values:
            if isinstance(v, (dict, list, bool)) or v is None:
                raise InputError(f"component {key!r}: {v!r} is not an address or CIDR", where)
            try:
                net = _net(str(v))
            except ValueError:
                raise InputError(f"component {key!r}: {v!r} is not an address or CIDR",
                                 where) from None
            if net.prefixlen < WIDE_PREFIX[net.version]:
                if not allow_any:
                    raise InputError(
                        f"component {key!r}: {net} is a very wide network (shorter than "
                        f"/{WIDE_PREFIX[net.version]}): rules would open it to a large part "
                        "of the Internet", where,
                        hint="give the component's real addresses, or pass --allow-any "
                             "if this is meant")
                warnings.append(f"warning: {where}: component {key!r} is given the very wide "
                                f"network {net} (--allow-any)")
            nets.append(net)
        if not nets:
            raise InputError(f"component {key!r} has no address", where)
        nets = sorted(set(nets), key=net_key)
        if key.startswith("glob:"):
            entries.append(Entry(key, where.line, "glob",
                                 re.compile(fnmatch.translate(fold(key[5:]))), nets))
        elif key.startswith("re:"):
            try:
                pattern = re.compile(fold(key[3:]))
            except re.error as exc:
                raise InputError(f"pattern {key!r} is not a regular expression: {exc}",
                                 where) from None
            entries.append(Entry(key, where.line, "re", pattern, nets))
        else:
            entries.append(Entry(key, where.line, "exact", None, nets))
    return AddressMap(entries, warnings)


def net_key(net: Network) -> tuple:
    """Sort key of a network: IPv4 first, then by address and prefix."""
    return (net.version, int(net.network_address), net.prefixlen)
