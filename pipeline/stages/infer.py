"""Inference from the previous build: an id for a name no rule of the registry resolves,
with the evidence.

Input: the ports rows of the new build with their ids (empty for the names the registry
does not know), the ports rows of the previous build (``build --previous DIR``), and the
unknown component names.  Output: one ``Inference`` per name that could be given an id:
the name's rows pair one to one with rows of the previous build that have the same
section id, the same id at the other end, the same side, protocol and ports, and where
the name of that side had one id, the same for every pair; each pair of lines is kept as
evidence.  A name whose rows pair with rows of two ids, with no row, or with fewer or
more rows than it has, gets none: it stays unknown.

The build marks such ids ``inferred``, warns with the paired lines, and records them in
the manifest; ``--strict`` fails only on names neither resolved nor inferred.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SIDES = ("source", "destination")


@dataclass
class Inference:
    """An id given to a name of the page, and the pairs of lines (new, previous) that
    show it."""

    name: str
    id: str
    pairs: list[tuple[int, int]] = field(default_factory=list)
    previous_names: list[str] = field(default_factory=list)


def key(row: dict, side: str) -> tuple | None:
    """What pairs a row's end with a row of the previous build (None: no evidence)."""
    other = "destination" if side == "source" else "source"
    section, other_id = row.get("section_id") or "", row.get(f"{other}_id") or ""
    if not section or not other_id:
        return None
    return (side, section, other_id, row["protocol"], row["port_start"], row["port_end"])


def infer(rows: list[dict], previous: list[dict], names: set[str]) -> list[Inference]:
    """The inferences for ``names`` (unknown component names of ``rows``), in name order.

    At each key (side, section id, other end's id, protocol, ports), the previous rows
    that the new rows of known names do not account for (by id) are the candidates of
    the unknown name there; a key where two unknown names meet is no evidence."""
    from collections import Counter

    before: dict[tuple, list[tuple[str, str, int]]] = {}
    for row in previous:
        for side in SIDES:
            k = key(row, side)
            if k is not None and row.get(f"{side}_id"):
                before.setdefault(k, []).append(
                    (row[f"{side}_id"], row[side], int(row["source_line"]))
                )
    known: dict[tuple, Counter] = {}  # key -> ids of the new rows' known names
    written: dict[tuple, set[str]] = {}  # key -> the names the new rows write there
    unknown_at: dict[tuple, dict[str, list[int]]] = {}  # key -> unknown name -> lines
    without_key: set[str] = set()
    for row in rows:
        for side in SIDES:
            name, eid = row[side], row.get(f"{side}_id") or ""
            k = key(row, side)
            if not eid and name in names:
                if k is None:
                    without_key.add(name)
                else:
                    unknown_at.setdefault(k, {}).setdefault(name, []).append(
                        int(row["source_line"])
                    )
            elif k is not None and eid:
                known.setdefault(k, Counter())[eid] += 1
                written.setdefault(k, set()).add(name)
    out = []
    for name in sorted(names - without_key):
        keys = [k for k, by_name in unknown_at.items() if name in by_name]
        ids: set[str] = set()
        pairs: list[tuple[int, int]] = []
        old_names: set[str] = set()
        for k in keys:
            lines = unknown_at[k][name]
            left = Counter(eid for eid, _, _ in before.get(k, [])) - known.get(k, Counter())
            if len(unknown_at[k]) > 1 or sum(left.values()) != len(lines):
                ids = set()  # two unknown names here, or not one to one
                break
            ids |= set(left)
            olds = sorted(
                (e for e in before[k] if e[0] in left),
                key=lambda e: (e[1] in written.get(k, set()), e[2]),
            )[: len(lines)]
            old_names |= {n for _, n, _ in olds}
            pairs += zip(sorted(lines), sorted(line for _, _, line in olds))
        if keys and len(ids) == 1:
            out.append(Inference(name, ids.pop(), sorted(pairs), sorted(old_names)))
    return out
