"""Rendering a ``Diff``: text for a terminal, Markdown for a pull request or a CI job
summary (every value escaped by ``pipeline.core.markdown_out``), JSON for programs.

Input: a ``Diff``.  Output: text.
"""

from __future__ import annotations

import json
from collections import defaultdict

from pipeline.core.markdown_out import md_cell
from pipeline.core.shown import escaped
from pipeline.core.wording import counted
from pipeline.dataset.schema import port_range
from pipeline.diff.compare import Diff

FOLD_AFTER = 20  # Markdown lists longer than this are folded


def describe(row: dict) -> str:
    """A row in one line: ``source → destination tcp/443``; a component: ``id (name)``.

    >>> describe({"component_id": "storefront", "name": "StoreFront"})
    'storefront (StoreFront)'
    """
    if "component_id" in row:
        return f"{row.get('component_id')} ({row.get('name')})"
    if "protocol" in row:
        ports = port_range(row.get("port_start"), row.get("port_end"))
        what = f"{row.get('protocol')}{'/' + ports if ports else ''}"
    else:
        what = f"{row.get('type_raw')} {row.get('port_raw')}".strip()
    return f"{row.get('source')} → {row.get('destination')} {what}"


def where(row: dict) -> str:
    """The section of a row, as a text line starts with it ("" for a table without)."""
    return f"[{row['section']}] " if "section" in row else ""


def headline(d: Diff) -> str:
    """The diff's counts in one line."""
    s = d.summary()
    if d.same:
        return f"{s['table']}: no difference ({counted(s['rows_new'], 'row')})"
    parts = [f"{s['added']} added", f"{s['removed']} removed", f"{s['changed']} changed"]
    if d.renamed:
        parts.append(f"{s['renamed']} renamed ({counted(s['renamed_rows'], 'row')})")
    if d.columns_added or d.columns_removed:
        parts.append(f"columns +{len(d.columns_added)} -{len(d.columns_removed)}")
    return f"{s['table']}: {s['rows_old']} → {s['rows_new']} rows: " + ", ".join(parts)


def held(values: dict[str, int]) -> str:
    """What the rows hold in a column the new version adds, for a line of the diff.

    >>> held({"edt": 5, "x": 1}), held({})
    (' (6 rows hold a value: edt 5, x 1)', ' (no row holds a value)')
    """
    if not values:
        return " (no row holds a value)"
    shown = ", ".join(f"{v} {n}" for v, n in list(values.items())[:5])
    shown += ", …" if len(values) > 5 else ""
    return f" ({counted(sum(values.values()), 'row')} hold{'s' if sum(values.values()) == 1 else ''} a value: {shown})"


def render_text(d: Diff) -> str:
    """The diff for a terminal: ``+``, ``-``, ``~`` lines, renames, section counts."""
    out = [f"--- {d.old.label}", f"+++ {d.new.label}", headline(d)]
    values = d.added_values()
    for c in d.columns_added:
        out.append(f"column added: {c}{held(values[c])}")
    for c in d.columns_removed:
        out.append(f"column removed: {c}")
    for r in d.renamed:
        same = f", same id {r['id']}" if r.get("id") else ""
        out.append(
            f"renamed {r['field']}: {r['old']!r} → {r['new']!r} ({counted(r['rows'], 'row')}{same})"
        )
    for row in d.added:
        out.append(f"+ {where(row)}{describe(row)}")
    for row in d.removed:
        out.append(f"- {where(row)}{describe(row)}")
    for change in d.changed:
        out.append(f"~ {where(change['new'])}{describe(change['new'])}")
        for f in change["fields"]:
            out.append(f"    {f}: {change['old'].get(f)!r} → {change['new'].get(f)!r}")
    for s in d.sections:
        out.append(f"section {s['section']!r}: {s['old']} → {s['new']} rows")
    return "\n".join(escaped(line) for line in out) + "\n"


def render_markdown(d: Diff) -> str:
    """The diff as Markdown: tables per section, long lists folded."""
    out = [f"### Citrix ports: {headline(d)}", "", f"`{d.old.label}` → `{d.new.label}`", ""]
    if d.same:
        return "\n".join(out)
    if d.columns_added or d.columns_removed:
        out += [
            "- columns added: "
            + (", ".join(f"{c}{held(v)}" for c, v in d.added_values().items()) or "none"),
            f"- columns removed: {', '.join(d.columns_removed) or 'none'}",
            "",
        ]
    if d.renamed:
        out += ["| renamed | old | new | rows | same id |", "|---|---|---|---:|---|"]
        out += [
            f"| {r['field']} | {md_cell(r['old'])} | {md_cell(r['new'])} | {r['rows']} | "
            f"{md_cell(r.get('id') or '')} |"
            for r in d.renamed
        ]
        out.append("")
    if d.sections:
        out += ["| section | rows before | rows after |", "|---|---:|---:|"]
        out += [f"| {md_cell(s['section'])} | {s['old']} | {s['new']} |" for s in d.sections]
        out.append("")
    per_section: dict[str | None, list[tuple[str, str, str]]] = defaultdict(list)
    for row in d.added:
        per_section[row.get("section")].append(("added", describe(row), ""))
    for row in d.removed:
        per_section[row.get("section")].append(("removed", describe(row), ""))
    for c in d.changed:
        detail = "; ".join(
            f"{f}: {md_cell(c['old'].get(f))} → {md_cell(c['new'].get(f))}" for f in c["fields"]
        )
        per_section[c["new"].get("section")].append(("changed", describe(c["new"]), detail))
    for section in sorted(per_section, key=str):
        items = per_section[section]
        out += [f"#### {md_cell(section)}", ""] if section is not None else []
        table = ["| change | flow | fields |", "|---|---|---|"]
        table += [f"| {k} | {md_cell(f)} | {det} |" for k, f, det in items]
        if len(items) > FOLD_AFTER:
            out += (
                [f"<details><summary>{len(items)} changes</summary>", ""]
                + table
                + ["", "</details>"]
            )
        else:
            out += table
        out.append("")
    return "\n".join(out)


FORMATS = ("text", "markdown", "json")


def render(d: Diff, fmt: str) -> str:
    """The diff in one of ``FORMATS``."""
    if fmt == "json":
        return json.dumps(d.to_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    if fmt == "markdown":
        return render_markdown(d)
    return render_text(d)
