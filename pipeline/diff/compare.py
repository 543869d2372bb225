"""Comparing two versions of a published table: rows added, removed, changed field by
field, renamed values, columns added or removed, counts per section.

Input: two ``PublishedTable`` of the same table.  Output: a ``Diff``.  Rows are matched
by content, never by position (see the package docstring for the order of matching).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pipeline.dataset.published import PublishedTable
from pipeline.errors import DataError

POSITION = {"rule_id", "table", "row", "source_line"}
RENAMABLE = ("section", "source", "destination")
IDS = {"section": "section_id", "source": "source_id", "destination": "destination_id"}
MIN_RENAME_ROWS = 2  # a value replaced in fewer otherwise identical rows is no rename
KEYS = {  # (identity, looser key) of a row, per table
    "ports": (
        ("section", "source", "destination", "protocol", "port_start", "port_end"),
        ("section", "source", "destination", "protocol", "details"),
    ),
    "rules": (
        ("section", "source", "destination", "type_raw", "port_raw"),
        ("section", "source", "destination", "details"),
    ),
    "rejects": (
        ("section", "source", "destination", "type_raw", "port_raw"),
        ("section", "source", "destination", "details"),
    ),
    "components": (("component_id",), ("name", "kind")),  # an id renamed: same name and kind
}


@dataclass
class Diff:
    """What changed from ``old`` to ``new``."""

    old: PublishedTable
    new: PublishedTable
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    renamed: list[dict] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    # every (old row, new row) the diff paired: identical, renamed or changed (not in JSON)
    pairs: list[tuple[dict, dict]] = field(default_factory=list, repr=False)

    @property
    def same(self) -> bool:
        """True when nothing changed."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.renamed
            or self.columns_added
            or self.columns_removed
        )

    def added_values(self) -> dict[str, dict[str, int]]:
        """For each column the new version adds, how many of its rows hold each value
        other than empty (a new column of a newer version: what it says of the data).

        >>> from pipeline.dataset.published import PublishedTable
        >>> d = Diff(PublishedTable("ports", "a", ["x"], []),
        ...          PublishedTable("ports", "b", ["x", "c"], [{"c": "edt"}, {"c": ""}]), columns_added=["c"])
        >>> d.added_values()
        {'c': {'edt': 1}}
        """
        out: dict[str, dict[str, int]] = {}
        for column in self.columns_added:
            counts: dict[str, int] = {}
            for row in self.new.rows:
                value = row.get(column)
                if value not in (None, ""):
                    counts[str(value)] = counts.get(str(value), 0) + 1
            out[column] = dict(sorted(counts.items()))
        return out

    def summary(self) -> dict:
        """The counts of each kind of change."""
        return {
            "table": self.new.name,
            "old": self.old.label,
            "new": self.new.label,
            "rows_old": len(self.old.rows),
            "rows_new": len(self.new.rows),
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "renamed": len(self.renamed),
            "renamed_rows": sum(r["rows"] for r in self.renamed),
            "columns_added": self.columns_added,
            "columns_added_values": self.added_values(),
            "columns_removed": self.columns_removed,
            "same": self.same,
        }

    def to_json(self) -> dict:
        """Everything, as the JSON output of ``diff --format json``."""
        return {
            "summary": self.summary(),
            "sections": self.sections,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "renamed": self.renamed,
        }


def order_key(row: dict) -> tuple:
    """Sort key of a row: its values in column order, empty values last."""
    return tuple((v is None, str(v)) for v in row.values())


def row_id(rows: list[dict], fname: str, value) -> str:
    """The registry id of a name in a table ("" when it has none)."""
    return next((r.get(IDS[fname]) or "" for r in rows if r.get(fname) == value), "")


def diff(old: PublishedTable, new: PublishedTable) -> Diff:
    """What changed from ``old`` to ``new``; raises ``DataError`` for two different
    tables.  Rows are paired in three steps (``Pairing``): identical content, renames,
    then changed rows by identity or a unique looser key."""
    if old.name != new.name:
        raise DataError(
            f"cannot compare a {old.name} table ({old.label}) with a {new.name} "
            f"table ({new.label})",
            [],
        )
    result = Diff(old, new)
    result.columns_added = [c for c in new.columns if c not in old.columns]
    result.columns_removed = [c for c in old.columns if c not in new.columns]
    pairing = Pairing(old, new, result)
    pairing.identical()
    for fname in RENAMABLE:
        pairing.renames((fname,))
    for fields in itertools.combinations(RENAMABLE, 2):  # two names of the same rows
        pairing.renames(fields)
    exact, loose = KEYS[new.name]
    for wanted in (exact, loose):
        pairing.changed(wanted, exact)
    pairing.finish()
    return result


