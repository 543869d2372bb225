"""Peers stage: the machine a flow reaches where a table names a service as its end.

Input: the ports rows (with their registry ids), the page's sections (their sentences),
the vocabulary's peer sentences (``[[peers]]``), the registry (the kind of each id,
``[served_by]`` and ``[on_host]``) and the page's locale.  Output: the rows with every service end that a
machine can be found for replaced by that machine (its registry id, and its name as the
registry writes it in the page's language), the service kept in the ``service`` column;
a record per row changed (for ``manifest.json`` → ``peers``: rule, service, peer and
why), and one warning per service end nothing names a machine for.

A "Service | Port | Protocoles" table ("Connector Appliance avec Active Directory":
Kerberos 88, LDAP 389, …) under "une connexion sortante vers le domaine Active
Directory" gives flows to the domain controllers; where no sentence names the peer, the
registry's server of the service (DNS: a DNS server, NTP: an NTP server).  A service
that is a program on the other end's machine (``[on_host]``: HdxVideo.js in the VDA's
browser) keeps its name: the flow never leaves that machine, and the report says so.
"""

from __future__ import annotations

from pipeline.catalogue import Notice, warning
from pipeline.page.model import Page
from pipeline.page.vocabulary import Vocabulary


def section_peers(page: Page, vocab: Vocabulary) -> dict[str, list[tuple[str, tuple, int]]]:
    """Section heading -> (peer id, services it applies to, line) of each of its
    sentences that names a peer, in page order."""
    out: dict[str, list[tuple[str, tuple, int]]] = {}
    for section in page.sections:
        for note in section.notes:
            for pattern, peer, services in vocab.peers:
                if pattern.search(note.text):
                    out.setdefault(section.heading, []).append((peer, services, note.line))
    return out


def display_name(registry, cid: str, locale: str, written: dict[str, str]) -> str:
    """The name of ``cid`` as the page writes it in another row (``written``), else its
    registry alias in the page's language, else its first English one, else the
    registry's name."""
    if cid in written:
        return written[cid]
    entry = registry.components[cid]
    names = entry.aliases.get(locale) or entry.aliases.get("en-us") or ()
    return names[0] if names else entry.name


def names_written(rows: list[dict]) -> dict[str, str]:
    """Each id -> the first name the page writes for it in a row, in page order."""
    out: dict[str, str] = {}
    for row in rows:
        for end in ("source", "destination"):
            if row.get(f"{end}_id"):
                out.setdefault(row[f"{end}_id"], row[end])
    return out


def with_peers(
    rows: list[dict], page: Page, vocab: Vocabulary, registry, locale: str
) -> tuple[list[dict], list[dict], list[Notice]]:
    """(rows, peers report, warnings): see the module docstring."""
    said = section_peers(page, vocab)
    written = names_written(rows)
    report: list[dict] = []
    warnings: list[Notice] = []
    unknown: dict[str, list[int]] = {}
    out = []
    for row in rows:
        for end in ("destination", "source"):
            cid = row.get(f"{end}_id") or ""
            entry = registry.components.get(cid)
            if entry is None or entry.kind != "service":
                continue
            if cid in registry.on_host:
                other = "source" if end == "destination" else "destination"
                report.append(
                    {
                        "rule_id": row["rule_id"],
                        "service": cid,
                        "peer": "",
                        "why": f"a program on the machine of the other end ({row[other]}): "
                        "the flow stays on that machine's loopback (the registry's [on_host])",
                    }
                )
                continue
            peer, why = "", ""
            for candidate, services, line in said.get(row["section"], []):
                if not services or cid in services:
                    peer, why = candidate, f"the section's sentence, line {line}"
                    break
            if not peer and cid in registry.served_by:
                peer, why = registry.served_by[cid], "the registry's server of the service"
            if not peer or peer not in registry.components:
                unknown.setdefault(f"{row[end]} ({cid})", []).append(row["source_line"])
                continue
            row = {
                **row,
                end: display_name(registry, peer, locale, written),
                f"{end}_id": peer,
                "service": row.get("service") or cid,
            }
            report.append({"rule_id": row["rule_id"], "service": cid, "peer": peer, "why": why})
        out.append(row)
    for name, lines in sorted(unknown.items()):
        where = sorted(set(lines))
        at = f"line{'s' if len(where) > 1 else ''} {', '.join(map(str, where))}"
        warnings.append(warning("service-without-server", where=at, name=name))
    seen = set()
    unique = []
    for r in report:  # one record per rule and service
        key = (r["rule_id"], r["service"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return out, unique, warnings
