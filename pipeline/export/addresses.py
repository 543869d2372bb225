"""The address map of ``citrix-ports export``: component names or patterns -> networks,
checked like configuration.

Input: a YAML file::

    # citrix-ports address map
    components:
      delivery-controller: [10.0.10.21, 10.0.10.22]  # registry id: any language, any version
      Serveur StoreFront: [10.0.10.11, 10.0.10.12]   # exact name (case and accents ignored)
      "glob:Contrôleur de domaine*": 10.0.0.10        # shell-style pattern, the whole name
      "re:^Poste de travail": 10.0.99.0/24            # RE2 regular expression (search)

Output: an ``AddressMap``, or an ``InputError`` (exit 2) located at the line of the bad
entry, quoting at most a short excerpt of it.  What is refused (limits in
``data/export_limits.toml``): a file that is not a regular file or is too large, too
many keys or values, a key written twice (both lines named) or two keys naming the same
component, YAML anchors and aliases, any value that is not a plain IPv4 or IPv6 address
or CIDR (no scope id, no host name, no text around it), a host written with a prefix
(``10.10.1.11/24``: the message shows ``10.10.1.11/32`` and ``10.10.1.0/24``), and,
without ``allow_any``, a map whose networks together cover more than an IPv4 /8 or an
IPv6 /32 (IPv4-mapped, NAT64 and 6to4 networks counted as the IPv4 space they stand
for).  Values are read as the text written: YAML never turns one into a number.  Warned
about, not refused: a key that matches no component of the data, a network of one key
inside a larger network of another (``nested_networks``), an IPv4-mapped value.

Matching: a key that is a registry id or an alias in any language names that
component wherever the page names it; an exact name (case and accents ignored) names
it too; an exact key wins over patterns, patterns are tried in file order.
``glob:`` is a shell pattern matched against the whole name (``*``, ``?``, ``[...]``);
``re:`` a regular expression in RE2 syntax (linear time: it cannot hang), searched in
the name as written and in its folded form, case-insensitively.  A name that denotes
several components takes the addresses of each member; ``any-citrix-component`` those
the map gives it, else those of every Citrix server component the map gives (not user
devices, client software, internet endpoints nor third-party servers).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.catalogue import warning
from pipeline.core.bounded import check_depth, excerpt, read_bytes
from pipeline.core.limits import export_limits
from pipeline.core.nearest import nearest
from pipeline.core.normalize import fold
from pipeline.errors import InputError, Location

if TYPE_CHECKING:
    from pipeline.registry.components import Registry

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# What a value may be made of before ipaddress reads it: digits, hex, dots, colons and
# one prefix; anything else (a scope id '%eth0', a space, a newline, a name) is refused.
ADDRESS_TEXT = re.compile(r"[0-9A-Fa-f.:]{2,45}(?:/[0-9]{1,3})?")
# IPv6 prefixes that stand for IPv4 addresses: (prefix, first bit of the IPv4 address).
# Where a prefix allows several embeddings, the one that stands for the most IPv4
# addresses is taken (the IPv4 address at bit 96: any network of it shorter than /97 is
# all of IPv4).
IPV4_IN_IPV6 = (
    (ipaddress.ip_network("::ffff:0:0/96"), 96),  # IPv4-mapped
    (ipaddress.ip_network("::ffff:0:0:0/96"), 96),  # IPv4-translated (SIIT, RFC 2765)
    (ipaddress.ip_network("64:ff9b::/96"), 96),  # NAT64 (RFC 6052)
    (ipaddress.ip_network("64:ff9b:1::/48"), 96),  # local-use NAT64 (RFC 8215)
    (ipaddress.ip_network("2002::/16"), 16),  # 6to4 (RFC 3056)
)


def looks_like_address(text: str) -> bool:
    """Whether ``text`` is meant as an address (an IP address before any ``%`` or ``/``),
    to be parsed as one (``parse_network``) rather than matched as a name.

    >>> looks_like_address("2001:db8::5%eth0"), looks_like_address("dc")
    (True, False)
    """
    head = re.split(r"[%/]", text.strip(), maxsplit=1)[0]
    try:
        ipaddress.ip_address(head)
    except ValueError:
        return False
    return True


limits = export_limits  # ``data/export_limits.toml``, parsed once


@dataclass
class Entry:
    """One key of the map: as written, its line, how it matches, its networks."""

    key: str
    line: int | None
    kind: str  # "exact", "glob" or "re"
    pattern: Any  # a compiled pattern (re for glob, re2 for re), None for exact
    networks: list[Network]

    def matches(self, component: str) -> bool:
        """True when the entry names this component."""
        if self.kind == "exact":
            return fold(self.key) == fold(component)
        if self.kind == "glob":
            return bool(self.pattern.fullmatch(fold(component)))
        return bool(self.pattern.search(component) or self.pattern.search(fold(component)))


@dataclass
class AddressMap:
    """Component -> networks; an id or exact name wins, then patterns in file order."""

    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)
    registry: Registry | None = None  # keys may be ids or aliases of any language
    path: str = ""
    # (name, id) of every component end of the dataset: what "any Citrix component" and
    # the report of patterns look at (set by ``bind``)
    ends: list[tuple[str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # id -> the dataset's first name
    zones: Any = None  # the map's zones (``pipeline.export.zones.Zones``), resolved by bind
    # id -> the first key naming it (an id or an alias): made once per registry, as every
    # end of every row asks it
    _by_id: dict[str, Entry] | None = field(default=None, init=False, repr=False)

    def bind(self, registry: Registry | None, rows: list[dict]) -> None:
        """Attach the registry and the components of the dataset (all its rows, before
        any filter); refuses two keys that name the same component."""
        self.registry = registry
        self._by_id = None
        self.ends = sorted(
            {
                (r[side], r.get(f"{side}_id") or "")
                for r in rows
                for side in ("source", "destination")
            }
        )
        self.names = {}
        for name, cid in self.ends:
            if cid:
                self.names.setdefault(cid, name)
        seen: dict[str, Entry] = {}
        for entry in self.entries:
            cid = self.key_id(entry) or (fold(entry.key) if entry.kind == "exact" else "")
            if not cid:
                continue
            if cid in seen:
                first = seen[cid]
                raise InputError(
                    f"keys {excerpt(first.key)} (line {first.line}) and {excerpt(entry.key)} "
                    f"(line {entry.line}) name the same component{f' ({cid})' if cid != fold(entry.key) else ''}",
                    Location(self.path, entry.line),
                    hint="give the component its addresses under one key",
                )
            seen[cid] = entry
        if self.zones:
            self.zones.resolve(self)

    def key_id(self, entry: Entry) -> str:
        """The component id an exact key names: an id, or an alias in any language."""
        if self.registry is None or entry.kind != "exact":
            return ""
        if entry.key in self.registry.components:
            return entry.key
        return self.registry.component_id(entry.key)  # remembered by the registry

    def by_id(self) -> dict[str, Entry]:
        """Each id the keys name (as the id itself or an alias of it) -> its first key."""
        if self._by_id is None:
            self._by_id = {}
            for entry in self.entries:
                if cid := self.key_id(entry):
                    self._by_id.setdefault(cid, entry)
        return self._by_id

    def keyed(self, cid: str) -> Entry | None:
        """The first key that names the id ``cid``, or None."""
        return self.by_id().get(cid) if cid else None

    def networks(self, name: str, cid: str = "") -> list[Network]:
        """The networks of the component a row names (``name``, its registry id
        ``cid``): a key with its id (or an alias of it), else its name, else a
        pattern; else, for a name that denotes several components, the networks of
        each member the map gives; else, for ``any``, those of every Citrix server
        component the map gives.  [] when none: no rule."""
        own = self.own(name, cid)
        if own or not cid or self.registry is None:
            return own
        entry = self.registry.components.get(cid)
        if entry is None:
            return []
        if entry.members:
            return sorted({n for m in entry.members for n in self.networks("", m)}, key=net_key)
        if entry.kind == "any":
            return sorted({n for _, nets in self.any_members() for n in nets}, key=net_key)
        return []

    def any_members(self) -> list[tuple[str, list[Network]]]:
        """What "any Citrix component" stands for: (id, networks) of every Citrix server
        component of the dataset or of the map's keys that the map gives addresses."""
        if self.registry is None:
            return []
        ids = set(self.names) | set(self.by_id())
        out = []
        for cid in sorted(ids & self.registry.citrix_servers):
            nets = self.own(self.names.get(cid, ""), cid)
            if nets:
                out.append((cid, nets))
        return out

    def lookup(self, component: str) -> list[Network]:
        """The networks of a component, or [] when the map does not name it.

        >>> m = AddressMap([Entry("StoreFront", 1, "exact", None, [_net("10.0.0.1")])])
        >>> m.lookup("STOREFRONT"), m.lookup("Director")
        ([IPv4Network('10.0.0.1/32')], [])
        """
        if not component:
            return []
        for entry in self.entries:
            if entry.kind == "exact" and entry.matches(component):
                return entry.networks
        for entry in self.entries:
            if entry.kind != "exact" and entry.matches(component):
                return entry.networks
        return []

    def destinations(self, name: str, cid: str = "") -> list[tuple[str, list[Network]]]:
        """The ends a row's end stands for, each (id, networks): a name that denotes
        several components, unless the map gives it its own addresses, is each member
        the map gives (a rule per member, so that each member's group or host gets its
        own); "any Citrix component" is each Citrix server component the map gives;
        any other name is itself."""
        members = self.members_of(name, cid)
        if members:
            return [(m, nets) for m in members if (nets := self.networks("", m))]
        if self.is_any(name, cid):
            return self.any_members()
        return [(cid, self.networks(name, cid))]

    def is_any(self, name: str, cid: str) -> bool:
        """Whether the end is "any Citrix component" without addresses of its own."""
        entry = self.registry.components.get(cid) if self.registry is not None and cid else None
        return entry is not None and entry.kind == "any" and not self.own(name, cid)

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
        """The networks the map gives this very name or id (no members, no ``any``): a
        key naming the id, else one naming ``name``, else one naming another name the
        dataset writes the same component with (a pattern written for one of them)."""
        if (entry := self.keyed(cid)) is not None:
            return entry.networks
        nets = self.lookup(name)
        if nets or not cid:
            return nets
        for other, other_id in self.ends:
            if other_id == cid and other != name and (nets := self.lookup(other)):
                return nets
        return []

    def pattern_matches(self) -> list[tuple[Entry, list[str]]]:
        """Each pattern key with the names of the dataset it gives addresses to (an
        exact key or an earlier pattern wins over it)."""
        out = []
        for entry in self.entries:
            if entry.kind == "exact":
                continue
            got = sorted(
                {
                    name
                    for name, cid in self.ends
                    if entry.matches(name)
                    and self.lookup(name) is entry.networks
                    and self.keyed(cid) is None
                }
            )
            out.append((entry, got))
        return out

    def nested_networks(self) -> list[str]:
        """A warning for each network of one key that lies inside a larger network of
        another key (a host inside another component's subnet: the rules to and from that
        component reach the host too), unless the larger one is the key of a group or of
        "any Citrix component" (meant to hold its members).  The same network under two
        keys (one host, two roles) is not warned about."""

        def group(entry: Entry) -> bool:
            cid = self.key_id(entry)
            comp = self.registry.components.get(cid) if self.registry is not None else None
            return comp is not None and (comp.kind == "any" or bool(comp.members))

        nets = sorted(
            ((n, k) for k, e in enumerate(self.entries) for n in e.networks),
            key=lambda item: (item[0].version, int(item[0].network_address), item[0].prefixlen),
        )
        found: list[str] = []
        enclosing: list[tuple[Network, int]] = []  # the networks holding the current one
        for net, k in nets:
            while enclosing and not (
                enclosing[-1][0].version == net.version and net.subnet_of(enclosing[-1][0])  # type: ignore[arg-type]
            ):
                enclosing.pop()
            outer = next(
                (
                    (o, j)
                    for o, j in reversed(enclosing)
                    if j != k and o.prefixlen < net.prefixlen and not group(self.entries[j])
                ),
                None,
            )
            if outer is not None:
                inner_entry, outer_entry = self.entries[k], self.entries[outer[1]]
                shown = net.network_address if net.num_addresses == 1 else net
                found.append(
                    warning(
                        "network-inside-another",
                        line=inner_entry.line,
                        network=shown,
                        key=excerpt(inner_entry.key),
                        outer=outer[0],
                        outer_key=excerpt(outer_entry.key),
                        outer_line=outer_entry.line,
                    )
                )
            enclosing.append((net, k))
        cap = int(limits()["address_map"]["nested_warnings"])
        if len(found) > cap:
            found = found[:cap] + [warning("more-nested", count=len(found) - cap)]
        return found

    def unused_keys(self) -> list[str]:
        """A warning for each key that matches no component of the whole dataset (by
        name, id or alias, members included), with the closest component names and ids
        (a misspelt key is otherwise silently ignored)."""
        names = sorted({n for n, _ in self.ends})
        ids = {c for _, c in self.ends if c}
        if self.registry is not None:
            ids |= {m for i in set(ids) for m in self.registry.members(i)}
        warnings: list[str] = []
        for entry in self.entries:
            if any(entry.matches(c) for c in names) or self.key_id(entry) in ids:
                continue
            asked = entry.key.split(":", 1)[-1] if entry.kind != "exact" else entry.key
            close = nearest(asked, names + sorted(ids))
            hint = f"; closest: {', '.join(map(repr, close))}" if close else ""
            where = f"line {entry.line}: " if entry.line else ""
            warnings.append(
                warning("key-unused", where=where, key=excerpt(entry.key), nearest=hint)
            )
        return warnings


