"""Diff stage: what changed between two versions of the dataset.

Input: two versions, each a build directory, a published ``ports.csv`` / ``rules.csv``,
a raw snapshot (built on the fly), or ``git:REF`` (the committed ``build/`` at a git
revision).  Output: a ``Diff`` (rows added, removed, changed field by field, renames,
columns added or removed, counts per section) rendered as text, Markdown or JSON.

Rows are matched by content, never by position, so a moved row or section is no change:
first by their identity (ports: section, source, destination, protocol, port range;
rules: section, source, destination, type and port cells), then, among the rows left, by
a looser key that leaves out what may have changed (ports: the port range; rules: the
type and port cells) when it pairs exactly one old row with one new row.  A rename is
one value of ``section``, ``source`` or ``destination`` replaced by another in several
rows that are otherwise identical: it is reported once, with its row count, and those
rows are not listed as removed and added.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.grammar import port_range
from pipeline.validate import table_schema

POSITION = {"rule_id", "table", "row", "source_line"}
RENAMABLE = ("section", "source", "destination")
MIN_RENAME_ROWS = 2
KEYS = {
    "ports": (("section", "source", "destination", "protocol", "port_start", "port_end"),
              ("section", "source", "destination", "protocol", "details")),
    "rules": (("section", "source", "destination", "type_raw", "port_raw"),
              ("section", "source", "destination", "details")),
}
FOLD_AFTER = 20  # Markdown lists longer than this are folded


class DiffError(PipelineError):
    exit_code = 2


@dataclass
class Version:
    label: str
    table: str  # "ports" or "rules"
    columns: list[str]
    rows: list[dict]


@dataclass
class Diff:
    old: Version
    new: Version
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    renamed: list[dict] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.renamed
                    or self.columns_added or self.columns_removed)

    def summary(self) -> dict:
        return {
            "table": self.new.table, "old": self.old.label, "new": self.new.label,
            "rows_old": len(self.old.rows), "rows_new": len(self.new.rows),
            "added": len(self.added), "removed": len(self.removed),
            "changed": len(self.changed), "renamed": len(self.renamed),
            "renamed_rows": sum(r["rows"] for r in self.renamed),
            "columns_added": self.columns_added, "columns_removed": self.columns_removed,
            "same": self.same,
        }

    def to_json(self) -> dict:
        return {"summary": self.summary(), "sections": self.sections, "added": self.added,
                "removed": self.removed, "changed": self.changed, "renamed": self.renamed}


# -- loading a version ---------------------------------------------------------------

def typed(table: str, row: dict) -> dict:
    types = {f["name"]: f["type"] for f in table_schema(table)["fields"]}
    out = {}
    for k, v in row.items():
        kind = types.get(k, "string")
        if kind == "integer":
            out[k] = int(v) if v not in ("", None) and v.lstrip("-").isdigit() else (None if v == "" else v)
        elif kind == "boolean":
            out[k] = {"true": True, "false": False}.get(v, v)
        else:
            out[k] = v
    return out


def parse_csv(text: str, label: str, table: str | None = None) -> Version:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or [])
    kind = table or ("ports" if "protocol" in columns else "rules" if "kind" in columns else "")
    if kind not in KEYS:
        raise DiffError(f"{label}: not a ports or rules table (columns: {', '.join(columns)})")
    missing = [c for c in KEYS[kind][0] if c not in columns]
    if missing:
        raise DiffError(f"{label}: the {kind} table lacks the columns {', '.join(missing)}")
    rows = []
    for row in reader:
        if None in row:
            raise DiffError(f"{label}: line {reader.line_num} has more cells than the header")
        rows.append(typed(kind, {k: (v or "") for k, v in row.items()}))
    return Version(label, kind, columns, rows)


def load(spec: str, table: str = "ports", repo: Path = Path(".")) -> Version:
    """A version from a build directory, a CSV, a raw snapshot or ``git:REF``."""
    if spec.startswith("git:"):
        ref = spec[4:] or "HEAD"
        done = subprocess.run(["git", "show", f"{ref}:build/{table}.csv"], cwd=repo,
                              capture_output=True)
        if done.returncode:
            raise DiffError(f"{spec}: cannot read build/{table}.csv at {ref}: "
                            f"{done.stderr.decode(errors='replace').strip()}")
        return parse_csv(done.stdout.decode("utf-8"), spec, table)
    path = Path(spec)
    if path.is_dir():
        path = path / f"{table}.csv"
    if not path.exists():
        raise DiffError(f"{spec}: no such file or build directory")
    if path.suffix == ".csv":
        try:
            return parse_csv(path.read_text("utf-8"), spec)
        except UnicodeDecodeError:
            raise DiffError(f"{spec}: not UTF-8") from None
    # A raw snapshot: build it on the fly.
    from pipeline.build import build

    with tempfile.TemporaryDirectory() as tmp:
        build(path, Path(tmp) / "build")
        return parse_csv((Path(tmp) / "build" / f"{table}.csv").read_text("utf-8"), spec, table)


# -- comparing -------------------------------------------------------------------------

def order_key(row: dict) -> tuple:
    return tuple((v is None, str(v)) for v in row.values())


def diff(old: Version, new: Version) -> Diff:
    if old.table != new.table:
        raise DiffError(f"cannot compare a {old.table} table ({old.label}) with a {new.table} "
                        f"table ({new.label})")
    result = Diff(old, new)
    result.columns_added = [c for c in new.columns if c not in old.columns]
    result.columns_removed = [c for c in old.columns if c not in new.columns]
    compared = [c for c in new.columns if c in old.columns and c not in POSITION]
    exact, loose = KEYS[new.table]

    def content(row: dict) -> tuple:
        return tuple(row.get(c) for c in compared)

    # 1. identical content (position ignored) is no change
    pool: dict[tuple, list[dict]] = defaultdict(list)
    for row in new.rows:
        pool[content(row)].append(row)
    removed = []
    for row in old.rows:
        match = pool.get(content(row))
        if match:
            match.pop()
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
            by_rest[c[:index] + c[index + 1:]].append(row)
        candidates: Counter = Counter()
        for row in removed:
            c = content(row)
            for other in by_rest.get(c[:index] + c[index + 1:], []):
                if other[fname] != row[fname]:
                    candidates[(row[fname], other[fname])] += 1
        for (old_value, new_value), count in sorted(candidates.items(),
                                                    key=lambda kv: (-kv[1], str(kv[0]))):
            if count < MIN_RENAME_ROWS:
                continue
            pairs, still_removed = 0, []
            for row in removed:
                c = content(row)
                rest = c[:index] + c[index + 1:]
                bucket = by_rest.get(rest, [])
                hit = next((o for o in bucket if row[fname] == old_value
                            and o[fname] == new_value), None)
                if hit is not None:
                    bucket.remove(hit)
                    added.remove(hit)
                    pairs += 1
                else:
                    still_removed.append(row)
            removed = still_removed
            if pairs:
                result.renamed.append({"field": fname, "old": old_value, "new": new_value,
                                       "rows": pairs})
    renames = {(r["field"], r["old"]): r["new"] for r in result.renamed}

    def renamed(row: dict) -> dict:
        return {k: renames.get((k, v), v) if k in RENAMABLE else v for k, v in row.items()}

    # 3. changed rows: same identity, or a unique match on the looser key
    for key in (exact, loose):
        if not removed or not added:
            break
        key = [k for k in key if k in compared]
        new_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in added:
            new_by[tuple(row.get(k) for k in key)].append(row)
        old_by: dict[tuple, list[dict]] = defaultdict(list)
        for row in removed:
            old_by[tuple(renamed(row).get(k) for k in key)].append(row)
        still_removed = []
        for k, olds in old_by.items():
            news = new_by.get(k, [])
            if len(olds) == 1 and len(news) == 1:
                o, n = olds[0], news[0]
                fields = [c for c in compared if o.get(c) != n.get(c)]
                result.changed.append({"key": {c: n.get(c) for c in exact if c in n},
                                       "old": o, "new": n, "fields": fields})
                added.remove(n)
            else:
                still_removed.extend(olds)
        removed = still_removed

    result.added = sorted(added, key=order_key)
    result.removed = sorted(removed, key=order_key)
    result.changed.sort(key=lambda c: order_key(c["new"]))
    result.renamed.sort(key=lambda r: (r["field"], str(r["old"]), str(r["new"])))
    old_count = Counter(r.get("section") for r in old.rows)
    new_count = Counter(r.get("section") for r in new.rows)
    result.sections = [{"section": s, "old": old_count.get(s, 0), "new": new_count.get(s, 0)}
                       for s in sorted(set(old_count) | set(new_count), key=str)
                       if old_count.get(s, 0) != new_count.get(s, 0)]
    return result


# -- rendering ---------------------------------------------------------------------------

def describe(row: dict) -> str:
    if "protocol" in row:
        ports = port_range(row.get("port_start"), row.get("port_end"))
        what = f"{row.get('protocol')}{'/' + ports if ports else ''}"
    else:
        what = f"{row.get('type_raw')} {row.get('port_raw')}".strip()
    return f"{row.get('source')} → {row.get('destination')} {what}"


def headline(d: Diff) -> str:
    s = d.summary()
    if d.same:
        return f"{s['table']}: no difference ({s['rows_new']} rows)"
    parts = [f"{s['added']} added", f"{s['removed']} removed", f"{s['changed']} changed"]
    if d.renamed:
        parts.append(f"{s['renamed']} renamed ({s['renamed_rows']} rows)")
    if d.columns_added or d.columns_removed:
        parts.append(f"columns +{len(d.columns_added)} -{len(d.columns_removed)}")
    return f"{s['table']}: {s['rows_old']} → {s['rows_new']} rows: " + ", ".join(parts)


def render_text(d: Diff) -> str:
    out = [f"--- {d.old.label}", f"+++ {d.new.label}", headline(d)]
    for c in d.columns_added:
        out.append(f"column added: {c}")
    for c in d.columns_removed:
        out.append(f"column removed: {c}")
    for r in d.renamed:
        out.append(f"renamed {r['field']}: {r['old']!r} → {r['new']!r} ({r['rows']} rows)")
    for row in d.added:
        out.append(f"+ [{row.get('section')}] {describe(row)}")
    for row in d.removed:
        out.append(f"- [{row.get('section')}] {describe(row)}")
    for c in d.changed:
        out.append(f"~ [{c['new'].get('section')}] {describe(c['new'])}")
        for f in c["fields"]:
            out.append(f"    {f}: {c['old'].get(f)!r} → {c['new'].get(f)!r}")
    for s in d.sections:
        out.append(f"section {s['section']!r}: {s['old']} → {s['new']} rows")
    return "\n".join(out) + "\n"


def md_cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Diff) -> str:
    out = [f"### Citrix ports: {headline(d)}", "",
           f"`{d.old.label}` → `{d.new.label}`", ""]
    if d.same:
        return "\n".join(out)
    if d.columns_added or d.columns_removed:
        out += [f"- columns added: {', '.join(d.columns_added) or 'none'}",
                f"- columns removed: {', '.join(d.columns_removed) or 'none'}", ""]
    if d.renamed:
        out += ["| renamed | old | new | rows |", "|---|---|---|---:|"]
        out += [f"| {r['field']} | {md_cell(r['old'])} | {md_cell(r['new'])} | {r['rows']} |"
                for r in d.renamed]
        out.append("")
    if d.sections:
        out += ["| section | rows before | rows after |", "|---|---:|---:|"]
        out += [f"| {md_cell(s['section'])} | {s['old']} | {s['new']} |" for s in d.sections]
        out.append("")
    per_section: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in d.added:
        per_section[row.get("section")].append(("added", describe(row), ""))
    for row in d.removed:
        per_section[row.get("section")].append(("removed", describe(row), ""))
    for c in d.changed:
        detail = "; ".join(f"{f}: {md_cell(c['old'].get(f))} → {md_cell(c['new'].get(f))}"
                           for f in c["fields"])
        per_section[c["new"].get("section")].append(("changed", describe(c["new"]), detail))
    for section in sorted(per_section, key=str):
        items = per_section[section]
        out += [f"#### {md_cell(section)}", ""]
        table = ["| change | flow | fields |", "|---|---|---|"]
        table += [f"| {k} | {md_cell(f)} | {det} |" for k, f, det in items]
        if len(items) > FOLD_AFTER:
            out += [f"<details><summary>{len(items)} changes</summary>", ""] + table + ["", "</details>"]
        else:
            out += table
        out.append("")
    return "\n".join(out)


def render(d: Diff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(d.to_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    if fmt == "markdown":
        return render_markdown(d)
    return render_text(d)
