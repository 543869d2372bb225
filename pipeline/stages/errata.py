"""Errata: reviewed corrections of defects of the source page, kept as data.

Input: ``pipeline/data/errata.toml`` and the rules of a page.  Output: for each rule,
the corrected variants to expand into ports (one or more), which errata were applied,
and which errata matched nothing (stale: the page changed under them).

An erratum is keyed to a row's content, never to its line number: ``match`` lists
field values that must all be equal (section, source, destination, type_raw, port_raw,
details, or the registry ids section_id, source_id, destination_id: an erratum keyed to
ids survives a product rename).  ``use`` lists the corrected values: one entry replaces fields of the row,
several entries split the row into several flows.  A value that is a field's name in
braces (``destination = "{source}"``) takes that field's value in the matched row, so an
erratum can turn a row the page writes backwards round.  Errata apply in file order, each
to the row as the previous errata left it.  Every erratum needs a ``reason`` and a
``reference`` (where the corrected value comes from); ``locale`` limits an erratum to
pages of one locale (the others neither apply it nor report it stale).  ``resolves``
lists the reader's problems (fragments of their text) that the erratum answers: a row the
reader marked is published only when every one of its problems is answered so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline import DATA_DIR
from pipeline.core.bounded import check_depth, read_input
from pipeline.errors import InputError, Location
from pipeline.stages.rules import CONTENT_FIELDS

ERRATA_FILE = DATA_DIR / "errata.toml"
# the registry ids of a row's names, which ``match`` may give in their place
ID_FIELDS = ("section_id", "source_id", "destination_id")


@dataclass(frozen=True)
class Erratum:
    """One reviewed correction: the row content it matches and the values to use."""

    id: str
    match: dict[str, str]
    use: tuple[dict[str, str], ...]
    reason: str
    reference: str
    locale: str = ""  # the page locale it corrects; "" for every locale
    # Problems the reader marked on the row that this erratum answers (each a fragment of
    # the problem's text).  A marked row is published only when every one of its problems
    # is answered by an erratum applied to it: correcting one cell vouches for nothing else.
    resolves: tuple[str, ...] = ()

    def matches(self, row: dict) -> bool:
        """True when every field of ``match`` has the row's value."""
        return all(row.get(k) == v for k, v in self.match.items())


def load_errata(path: Path = ERRATA_FILE) -> list[Erratum]:
    """The errata of ``path``, checked; raises ``InputError`` (located) when an entry
    lacks a key, names an unknown field or reuses an id."""
    data = read_input(
        path,
        "errata",
        "errata file",
        missing="give --errata an errata file, or leave it out for the reviewed pipeline/data/errata.toml",
    )
    try:
        text = data.decode("utf-8")
        check_depth(text, Location(str(path)), "the errata file")
        found = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the errata: {exc}", Location(str(path))) from None
    errata, ids = [], set()
    for n, entry in enumerate(found.get("erratum", []), start=1):
        where = Location(str(path), section=f"erratum {n}")
        missing = [k for k in ("id", "match", "use", "reason", "reference") if not entry.get(k)]
        if missing:
            raise InputError(f"erratum lacks {', '.join(missing)}", where)
        bad = set(entry["match"]) - set(CONTENT_FIELDS) - set(ID_FIELDS)
        bad |= {k for u in entry["use"] for k in u} - set(CONTENT_FIELDS)
        if bad:
            raise InputError(f"erratum {entry['id']!r} names unknown fields {sorted(bad)}", where)
        refs = {v[1:-1] for u in entry["use"] for v in u.values() if field_reference(v)}
        if refs - set(CONTENT_FIELDS):
            raise InputError(
                f"erratum {entry['id']!r} refers to unknown fields {sorted(refs - set(CONTENT_FIELDS))}",
                where,
                hint=f"a value in braces names a field: one of {', '.join(CONTENT_FIELDS)}",
            )
        if entry["id"] in ids:
            raise InputError(f"erratum id {entry['id']!r} is used twice", where)
        ids.add(entry["id"])
        resolves = entry.get("resolves", [])
        if not isinstance(resolves, list) or not all(isinstance(r, str) and r for r in resolves):
            raise InputError(
                f"erratum {entry['id']!r}: 'resolves' must be a list of problem texts", where
            )
        errata.append(
            Erratum(
                entry["id"],
                dict(entry["match"]),
                tuple(entry["use"]),
                entry["reason"],
                entry["reference"],
                entry.get("locale", ""),
                tuple(resolves),
            )
        )
    return errata


def field_reference(value) -> bool:
    """True when a ``use`` value names a field of the row (``"{source}"``).

    >>> field_reference("{source}"), field_reference("A {b}"), field_reference("{}")
    (True, False, False)
    """
    return (
        isinstance(value, str)
        and len(value) > 2
        and value[0] == "{"
        and value[-1] == "}"
        and value[1:-1].isidentifier()
    )


def corrected(row: dict, use: dict[str, str]) -> dict:
    """``row`` with the values of ``use``, a value in braces read from ``row`` as matched.
    A name given anew leaves its id to the identity stage; a name read from another field
    takes that field's id with it.

    >>> corrected({"source": "A", "source_id": "a", "destination": "B", "destination_id": "b"},
    ...           {"source": "{destination}", "destination": "{source}"})
    {'source': 'B', 'source_id': 'b', 'destination': 'A', 'destination_id': 'a'}
    """
    out = dict(row)
    for key, value in use.items():
        ref = value[1:-1] if field_reference(value) else ""
        out[key] = row.get(ref, "") if ref else value
        if f"{key}_id" in ID_FIELDS:
            out[f"{key}_id"] = row.get(f"{ref}_id", "") if ref else ""
    return out


def apply_errata(row: dict, errata: list[Erratum]) -> tuple[list[dict], list[str]]:
    """The row's corrected variants and the ids of the errata applied to it.

    >>> fix = Erratum("e1", {"port_raw": "8O"}, ({"port_raw": "80"},), "typo", "page")
    >>> apply_errata({"port_raw": "8O", "source": "A"}, [fix])
    ([{'port_raw': '80', 'source': 'A'}], ['e1'])
    """
    variants, applied = [dict(row)], []
    for erratum in errata:
        next_variants: list[dict] = []
        for variant in variants:
            if erratum.matches(variant):
                if erratum.id not in applied:
                    applied.append(erratum.id)
                next_variants.extend(corrected(variant, use) for use in erratum.use)
            else:
                next_variants.append(variant)
        variants = next_variants
    return variants, applied


def unresolved(problems: str, errata: list[Erratum], applied: list[str]) -> list[str]:
    """The reader's problems of a row (``"; "``-joined) that no applied erratum resolves.

    >>> e = Erratum("t", {}, ({},), "r", "x", resolves=("does not look like a type",))
    >>> unresolved("'X' does not look like a type; row broken", [e], ["t"])
    ['row broken']
    """
    fragments = [f for e in errata if e.id in applied for f in e.resolves]
    return [p for p in filter(None, problems.split("; ")) if not any(f in p for f in fragments)]