def _net(value: str) -> Network:
    return ipaddress.ip_network(value, strict=False)


def parse_network(value: str) -> Network:
    """A plain address or CIDR, strictly: ``ValueError`` with what the user may mean.

    >>> parse_network("10.0.0.1"), parse_network("2001:db8::/32")
    (IPv4Network('10.0.0.1/32'), IPv6Network('2001:db8::/32'))
    >>> parse_network("10.10.1.11/24")
    Traceback (most recent call last):
    ValueError: a host written with a prefix: mean 10.10.1.11/32 (the host) or 10.10.1.0/24 (its network)?
    """
    if not ADDRESS_TEXT.fullmatch(value):
        raise ValueError(
            "not a plain IPv4 or IPv6 address or CIDR (no scope id, host name, space or other text)"
        )
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "host bits set" not in str(exc):
            raise ValueError("not an IPv4 or IPv6 address or CIDR") from None
    loose = ipaddress.ip_network(value, strict=False)
    host = ipaddress.ip_address(value.split("/")[0])
    raise ValueError(
        f"a host written with a prefix: mean {host}/{loose.max_prefixlen} (the "
        f"host) or {loose} (its network)?"
    )


def ipv4_space(net: Network) -> list[ipaddress.IPv4Network]:
    """The IPv4 networks a network stands for: itself, or those an IPv6 network reaches
    through IPv4-mapped, NAT64 or 6to4 addresses.

    >>> ipv4_space(ipaddress.ip_network("::ffff:0:0/96"))
    [IPv4Network('0.0.0.0/0')]
    >>> ipv4_space(ipaddress.ip_network("2002:a00::/24"))
    [IPv4Network('10.0.0.0/8')]
    """
    if isinstance(net, ipaddress.IPv4Network):
        return [net]
    out: list[ipaddress.IPv4Network] = []
    for prefix, first in IPV4_IN_IPV6:
        if not net.overlaps(prefix):
            continue
        if net.prefixlen <= prefix.prefixlen:
            out.append(ipaddress.IPv4Network("0.0.0.0/0"))
            continue
        bits = max(0, min(net.prefixlen, first + 32) - first)
        value = (int(net.network_address) >> (128 - first - 32)) & 0xFFFFFFFF
        out.append(ipaddress.IPv4Network((value >> (32 - bits) << (32 - bits), bits)))
    return out