class Pairing:
    """The rows of two versions paired step by step; what is left is added or removed.

    A name with a registry id is matched by its id (``key_of``): a translation or a rename
    of the page's wording is the same component, reported as a rewording."""

    def __init__(self, old: PublishedTable, new: PublishedTable, result: Diff):
        self.old, self.new, self.result = old, new, result
        self.ids = [c for c in IDS.values() if c in new.columns and c in old.columns]
        self.compared = [
            c for c in new.columns if c in old.columns and c not in POSITION and c not in self.ids
        ]
        self.removed: list[dict] = []
        self.added: list[dict] = []
        self.reworded: Counter = Counter()

    def key_of(self, row: dict, column: str):
        """A row's value of ``column``, its registry id where it has one."""
        if column in IDS and IDS[column] in self.ids and row.get(IDS[column]):
            return ("id", row[IDS[column]])
        return row.get(column)

    def content(self, row: dict) -> tuple:
        """What a row says, its position left out."""
        return tuple(self.key_of(row, c) for c in self.compared)

    def identical(self) -> None:
        """1. Identical content (position ignored) is no change; a reworded name with the
        same id is counted."""
        pool: dict[tuple, list[dict]] = defaultdict(list)
        for row in self.new.rows:
            pool[self.content(row)].append(row)
        for row in self.old.rows:
            match = pool.get(self.content(row))
            if match:
                other = match.pop()
                self.pair(row, other, ())
            else:
                self.removed.append(row)
        self.added = [r for rows in pool.values() for r in rows]

    def pair(self, old_row: dict, new_row: dict, renamed: tuple[str, ...]) -> None:
        """Record a pair; a name it writes otherwise with the same id (not one of the
        ``renamed`` fields) is a rewording."""
        self.result.pairs.append((old_row, new_row))
        for fname in RENAMABLE:
            if (
                fname in self.compared
                and fname not in renamed
                and new_row[fname] != old_row[fname]
                and self.key_of(new_row, fname) == self.key_of(old_row, fname)
            ):
                self.reworded[(fname, old_row[fname], new_row[fname])] += 1

    def renames(self, fields: tuple[str, ...]) -> None:
        """2. The values of ``fields`` replaced by others in several otherwise identical
        rows: each reported once with its row count, those rows no longer added or
        removed.  Two fields at once: a source and a destination renamed in the same rows
        are two renames, each reported."""
        if any(f not in self.compared for f in fields) or not self.removed or not self.added:
            return
        index = [self.compared.index(f) for f in fields]

        def rest(row: dict) -> tuple:
            c = self.content(row)
            return tuple(v for i, v in enumerate(c) if i not in index)

        def values(row: dict) -> tuple:
            return tuple(row[f] for f in fields)

        by_rest: dict[tuple, list[dict]] = defaultdict(list)
        for row in self.added:
            by_rest[rest(row)].append(row)
        candidates: Counter = Counter()
        for row in self.removed:
            for other in by_rest.get(rest(row), []):
                if all(other[f] != row[f] for f in fields):
                    candidates[(values(row), values(other))] += 1
        for (old_values, new_values), count in sorted(
            candidates.items(), key=lambda kv: (-kv[1], str(kv[0]))
        ):
            if count < MIN_RENAME_ROWS:
                continue
            pairs, still_removed = 0, []
            for row in self.removed:
                bucket = by_rest.get(rest(row), [])
                hit = next(
                    (o for o in bucket if values(row) == old_values and values(o) == new_values),
                    None,
                )
                if hit is not None:
                    bucket.remove(hit)
                    self.added.remove(hit)
                    self.pair(row, hit, fields)
                    pairs += 1
                else:
                    still_removed.append(row)
            self.removed = still_removed
            for fname, old_value, new_value in zip(fields, old_values, new_values):
                if pairs:
                    self.result.renamed.append(
                        {
                            "field": fname,
                            "old": old_value,
                            "new": new_value,
                            "rows": pairs,
                            "id": "",
                        }
                    )

    def renamed(self, row: dict, renames: dict) -> dict:
        """A row of the old version with ``renames`` ((field, old) -> new) applied."""
        return {k: renames.get((k, v), v) if k in RENAMABLE else v for k, v in row.items()}

    def changed(self, wanted: tuple[str, ...], exact: tuple[str, ...]) -> None:
        """3. Changed rows: one old and one new row with the same ``wanted`` key, every
        field that differs listed."""
        if not self.removed or not self.added:
            return
        renames = {(r["field"], r["old"]): r["new"] for r in self.result.renamed}
        key = [k for k in wanted if k in self.compared]
        new_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in self.added:
            new_by[tuple(self.key_of(row, k) for k in key)].append(row)
        old_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in self.removed:
            old_by[tuple(self.key_of(self.renamed(row, renames), k) for k in key)].append(row)
        still_removed = []
        for k, olds in old_by.items():
            news = new_by.get(k, [])
            if len(olds) != 1 or len(news) != 1:
                still_removed.extend(olds)
                continue
            o, n = olds[0], news[0]
            fields = [c for c in self.compared + self.ids if o.get(c) != n.get(c)]
            self.result.pairs.append((o, n))
            for fname in RENAMABLE:
                if (
                    fname in fields
                    and self.key_of(o, fname) == self.key_of(n, fname)
                    and self.renamed(o, renames)[fname] != n[fname]
                ):
                    self.reworded[(fname, o[fname], n[fname])] += 1
            self.result.changed.append(
                {
                    "key": {c: n.get(c) for c in exact if c in n},
                    "old": o,
                    "new": n,
                    "fields": fields,
                }
            )
            self.added.remove(n)
        self.removed = still_removed

    def finish(self) -> None:
        """The rewordings, what is left as added and removed, in order, and the sections
        whose row counts changed."""
        result = self.result
        for (fname, old_value, new_value), count in self.reworded.items():
            result.renamed.append(
                {
                    "field": fname,
                    "old": old_value,
                    "new": new_value,
                    "rows": count,
                    "id": row_id(self.old.rows, fname, old_value),
                }
            )
        result.added = sorted(self.added, key=order_key)
        result.removed = sorted(self.removed, key=order_key)
        result.changed.sort(key=lambda c: order_key(c["new"]))
        result.renamed.sort(key=lambda r: (r["field"], str(r["old"]), str(r["new"])))
        old_count = Counter(r.get("section") for r in self.old.rows)
        new_count = Counter(r.get("section") for r in self.new.rows)
        result.sections = [
            {"section": s, "old": old_count.get(s, 0), "new": new_count.get(s, 0)}
            for s in sorted(set(old_count) | set(new_count), key=str)
            if old_count.get(s, 0) != new_count.get(s, 0)
        ]
