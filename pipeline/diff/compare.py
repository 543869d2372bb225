"""Comparing two versions of a published table: rows added, removed, changed field by
field, renamed values, columns added or removed, counts per section.

Input: two ``PublishedTable`` of the same table.  Output: a ``Diff``.  Rows are matched
by content, never by position (see the package docstring for the order of matching).
"""

from __future__ import annotations

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
    tables."""
    if old.name != new.name:
        raise DataError(
            f"cannot compare a {old.name} table ({old.label}) with a {new.name} "
            f"table ({new.label})",
            [],
        )
    result = Diff(old, new)
    result.columns_added = [c for c in new.columns if c not in old.columns]
    result.columns_removed = [c for c in old.columns if c not in new.columns]
    ids = [c for c in IDS.values() if c in new.columns and c in old.columns]
    compared = [c for c in new.columns if c in old.columns and c not in POSITION and c not in ids]
    exact, loose = KEYS[new.name]

    def key_of(row: dict, column: str):
        # A name with a registry id is matched by its id: a translation or a rename of
        # the page's wording is the same component.
        if column in IDS and IDS[column] in ids and row.get(IDS[column]):
            return ("id", row[IDS[column]])
        return row.get(column)

    def content(row: dict) -> tuple:
        return tuple(key_of(row, c) for c in compared)

    # 1. identical content (position ignored) is no change
    pool: dict[tuple, list[dict]] = defaultdict(list)
    for row in new.rows:
        pool[content(row)].append(row)
    removed = []
    reworded: Counter = Counter()
    for row in old.rows:
        match = pool.get(content(row))
        if match:
            other = match.pop()
            for fname in RENAMABLE:
                if fname in compared and other[fname] != row[fname]:
                    reworded[(fname, row[fname], other[fname])] += 1
        else:
            removed.append(row)
    added = [r for rows in pool.values() for r in rows]

    # 2. renames: one value replaced by another in several otherwise identical rows
    for fname in RENAMABLE:
        if fname not in compared or not removed or not added:
            continue
        index = compared.index(fname)
        by_rest: dict[tuple, list[dict]] = defaultdict(list)
        for row in added:
            c = content(row)
            by_rest[c[:index] + c[index + 1 :]].append(row)
        candidates: Counter = Counter()
        for row in removed:
            c = content(row)
            for other in by_rest.get(c[:index] + c[index + 1 :], []):
                if other[fname] != row[fname]:
                    candidates[(row[fname], other[fname])] += 1
        for (old_value, new_value), count in sorted(
            candidates.items(), key=lambda kv: (-kv[1], str(kv[0]))
        ):
            if count < MIN_RENAME_ROWS:
                continue
            pairs, still_removed = 0, []
            for row in removed:
                c = content(row)
                rest = c[:index] + c[index + 1 :]
                bucket = by_rest.get(rest, [])
                hit = next(
                    (o for o in bucket if row[fname] == old_value and o[fname] == new_value), None
                )
                if hit is not None:
                    bucket.remove(hit)
                    added.remove(hit)
                    pairs += 1
                else:
                    still_removed.append(row)
            removed = still_removed
            if pairs:
                result.renamed.append(
                    {"field": fname, "old": old_value, "new": new_value, "rows": pairs, "id": ""}
                )
    renames = {(r["field"], r["old"]): r["new"] for r in result.renamed}

    def renamed(row: dict) -> dict:
        return {k: renames.get((k, v), v) if k in RENAMABLE else v for k, v in row.items()}

    # 3. changed rows: same identity, or a unique match on the looser key
    for wanted in (exact, loose):
        if not removed or not added:
            break
        key = [k for k in wanted if k in compared]
        new_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in added:
            new_by[tuple(key_of(row, k) for k in key)].append(row)
        old_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in removed:
            old_by[tuple(key_of(renamed(row), k) for k in key)].append(row)
        still_removed = []
        for k, olds in old_by.items():
            news = new_by.get(k, [])
            if len(olds) == 1 and len(news) == 1:
                o, n = olds[0], news[0]
                fields = [c for c in compared + ids if o.get(c) != n.get(c)]
                for fname in RENAMABLE:
                    if (
                        fname in fields
                        and key_of(o, fname) == key_of(n, fname)
                        and renamed(o)[fname] != n[fname]
                    ):
                        reworded[(fname, o[fname], n[fname])] += 1
                result.changed.append(
                    {
                        "key": {c: n.get(c) for c in exact if c in n},
                        "old": o,
                        "new": n,
                        "fields": fields,
                    }
                )
                added.remove(n)
            else:
                still_removed.extend(olds)
        removed = still_removed

    for (fname, old_value, new_value), count in reworded.items():
        result.renamed.append(
            {
                "field": fname,
                "old": old_value,
                "new": new_value,
                "rows": count,
                "id": row_id(old.rows, fname, old_value),
            }
        )
    result.added = sorted(added, key=order_key)
    result.removed = sorted(removed, key=order_key)
    result.changed.sort(key=lambda c: order_key(c["new"]))
    result.renamed.sort(key=lambda r: (r["field"], str(r["old"]), str(r["new"])))
    old_count = Counter(r.get("section") for r in old.rows)
    new_count = Counter(r.get("section") for r in new.rows)
    result.sections = [
        {"section": s, "old": old_count.get(s, 0), "new": new_count.get(s, 0)}
        for s in sorted(set(old_count) | set(new_count), key=str)
        if old_count.get(s, 0) != new_count.get(s, 0)
    ]
    return result