def too_wide(nets: list[Network]) -> tuple[int, int] | None:
    """(IP version, prefix) of the limit the union of ``nets`` exceeds, or None."""
    lim = limits()["address_map"]
    v4 = list(ipaddress.collapse_addresses(n4 for n in nets for n4 in ipv4_space(n)))
    v6 = list(ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv6Network)))
    if sum(n.num_addresses for n in v4) > 2 ** (32 - lim["wide_prefix_ipv4"]):
        return 4, lim["wide_prefix_ipv4"]
    if sum(n.num_addresses for n in v6) > 2 ** (128 - lim["wide_prefix_ipv6"]):
        return 6, lim["wide_prefix_ipv6"]
    return None


class _Loader:
    """Reads the YAML as nodes (never constructs Python objects from tags), so that
    lines, duplicates, anchors and the text of every value are seen as written."""

    def __init__(self, path: Path):
        self.path = str(path)

    def fail(self, message: str, line: int | None = None, hint: str = "") -> InputError:
        return InputError(message, Location(self.path, line), hint=hint)

    def root(self, text: str):
        import yaml

        check_depth(text, Location(self.path), "the address map")
        try:
            for event in yaml.parse(text, Loader=yaml.SafeLoader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    raise self.fail(
                        "the address map uses a YAML anchor or alias ('&', '*'): "
                        "write each value out",
                        event.start_mark.line + 1 if event.start_mark else 0,
                    )
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise self.fail(
                f"the address map is not valid YAML: {excerpt(getattr(exc, 'problem', exc), 120)}",
                mark.line + 1 if mark else None,
            ) from None

    def pairs(self, node) -> list[tuple[Any, Any]]:
        """The key/value nodes of a mapping, refusing a key given twice."""
        seen: dict[str, int] = {}
        for key, _value in node.value:
            text = str(key.value)
            line = key.start_mark.line + 1
            if text in seen:
                raise self.fail(
                    f"the key {excerpt(text)} is given twice (lines {seen[text]} "
                    f"and {line}): only one would count",
                    line,
                    hint="merge the two entries into one",
                )
            seen[text] = line
        return node.value


def load_address_map(path: Path, allow_any: bool = False) -> AddressMap:
    """The address map of a YAML file, every entry checked (see the module docstring).

    Raises ``InputError`` located at the entry's line.
    """
    import yaml

    lim = limits()["address_map"]
    raw = read_bytes(
        path,
        lim["max_bytes"],
        "address map",
        missing="write one (citrix-ports components --format yaml > map.yaml gives a "
        "skeleton by id), or start from examples/address-map.yaml",
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the address map is not UTF-8 (byte {exc.start})", Location(str(path))
        ) from None
    loader = _Loader(path)
    root = loader.root(text)
    components = None
    if isinstance(root, yaml.MappingNode):
        components = next((v for k, v in loader.pairs(root) if k.value == "components"), None)
    if not isinstance(components, yaml.MappingNode):
        raise loader.fail(
            "the address map needs a 'components' mapping of component name "
            "or pattern to addresses",
            hint="see the example in examples/address-map.yaml",
        )
    pairs = loader.pairs(components)
    if len(pairs) > lim["max_keys"]:
        raise loader.fail(
            f"the address map has {len(pairs)} keys, more than {lim['max_keys']}",
            hint="give networks (CIDRs) rather than one key per host, or split the map",
        )
    entries: list = []
    warnings: list[str] = []
    total = 0
    union: list[Network] = []
    for key_node, value_node in pairs:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not str(key_node.value).strip():
            raise loader.fail("a key of 'components' must be a component name, id or pattern", line)
        key = str(key_node.value)
        if len(key) > lim["max_key_length"]:
            raise loader.fail(
                f"the key {excerpt(key, lim['excerpt'])} is longer than "
                f"{lim['max_key_length']} characters",
                line,
            )
        values = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        total += len(values)
        if total > lim["max_values"]:
            raise loader.fail(
                f"the address map has more than {lim['max_values']} addresses",
                line,
                hint="give networks (CIDRs) rather than single hosts",
            )
        nets = _networks(loader, key, values, lim)
        if not nets:
            raise loader.fail(f"component {excerpt(key, lim['excerpt'])} has no address", line)
        warnings += [w for w in (mapped_warning(n, key, f"{path}:{line}") for n in nets) if w]
        union += nets
        wide = too_wide(union)
        if wide:
            version, prefix = wide
            message = (
                f"component {excerpt(key, lim['excerpt'])}: with its networks the map "
                f"covers more IPv{version} addresses than a /{prefix} (a large part of "
                "the Internet; IPv4-mapped, NAT64 and 6to4 networks count as IPv4)"
            )
            if not allow_any:
                raise loader.fail(
                    message,
                    line,
                    hint="give the components' real addresses, "
                    "or pass --allow-any if this is meant",
                )
            if not any("covers more" in w for w in warnings):
                warnings.append(warning("wide-network", where=f"{path}:{line}", message=message))
        nets = sorted(set(nets), key=net_key)
        entries.append(_entry(loader, key, line, nets))
    zones = None
    node = next((v for k, v in loader.pairs(root) if k.value == "zones"), None)
    if node is not None:
        from pipeline.export.zones import parse_zones

        zones = parse_zones(
            loader, node, str(path), lambda key, line: _entry(loader, key, line, [])
        )
    return AddressMap(entries, warnings, path=str(path), zones=zones)


def mapped_warning(net: Network, key: str, where: str) -> str:  # a Notice, or ""
    """The warning for an IPv4-mapped network (``::ffff:10.0.20.5``): its host's IPv4
    traffic never matches an IPv6 rule ("" for any other network).

    >>> mapped_warning(ipaddress.ip_network("::ffff:10.0.20.0/120"), "vda", "m.yaml:3")[:70]
    "warning: m.yaml:3: ::ffff:10.0.20.0/120 ('vda') is the IPv4 network 10"
    >>> mapped_warning(ipaddress.ip_network("2001:db8::/64"), "vda", "m.yaml:3")
    ''
    """
    if net.version != 6 or not net.subnet_of(IPV4_IN_IPV6[0][0]):  # type: ignore[arg-type]
        return ""
    (v4,) = ipv4_space(net)  # within the IPv4-mapped prefix: one IPv4 network
    host = v4.num_addresses == 1
    written = f"::ffff:{v4.network_address}" + ("" if host else f"/{net.prefixlen}")
    return warning(
        "ipv4-mapped",
        where=where,
        written=written,
        key=excerpt(key, limits()["address_map"]["excerpt"]),
        what="address" if host else "network",
        ipv4=v4.network_address if host else v4,
    )


def _networks(loader: _Loader, key: str, values: list, lim: dict) -> list[Network]:
    """The networks of one key's value nodes, each an address or CIDR, else a located
    ``InputError`` (the value's line)."""
    import yaml

    nets = []
    for v in values:
        vline = v.start_mark.line + 1
        shown = excerpt(
            v.value if isinstance(v, yaml.ScalarNode) else "(a mapping or list)", lim["excerpt"]
        )
        if not isinstance(v, yaml.ScalarNode):
            raise loader.fail(
                f"component {excerpt(key, lim['excerpt'])}: {shown} is not an address or CIDR",
                vline,
            )
        try:
            net = parse_network(str(v.value))
        except ValueError as exc:
            raise loader.fail(
                f"component {excerpt(key, lim['excerpt'])}: {shown} is {exc}"
                if str(exc).startswith(("a ", "not"))
                else str(exc),
                vline,
                hint="write an address (10.0.0.1, 2001:db8::1) or a "
                "network (10.0.0.0/24, 2001:db8::/64)",
            ) from None
        nets.append(net)
    return nets


def _entry(loader: _Loader, key: str, line: int, nets: list[Network]) -> Entry:
    if key.startswith("glob:"):
        return Entry(key, line, "glob", re.compile(fnmatch.translate(fold(key[5:]))), nets)
    if key.startswith("re:"):
        import re2  # here: only a map with a re: key compiles one (linear-time RE2)

        options = re2.Options()
        options.case_sensitive = False
        options.log_errors = False  # the error is ours to report, located
        try:
            pattern = re2.compile(key[3:], options)
        except re2.error as exc:
            raise loader.fail(
                f"pattern {excerpt(key)} is not an RE2 regular expression: "
                f"{excerpt(_text(exc), 120)}",
                line,
                hint="RE2 syntax: no back-references or look-arounds "
                "(github.com/google/re2/wiki/Syntax)",
            ) from None
        return Entry(key, line, "re", pattern, nets)
    return Entry(key, line, "exact", None, nets)


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


def net_key(net: Network) -> tuple:
    """Sort key of a network: IPv4 first, then by address and prefix."""
    return (net.version, int(net.network_address), net.prefixlen)
