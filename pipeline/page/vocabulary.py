"""The page's vocabularies (``data/vocabulary.toml``) loaded once, with lookups.

Input: ``pipeline/data/vocabulary.toml``.  Output: a ``Vocabulary`` whose lookups
normalise case and white space, used by the readers and the grammar.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import DATA_DIR
from pipeline.core.normalize import name_key, norm


@dataclass(frozen=True)
class Condition:
    """A deployment a flow is required in only (``[conditions.<id>]``): its name, the
    transport half it applies to ("" for every half) and its wordings, as name keys."""

    id: str
    name: str
    protocol: str
    wordings: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # hashed by identity: one per vocabulary file
class Vocabulary:
    """The words of ``data/vocabulary.toml``, normalised for lookup."""

    header_roles: dict[str, str]  # norm(header text) -> role
    transports: dict[str, str]  # norm(word) -> tcp/udp/icmp
    applications: dict[str, str]  # norm(word) -> transport
    type_separators: tuple[str, ...]
    no_port_words: frozenset[str]
    bidirectional_words: tuple[str, ...]
    list_separators: tuple[str, ...]
    range_separators: tuple[str, ...]
    note_markers: tuple[str, ...]
    heading_max_words: int
    heading_max_chars: int
    locale_markers: dict[str, tuple[str, ...]]
    report_labels: dict[str, dict[str, str]]  # locale -> label -> text (build/report.md)
    placeholders: frozenset[str] = frozenset()  # norm(cell) meaning "same as above"
    portless: frozenset[str] = frozenset()  # transports without ports (icmp)
    conditions: tuple[Condition, ...] = ()  # in file order
    # locale -> (patterns of a component acting for another, of the ports that apply)
    references: dict[str, tuple[tuple[re.Pattern, ...], tuple[re.Pattern, ...]]] = field(
        default_factory=dict
    )
    elsewhere: tuple[re.Pattern, ...] = ()  # a sentence sending to another page for ports
    # flows written in a sentence: (pattern, {"source"/"destination": name to use})
    prose_flows: tuple[tuple[re.Pattern, dict[str, str]], ...] = ()
    prose_hint: re.Pattern | None = None  # what makes a sentence look like a flow
    # a sentence naming the machine a section's services are reached on:
    # (pattern, peer id, the services it applies to: () for every one)
    peers: tuple[tuple[re.Pattern, str, tuple[str, ...]], ...] = ()

    def condition_of(self, details: str, protocol: str) -> str:
        """The id of the condition a row's words (its Details, and the names of its ends:
        "Citrix ADC Appliance (for High Availability)") state for its ``protocol`` half,
        or "".

        >>> v = load()
        >>> v.condition_of("Avec le protocole EDT, 1494 doit être ouvert pour UDP.", "udp")
        'edt'
        >>> v.condition_of("Avec le protocole EDT, 1494 doit être ouvert pour UDP.", "tcp")
        ''
        """
        text = name_key(details)
        for c in self.conditions:
            if (not c.protocol or c.protocol == protocol) and any(w in text for w in c.wordings):
                return c.id
        return ""

    def role_of_header(self, text: str) -> str | None:
        """The column role a header cell names, or None.

        >>> load().role_of_header(" DÉTAILS ")
        'details'
        """
        return self.header_roles.get(norm(text))

    @functools.cached_property
    def protocol_words(self) -> frozenset[str]:
        """Every word a Type cell may hold (transports and application protocols)."""
        return frozenset(self.transports) | frozenset(self.applications)

    def is_portless(self, words: list[str]) -> bool:
        """Whether a Type cell's protocol words all name transports without ports.

        >>> load().is_portless(["ICMP"]), load().is_portless(["TCP"])
        (True, False)
        """
        return bool(words) and all(self.transports.get(norm(w)) in self.portless for w in words)

    def labels(self, locale: str) -> dict[str, str]:
        """The report's words for a locale (en-us for a locale without its own).

        >>> load().labels("fr-fr")["no_port"], load().labels("xx-yy")["no_port"]
        ('aucun port', 'no port')
        """
        return {**self.report_labels.get("en-us", {}), **self.report_labels.get(locale, {})}

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales the vocabulary knows, in file order.

        >>> load().locales[:2]
        ('fr-fr', 'en-us')
        """
        return tuple(self.locale_markers)

    @functools.cached_property
    def type_split_re(self) -> re.Pattern[str]:
        """The pattern that splits a Type cell into its protocol words."""
        seps = sorted(self.type_separators, key=len, reverse=True)
        return re.compile("|".join(re.escape(s) for s in seps) + r"|\s+", re.IGNORECASE)


@functools.cache
def load(path: Path | None = None) -> Vocabulary:
    """The vocabulary of ``path`` (default ``data/vocabulary.toml``), loaded once."""
    import tomllib  # here: the read-only commands never read the vocabulary

    data = tomllib.loads((path or DATA_DIR / "vocabulary.toml").read_text("utf-8"))
    roles = {norm(h): role for role, names in data["headers"].items() for h in names}
    transports = {norm(w): proto for proto, words in data["transports"].items() for w in words}
    return Vocabulary(
        header_roles=roles,
        transports=transports,
        applications={norm(k): v for k, v in data["applications"].items()},
        type_separators=tuple(data["type_grammar"]["separators"]),
        no_port_words=frozenset(norm(w) for w in data["ports"]["none"]),
        bidirectional_words=tuple(data["ports"]["bidirectional"]),
        list_separators=tuple(data["ports"]["list_separators"]),
        range_separators=tuple(data["ports"]["range_separators"]),
        note_markers=tuple(data["prose"]["note_markers"]),
        heading_max_words=int(data["prose"]["heading_max_words"]),
        heading_max_chars=int(data["prose"]["heading_max_chars"]),
        locale_markers={k: tuple(v["markers"]) for k, v in data["locales"].items()},
        report_labels={k: dict(v) for k, v in data.get("report", {}).items()},
        placeholders=frozenset(norm(w) for w in data.get("cells", {}).get("placeholders", [])),
        portless=frozenset(data.get("portless", {}).get("transports", [])),
        conditions=tuple(
            Condition(
                cid,
                str(c["name"]),
                str(c.get("protocol", "")),
                tuple(name_key(w) for ws in c.get("wordings", {}).values() for w in ws),
            )
            for cid, c in data.get("conditions", {}).items()
        ),
        references={
            locale: tuple(  # type: ignore[misc]
                tuple(re.compile(p, re.IGNORECASE) for p in r.get(kind, []))
                for kind in ("acts", "ports")
            )
            for locale, r in data.get("references", {}).items()
        },
        elsewhere=tuple(
            re.compile(p, re.IGNORECASE)
            for e in data.get("elsewhere", {}).values()
            for p in e.get("patterns", [])
        ),
        prose_flows=tuple(
            (
                re.compile(f["pattern"], re.IGNORECASE),
                {k: str(f[k]) for k in ("source", "destination") if k in f},
            )
            for f in data.get("prose_flows", {}).get("flow", [])
        ),
        prose_hint=re.compile(data["prose_flows"]["hint"], re.IGNORECASE)
        if "hint" in data.get("prose_flows", {})
        else None,
        peers=tuple(
            (re.compile(p["pattern"], re.IGNORECASE), str(p["peer"]), tuple(p.get("services", ())))
            for p in data.get("peers", [])
        ),
    )
