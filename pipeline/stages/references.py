"""References stage: the flows a note row derives from rows elsewhere on the page.

Input: the rules and the ports rows (with their registry ids), the ids of the note rules,
the vocabulary's reference wordings (``[references.<locale>]``) and the registry.
Output: ``Derived``: ports rows derived from notes (each a flow like any other, with the
rule ids of the rows it takes its ports from in ``derived_from``), the note rules that
derived them (no longer notes), rejects for the notes that say it but name what the page
lacks, and a located warning for each of those and for each note row between two
components whose details no wording reads (a reference in a wording not yet known).

A note such as "Le Cloud Connector agit en tant que proxy pour le Delivery Controller.
Tous les ports répertoriés pour Delivery Controller vers VDA dans la section Citrix
Virtual Apps and Desktops doivent également être pris en compte." derives, from every
ports row of that section from the Delivery Controller to the VDA, a flow with the note
row's own ends (the Cloud Connector in the place of the Delivery Controller: the note's
row must say exactly that), the same protocol, ports, direction (both ways where the
referenced row is) and condition.  Nothing is guessed: a name the registry does not
know, a section without such rows, or a note row whose ends are not the ones the
sentence gives derives nothing and is rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.catalogue import Notice, warning
from pipeline.page.vocabulary import Vocabulary


@dataclass
class Derived:
    """What the notes of the page derive."""

    ports: list[dict] = field(default_factory=list)  # ports rows (published columns)
    rules: list[str] = field(default_factory=list)  # note rule ids that derived flows
    rejects: list[tuple[dict, str]] = field(default_factory=list)  # (note rule, reason)
    warnings: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    """What a note says: ``acting`` acts for ``for_``; the ports from ``source`` to
    ``destination`` in ``section`` apply (the page's words)."""

    acting: str
    for_: str
    source: str
    destination: str
    section: str


def reference_of(text: str, vocab: Vocabulary) -> Reference | None:
    """The reference a note's text states whole (both sentences), else None.

    >>> from pipeline.page.vocabulary import load
    >>> reference_of("Le Cloud Connector agit en tant que proxy pour le Delivery Controller. "
    ...     "Tous les ports répertoriés pour Delivery Controller vers VDA dans la section "
    ...     "Citrix Virtual Apps and Desktops doivent également être pris en compte.", load())
    Reference(acting='Cloud Connector', for_='Delivery Controller', source='Delivery Controller', destination='VDA', section='Citrix Virtual Apps and Desktops')
    """
    for acts, ports in vocab.references.values():
        a = next((m for p in acts if (m := p.search(text))), None)
        b = next((m for p in ports if (m := p.search(text))), None)
        if a and b:
            return Reference(
                a["acting"].strip(),
                a["for"].strip(),
                b["from"].strip(),
                b["to"].strip(),
                b["section"].strip(),
            )
    return None


def said_partly(text: str, vocab: Vocabulary) -> bool:
    """Whether a note's text states one of the two sentences of a reference only."""
    return any(
        any(p.search(text) for p in acts) != any(p.search(text) for p in ports)
        for acts, ports in vocab.references.values()
    )


def derive(
    rules: list[dict], ports: list[dict], notes: list[str], vocab: Vocabulary, registry
) -> Derived:
    """The flows the note rules ``notes`` derive (see the module docstring)."""
    out = Derived()
    by_id = {r["rule_id"]: r for r in rules}
    for rid in notes:
        note = by_id[rid]
        text = note["details"] or ""
        ref = reference_of(text, vocab)
        where = f"line {note['source_line']}: {note['section']}"
        if ref is None:
            if said_partly(text, vocab):
                out.warnings.append(warning("reference-partial", where=where))
            elif note.get("source") and note.get("destination") and text:
                out.warnings.append(
                    warning(
                        "reference-unread",
                        where=where,
                        source=note["source"],
                        destination=note["destination"],
                    )
                )
            continue
        rows, reason = referenced(note, ref, ports, registry)
        if reason:
            out.rejects.append((note, reason))
            out.warnings.append(warning("reference-unsatisfied", where=where, reason=reason))
            continue
        out.rules.append(rid)
        out.ports += merged_rows(note, rows)
    return out


def referenced(note: dict, ref: Reference, ports: list[dict], registry) -> tuple[list[dict], str]:
    """The ports rows ``ref`` names, or the reason none can be taken."""
    ids = {
        what: registry.component_id(name)
        for what, name in (
            ("acting", ref.acting),
            ("for", ref.for_),
            ("from", ref.source),
            ("to", ref.destination),
        )
    }
    unknown = [
        n for w, n in zip(ids, (ref.acting, ref.for_, ref.source, ref.destination)) if not ids[w]
    ]
    section = registry.section_id(ref.section)
    if unknown or not section:
        named = [*map(repr, unknown), *([f"the section {ref.section!r}"] if not section else [])]
        return [], (
            f"the note derives flows from other rows, but the registry does not know "
            f"{', '.join(named)}: no flow derived"
        )
    ends = tuple(ids["acting"] if i == ids["for"] else i for i in (ids["from"], ids["to"]))
    own = (note.get("source_id") or "", note.get("destination_id") or "")
    if ends != own:
        return [], (
            f"the note says the ports of {ref.source} -> {ref.destination} apply with "
            f"{ref.acting} for {ref.for_} ({ends[0]} -> {ends[1]}), but its row is "
            f"{note['source']} -> {note['destination']}: no flow derived"
        )
    rows = [
        r
        for r in ports
        if r.get("section_id") == section
        and r.get("source_id") == ids["from"]
        and r.get("destination_id") == ids["to"]
        and not r.get("derived_from")
    ]
    if not rows:
        return [], (
            f"the note derives flows from the rows {ref.source} -> {ref.destination} of "
            f"the section {ref.section!r}, and the page has none: no flow derived"
        )
    return rows, ""


def merged_rows(note: dict, rows: list[dict]) -> list[dict]:
    """The derived ports rows: the note's row (its rule id, section, ends, words and
    place) with the protocol, ports, direction and condition of each referenced row;
    one row per protocol and port range, naming every row it comes from."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["protocol"], r["port_start"], r["port_end"])
        if key in out:
            previous = out[key]["derived_from"].split(",")
            out[key]["derived_from"] = ",".join(sorted({*previous, r["rule_id"]}))
            out[key]["bidirectional"] = out[key]["bidirectional"] or r["bidirectional"]
            continue
        out[key] = {
            **{k: note[k] for k in ("rule_id", "section", "source", "destination", "details")},
            **{k: note[k] for k in ("table", "row", "source_line")},
            **{k: r[k] for k in ("protocol", "service", "port_start", "port_end")},
            **{k: r[k] for k in ("bidirectional", "type_raw", "port_raw", "condition")},
            "erratum": "",
            "derived_from": r["rule_id"],
            **{k: note.get(k) or "" for k in ("section_id", "source_id", "destination_id")},
        }
    return list(out.values())
