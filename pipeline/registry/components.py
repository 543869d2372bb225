"""The component registry: one stable identity per machine role and per section.

Input: ``pipeline/data/components.toml`` (reviewed data; its format is documented at
the top of the file and in ``docs/components.md``).  Output: a ``Registry`` that tells
the id of a component or section name as any page writes it (any locale, any former
name), the members of a name that denotes several components, and the English name of
an id.  Every entry is checked on load; a malformed registry, an unknown field, a
duplicate id or alias, an unreviewed proposal or a member that is no component is a
``DataError`` located at its line in the file.

Names are compared by ``normalize.name_key`` (case, accents, typographic apostrophes
and dashes, spaces around ``/``).  Standard library only: ``query`` loads it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import DATA_DIR
from pipeline.core.normalize import LOCALE, clean, lines, name_key
from pipeline.errors import DataError, InputError, Location

REGISTRY_FILE = DATA_DIR / "components.toml"
KINDS = ("component", "address", "service", "external", "any", "client")
# "Any Citrix component" (kind any) stands for the components of these kinds whose
# family is Citrix's: not a client (user devices, consoles, client software), a service,
# an internet endpoint, nor a Microsoft, third-party or infrastructure server.
CITRIX_SERVER_KINDS = ("component", "address")
NOT_CITRIX = frozenset({"Microsoft", "Third party", "Infrastructure"})
ID_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
COMPONENT_FIELDS = {"name", "kind", "family", "aliases", "former", "members", "note"}
SECTION_FIELDS = {"name", "aliases", "former", "note"}
RENAME_FIELDS = {"from", "to", "year", "source"}
ABBREVIATION_FIELDS = {"short", "long", "source", "note"}
QUALIFIER = re.compile(r"\s*\([^()]*\)$")  # a trailing qualifier: "StoreFront (HTTPS)"
TOP_LEVEL = {
    "component",
    "section",
    "rename",
    "abbreviation",
    "retired",
    "platform",
    "served_by",
    "on_host",
}
PLATFORM_FIELDS = {"components", "source", "note"}
HEADER = re.compile(r'^\s*\[\s*(\w+)\s*\.\s*"?([^"\]\s]+)"?\s*\]')  # [component.id]


@dataclass(frozen=True)
class Former:
    """A name an entry had before a rename retired it."""

    name: str
    locale: str
    renamed_by: str  # a rename id


@dataclass(frozen=True)
class Entry:
    """A component or a section of the registry."""

    id: str
    name: str  # English display name
    what: str  # "component" or "section"
    line: int
    kind: str = ""  # components: one of KINDS
    family: str = ""  # components: the product family
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # locale -> names
    former: tuple[Former, ...] = ()
    members: tuple[str, ...] = ()  # a name that denotes several components

    def names(self) -> list[tuple[str, str]]:
        """Every (locale, name) the entry is written as: its aliases and former names."""
        out = [(loc, n) for loc, names in sorted(self.aliases.items()) for n in names]
        return out + [(f.locale, f.name) for f in self.former]


def words(key: str) -> str:
    """A name key's words in sorted order.

    >>> words("wol proxy") == words("proxy wol")
    True
    """
    return " ".join(sorted(key.split()))


def singular(text: str) -> str:
    """The name key of a name as written with each plural word in the singular: a word
    of more than three letters ending in a lower-case ``s`` (``VDAs``, ``Servers``, not
    ``HTTPS``, an acronym; ``ss``, ``us`` and ``is`` endings kept: ``Access``,
    ``Status``, ``Analysis``).

    >>> singular("Citrix Virtual Apps and Desktops VDAs"), singular("HTTPS Servers")
    ('citrix virtual app and desktop vda', 'https server')
    """
    return name_key(
        " ".join(
            w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) else w
            for w in text.split()
        )
    )


@dataclass(frozen=True, eq=False)
class Registry:
    """Components and sections by id, and by the key of every name they are written as."""

    components: dict[str, Entry]
    sections: dict[str, Entry]
    renames: dict[str, dict]
    path: str = ""
    _by_name: dict[tuple[str, str], str] = field(default_factory=dict)  # (what, key) -> id
    abbreviations: dict[str, dict] = field(default_factory=dict)  # id -> short, long, source
    # operating system -> the component ids that run it (``[platform.<os>]``, with a source)
    platforms: dict[str, frozenset[str]] = field(default_factory=dict)
    # a service (kind service) -> the machine role that serves it (``[served_by]``)
    served_by: dict[str, str] = field(default_factory=dict)
    # services that are programs on the machine of the flow's other end (``[on_host]``)
    on_host: frozenset[str] = frozenset()
    # (what, key, text) -> (id, rule): the rules are a pure function of the registry's data,
    # and an export asks the same names again for every key of a map
    _found: dict[tuple[str, str, str], tuple[str, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    def component_id(self, name: str) -> str:
        """The id of a component name as a page writes it, or "" when unknown.

        >>> r = Registry.from_data({"component": {"vda": {"name": "VDA", "kind":
        ...     "component", "family": "CVAD", "aliases": {"fr-fr": ["Agent VDA"]}}}})
        >>> r.component_id("agent  vda"), r.component_id("Director")
        ('vda', '')
        """
        return self.component_found(name)[0]

    def section_id(self, name: str) -> str:
        """The id of a section heading, or "" when unknown."""
        return self.section_found(name)[0]

    def component_found(self, name: str) -> tuple[str, str]:
        """(id, rule) of a component name as a page writes it (see ``found``)."""
        return self.found("component", name_key(name), name)

    def section_found(self, name: str) -> tuple[str, str]:
        """(id, rule) of a section heading (see ``found``)."""
        return self.found("section", name_key(name), name)

    def lookup(self, what: str, key: str) -> str:
        """The id of a name key ("" when no rule finds one): see ``found``."""
        return self.found(what, key)[0]

    def found(self, what: str, key: str, text: str = "") -> tuple[str, str]:
        """(id, the rule that found it) for a name key, the rules in order: ``alias`` (an
        alias or former name), ``name`` (the registry's English display name),
        ``rename`` (a declared product rename undone or applied: ``NetScaler Gateway
        SNIP`` is ``Citrix Gateway SNIP``), ``abbreviation`` (a declared abbreviation
        expanded or written short, a whole word: ``WOL Proxy`` is ``Wake-on-LAN proxy``),
        ``words`` (the same words in another order,
        naming one id only), ``plural`` (the same words in the singular, naming one id
        only), ``qualifier`` (the name without a trailing qualifier in
        parentheses, ``StoreFront (HTTPS)``); ("", "") when none does.

        >>> r = Registry.from_data({"component": {"sf": {"name": "StoreFront Server",
        ...     "kind": "component", "family": "F", "aliases": {"en-us": ["StoreFront"]}}}})
        >>> r.found("component", "storefront (https)"), r.found("component", "storefront server")
        (('sf', 'qualifier'), ('sf', 'name'))
        """
        memo = self._found.get((what, key, text))
        if memo is None:
            memo = self._found[what, key, text] = self._find(what, key, text)
        return memo

    def _find(self, what: str, key: str, text: str) -> tuple[str, str]:
        """``found``, not remembered."""
        found = self._by_name.get((what, key))
        if found is not None:
            return found, "alias"
        for how, eid in self._heuristics(what, key, text):
            if eid:
                return eid, how
        base = QUALIFIER.sub("", key)
        if base != key and base:
            eid, how = self.found(what, base, QUALIFIER.sub("", text))
            if eid:
                return eid, "qualifier"
        return "", ""

    def _heuristics(self, what: str, key: str, text: str = ""):
        """The rules after the aliases, lazily, in order (``plural`` needs the name as
        written, ``text``: its case tells a plural from an acronym)."""
        yield "name", self._fallback.get((what, key), "")
        yield "rename", self._renamed(what, key)
        yield "abbreviation", self._abbreviated(what, key)
        yield "words", self._by_words.get((what, words(key)), "")
        yield "plural", self._by_singular.get((what, words(singular(text))), "") if text else ""

    @functools.cached_property
    def _fallback(self) -> dict[tuple[str, str], str]:
        """The registry's English display names, where no alias already has the key."""
        out: dict[tuple[str, str], str] = {}
        for what, entries in (("component", self.components), ("section", self.sections)):
            for entry in entries.values():
                out.setdefault((what, name_key(entry.name)), entry.id)
        return out

    @functools.cached_property
    def _by_words(self) -> dict[tuple[str, str], str]:
        """Names by their words in any order (``WOL Proxy`` is ``Proxy WOL``), where the
        words name one id only."""
        seen: dict[tuple[str, str], set[str]] = {}
        for (what, key), eid in list(self._by_name.items()) + list(self._fallback.items()):
            seen.setdefault((what, words(key)), set()).add(eid)
        return {k: next(iter(ids)) for k, ids in seen.items() if len(ids) == 1}

    @functools.cached_property
    def _by_singular(self) -> dict[tuple[str, str], str]:
        """Names by their words in the singular, in any order (``Citrix Virtual Apps and
        Desktops VDAs`` is ``… VDA``), where those words name one id only."""
        seen: dict[tuple[str, str], set[str]] = {}
        for what, entries in (("component", self.components), ("section", self.sections)):
            for entry in entries.values():
                for _, name in [*entry.names(), ("", entry.name)]:
                    seen.setdefault((what, words(singular(name))), set()).add(entry.id)
        return {k: next(iter(ids)) for k, ids in seen.items() if len(ids) == 1}

    @functools.cached_property
    def _rename_keys(self) -> tuple[tuple[str, str], ...]:
        """Each declared rename as (new name key, old name key) and back, longest first."""
        pairs = []
        for rename in self.renames.values():
            old, new = name_key(rename["from"]), name_key(rename["to"])
            pairs += [(new, old), (old, new)]
        return tuple(sorted(pairs, key=lambda p: -len(p[0])))

    def _renamed(self, what: str, key: str) -> str:
        """The id of a name whose product name a declared rename replaced."""
        for written, other in self._rename_keys:
            if written and written in key:
                candidate = key.replace(written, other)
                found = self._by_name.get((what, candidate)) or self._fallback.get(
                    (what, candidate)
                )
                if found:
                    return found
        return ""

    @functools.cached_property
    def _abbreviation_keys(self) -> tuple[tuple[re.Pattern, str], ...]:
        """Each declared abbreviation as (whole-word pattern of one form, the other form),
        both ways, longest first."""
        pairs = []
        for abbreviation in self.abbreviations.values():
            short, long = name_key(abbreviation["short"]), name_key(abbreviation["long"])
            pairs += [(short, long), (long, short)]
        return tuple(
            (re.compile(rf"(?<![\w-]){re.escape(a)}(?![\w-])"), b)
            for a, b in sorted(pairs, key=lambda p: -len(p[0]))
        )

    def _abbreviated(self, what: str, key: str) -> str:
        """The id of a name that writes a declared abbreviation short or long where the
        registry writes the other form (one substitution, then alias, name or rename)."""
        for pattern, other in self._abbreviation_keys:
            candidate = pattern.sub(other, key)
            if candidate != key:
                found = (
                    self._by_name.get((what, candidate))
                    or self._fallback.get((what, candidate))
                    or self._renamed(what, candidate)
                )
                if found:
                    return found
        return ""

    def members(self, cid: str) -> tuple[str, ...]:
        """The components an id stands for: its members, else itself."""
        entry = self.components.get(cid)
        return entry.members if entry and entry.members else (cid,)

    @functools.cached_property
    def citrix_servers(self) -> frozenset[str]:
        """The components "any Citrix component" stands for: Citrix's own server
        components and addresses (kinds ``CITRIX_SERVER_KINDS``, families not in
        ``NOT_CITRIX``), never clients, services, internet endpoints or group names."""
        return frozenset(
            i
            for i, e in self.components.items()
            if e.kind in CITRIX_SERVER_KINDS and e.family not in NOT_CITRIX and not e.members
        )

    def stands_for(self, cid: str) -> frozenset[str]:
        """The ids a row's end ``cid`` stands for: itself, its members, and for "any
        Citrix component" every Citrix server component."""
        entry = self.components.get(cid)
        if entry is None:
            return frozenset([cid]) if cid else frozenset()
        out = {cid, *entry.members}
        if entry.kind == "any":
            out |= self.citrix_servers
        return frozenset(out)

    def english(self, eid: str, what: str = "component") -> str:
        """The English display name of a component (or ``what="section"``) id ("" if
        the registry has none)."""
        entry = (self.components if what == "component" else self.sections).get(eid)
        return entry.name if entry else ""

    def exact(self, text: str) -> frozenset[str]:
        """The component id ``text`` is, whole: an id, or a whole name (any locale, former
        names included), by key; empty when it is neither (never a part of a name)."""
        if text in self.components:
            return frozenset([text])
        found = self._by_name.get(("component", name_key(text)))
        return frozenset([found]) if found else frozenset()

    @functools.lru_cache(maxsize=256)  # noqa: B019 (a registry lives as long as the process)
    def resolve(self, text: str) -> frozenset[str]:
        """Component ids a person may mean by ``text``: an id, or any name (any locale,
        former names included) of which ``text`` is the whole or a part, by key."""
        exact = self.exact(text)
        if exact:
            return exact
        key = name_key(text)
        return frozenset(
            cid
            for (what, k), cid in self._by_name.items()
            if what == "component" and key and key in k
        )

    @classmethod
    def from_data(cls, data: dict, path: str = "", text: str = "") -> Registry:
        """A registry from the parsed TOML, every entry checked (``DataError``)."""
        return _Loader(path, text).registry(data)


class _Loader:
    """Checks the parsed TOML entry by entry, locating problems at their line."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = lines(text)
        self.problems: list[str] = []
        self.headers: dict[tuple[str, str], int] = {}  # (table, id) -> line of [table.id]
        for i, ln in enumerate(self.lines, 1):
            m = HEADER.match(ln)
            if m:
                self.headers.setdefault((m.group(1), m.group(2)), i)

    def line_of(self, what: str, eid: str) -> int:
        """The line of ``[what.eid]`` in the file (0 when not found)."""
        return self.headers.get((what, eid), 0)

    def line_after(self, start: int, needle: str) -> int:
        """The first line from ``start`` on that holds ``needle`` as a TOML string."""
        quoted = (f'"{needle}"', f"'{needle}'")
        return next(
            (
                i
                for i, ln in enumerate(self.lines, 1)
                if i >= start and any(q in ln for q in quoted)
            ),
            start,
        )

    def problem(self, line: int, text: str) -> None:
        self.problems.append(f"{self.path}:{line}: {text}" if line else f"{self.path}: {text}")

    def registry(self, data: dict) -> Registry:
        for key in sorted(set(data) - TOP_LEVEL):
            self.problem(0, f"unknown table {key!r} (expected {', '.join(sorted(TOP_LEVEL))})")
        retired = data.get("retired", [])
        if not isinstance(retired, list) or not all(isinstance(r, str) for r in retired):
            self.problem(0, "'retired' must be a list of ids")
            retired = []
        renames = self.renames(data.get("rename", {}))
        abbreviations = self.abbreviations(data.get("abbreviation", {}))
        components = self.entries("component", data.get("component", {}), renames)
        sections = self.entries("section", data.get("section", {}), renames)
        for eid in sorted((set(components) | set(sections)) & set(retired)):
            self.problem(
                self.line_of("component", eid) or self.line_of("section", eid),
                f"id {eid!r} is retired and must never be reused",
            )
        for entry in components.values():
            for member in entry.members:
                if member not in components:
                    self.problem(
                        self.line_after(entry.line, member),
                        f"component {entry.id!r}: member {member!r} is no component",
                    )
                elif components[member].members:
                    self.problem(
                        self.line_after(entry.line, member),
                        f"component {entry.id!r}: member {member!r} has members itself",
                    )
        named_as_member = {m for e in components.values() for m in e.members}
        raw_served = data.get("served_by", {})
        serving = set(raw_served.values()) if isinstance(raw_served, dict) else set()
        for entry in components.values():
            if (
                not entry.aliases
                and not entry.former
                and entry.id not in named_as_member
                and entry.id not in serving
            ):
                self.problem(
                    entry.line,
                    f"component {entry.id!r} has no alias, is no member of another and "
                    "serves no service ([served_by]): no page name would find it",
                )
        by_name: dict[tuple[str, str], str] = {}
        for what, entries in (("component", components), ("section", sections)):
            for entry in entries.values():
                for locale, name in entry.names():
                    key = (what, name_key(name))
                    other = by_name.setdefault(key, entry.id)
                    if other != entry.id:
                        self.problem(
                            self.line_after(entry.line, name),
                            f"{what} alias {name!r} ({locale}) of {entry.id!r} is "
                            f"already an alias of {other!r}: a name has one id",
                        )
        platforms = self.platforms(data.get("platform", {}), components)
        served_by = self.served_by(data.get("served_by", {}), components)
        on_host = self.on_host(data.get("on_host", {}), components)
        if self.problems:
            raise DataError(f"the component registry {self.path} is not valid", self.problems)
        return Registry(
            components,
            sections,
            renames,
            self.path,
            by_name,
            abbreviations,
            platforms,
            served_by,
            on_host,
        )

    def on_host(self, table, components: dict) -> frozenset[str]:
        """``[on_host]``: the services that are programs on the machine of the flow's other
        end (``components``, with the ``source`` that says so), each a service."""
        line = next((i for i, ln in enumerate(self.lines, 1) if ln.strip() == "[on_host]"), 0)
        if not table:
            return frozenset()
        ids = table.get("components") if isinstance(table, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            self.problem(line, "on_host: 'components' must be a list of service ids")
            return frozenset()
        if not isinstance(table.get("source"), str) or not table["source"].strip():
            self.problem(line, "on_host: 'source' (where it is said) must be a text")
        for cid in ids:
            if cid not in components or components[cid].kind != "service":
                self.problem(line, f"on_host: {cid!r} is no service of the registry")
        return frozenset(ids)

    def served_by(self, table, components: dict) -> dict[str, str]:
        """``[served_by]``: service id -> the id of the machine role serving it, with the
        ``source`` that says so; each a component of the right kind."""
        line = next((i for i, ln in enumerate(self.lines, 1) if ln.strip() == "[served_by]"), 0)
        if not isinstance(table, dict):
            self.problem(line, "'served_by' must be a table of service ids")
            return {}
        source = table.get("source")
        if table and (not isinstance(source, str) or not source.strip()):
            self.problem(line, "served_by: 'source' (where it is said) must be a text")
        out = {}
        for service, server in table.items():
            if service == "source":
                continue
            entry, by = components.get(service), components.get(server)
            if entry is None or entry.kind != "service":
                self.problem(line, f"served_by: {service!r} is no service of the registry")
            elif not isinstance(server, str) or by is None or by.kind == "service":
                self.problem(line, f"served_by: {service!r} -> {server!r} is no machine role")
            else:
                out[service] = server
        return out

    def platforms(self, table, components: dict) -> dict[str, frozenset[str]]:
        """The operating system of server roles: ``[platform.<os>]`` with ``components``
        (ids of the registry) and the ``source`` that says so, each checked."""
        checked = self.by_id("platform", table, PLATFORM_FIELDS, ("source",), "text")
        out = {}
        for name, entry in checked.items():
            line = self.line_of("platform", name)
            ids = self.strings(
                entry.get("components", []), line, f"platform {name!r}: 'components'"
            )
            for cid in ids:
                if cid not in components:
                    self.problem(
                        self.line_after(line, cid), f"platform {name!r}: {cid!r} is no component"
                    )
            out[name] = frozenset(ids)
        return out

    def abbreviations(self, table) -> dict[str, dict]:
        """Abbreviations by id: ``short`` and ``long`` forms and the ``source`` that
        attests them, each checked."""
        return self.by_id("abbreviation", table, ABBREVIATION_FIELDS, ("short", "long", "source"), "text")  # fmt: skip

    def renames(self, table) -> dict[str, dict]:
        """Renames by id: the names ``from`` and ``to``, each checked."""
        return self.by_id("rename", table, RENAME_FIELDS, ("from", "to"), "name")

    def by_id(
        self, what: str, table, fields: set[str], required: tuple[str, ...], noun: str
    ) -> dict[str, dict]:
        """The tables of ``what`` by id, each with only ``fields`` and a non-empty text
        for each ``required`` one (each problem said at its line)."""
        if not isinstance(table, dict):
            self.problem(0, f"'{what}' must be a table of {what}s by id")
            return {}
        out = {}
        for eid, entry in table.items():
            line = self.line_of(what, eid)
            if not isinstance(entry, dict):
                self.problem(line, f"{what} {eid!r} must be a table")
                continue
            for key in sorted(set(entry) - fields):
                self.problem(line, f"{what} {eid!r}: unknown field {key!r}")
            for key in required:
                value = entry.get(key)
                if not isinstance(value, str) or not value.strip():
                    self.problem(line, f"{what} {eid!r}: {key!r} must be a {noun}")
            out[eid] = entry
        return out

    def entries(self, what: str, table, renames: dict) -> dict[str, Entry]:
        if not isinstance(table, dict):
            self.problem(0, f"'{what}' must be a table of entries by id")
            return {}
        out = {}
        allowed = COMPONENT_FIELDS if what == "component" else SECTION_FIELDS
        for eid, raw in table.items():
            line = self.line_of(what, eid)
            if not isinstance(raw, dict):
                self.problem(line, f"{what} {eid!r} must be a table")
                continue
            if not ID_PATTERN.fullmatch(eid):
                self.problem(
                    line,
                    f"{what} id {eid!r} is not a slug (lower-case words "
                    "joined by '-', such as 'delivery-controller')",
                )
            for key in sorted(set(raw) - allowed):
                hint = (
                    " (a proposal of 'align': review it, then drop the field)"
                    if key == "status"
                    else ""
                )
                self.problem(line, f"{what} {eid!r}: unknown field {key!r}{hint}")
            name = raw.get("name")
            if not isinstance(name, str) or not clean(name):
                self.problem(line, f"{what} {eid!r}: 'name' (the English name) is required")
                name = ""
            kind = family = ""
            members: tuple[str, ...] = ()
            if what == "component":
                kind = raw.get("kind", "")
                if kind not in KINDS:
                    self.problem(
                        line,
                        f"component {eid!r}: 'kind' must be one of "
                        f"{', '.join(KINDS)}, not {kind!r}",
                    )
                family = raw.get("family", "")
                if not isinstance(family, str) or not family:
                    self.problem(line, f"component {eid!r}: 'family' (the product) is required")
                    family = ""
                members = tuple(
                    self.strings(raw.get("members", []), line, f"component {eid!r}: 'members'")
                )
            aliases = {}
            raw_aliases = raw.get("aliases", {})
            if not isinstance(raw_aliases, dict):
                self.problem(line, f"{what} {eid!r}: 'aliases' must map locales to lists")
                raw_aliases = {}
            for locale, names in raw_aliases.items():
                if not LOCALE.fullmatch(locale):
                    self.problem(line, f"{what} {eid!r}: {locale!r} is not a locale (fr-fr)")
                aliases[locale] = tuple(
                    clean(n) for n in self.strings(names, line, f"{what} {eid!r}: aliases.{locale}")
                )
            former = []
            raw_former = raw.get("former", [])
            if not isinstance(raw_former, list):
                self.problem(line, f"{what} {eid!r}: 'former' must be a list of tables")
                raw_former = []
            for item in raw_former:
                if not isinstance(item, dict) or set(item) != {"name", "locale", "renamed_by"}:
                    self.problem(
                        line, f"{what} {eid!r}: each former name is {{ name, locale, renamed_by }}"
                    )
                    continue
                if item["renamed_by"] not in renames:
                    self.problem(
                        self.line_after(line, item["name"]),
                        f"{what} {eid!r}: former name {item['name']!r} is renamed by "
                        f"{item['renamed_by']!r}, which is no rename of the registry",
                    )
                former.append(
                    Former(clean(str(item["name"])), str(item["locale"]), str(item["renamed_by"]))
                )
            if not aliases and not former and what == "section":
                self.problem(line, f"section {eid!r} has no alias: no heading would find it")
            out[eid] = Entry(
                eid, clean(name), what, line, kind, family, aliases, tuple(former), members
            )
        return out

    def strings(self, value, line: int, what: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and clean(v) for v in value):
            self.problem(line, f"{what} must be a list of non-empty strings")
            return []
        return value


def parse(text: str, path: Path) -> dict:
    """The registry's TOML ``text`` parsed by tomllib (``DataError`` when it is not valid
    TOML)."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"the component registry {path} is not valid TOML", [str(exc)]) from None


def read_text(path: Path) -> str:
    """The text of a registry file (``DataError`` when it cannot be read)."""
    from pipeline.core.bounded import read_input

    try:
        return read_input(path, "registry", "component registry").decode("utf-8")
    except InputError as exc:
        raise DataError(
            f"cannot read the component registry: {exc.message}",
            [],
            Location(str(path)),
            hint=exc.hint,
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the component registry is not UTF-8 (byte {exc.start})", [], Location(str(path))
        ) from None


@functools.cache
def load(path: Path = REGISTRY_FILE) -> Registry:
    """The registry of ``path`` (by default the package's), checked; ``DataError`` when it
    cannot be read or is not valid (every problem with its line)."""
    text = read_text(path)
    return Registry.from_data(parse(text, path), str(path), text)
