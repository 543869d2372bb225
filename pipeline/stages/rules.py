"""Rules stage: one row per table row of the page, as the page writes it.

Input: a ``Page`` from any reader.  Output: the ``rules`` DataFrame (columns below, in
page order) and the sections document (headings, notes, tables) for ``sections.json``.
Cell text is kept as the page has it, white space normalised; nothing is translated
or corrected here (corrections are errata, applied by the ports stage).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.dataset.schema import typed_frame
from pipeline.page.model import Page

if TYPE_CHECKING:
    import pandas as pd

# What a rule says, as opposed to where it stands: its id is made of these, and errata
# are keyed to them.
CONTENT_FIELDS = ("section", "source", "destination", "type_raw", "port_raw", "details")


def rule_id(values: dict[str, object]) -> str:
    """Stable id from the rule's section and content, not from its position.

    >>> rule_id(dict(section="S", source="A", destination="B", type_raw="TCP",
    ...              port_raw="80", details=""))
    '5ae4f311526bd215'
    """
    text = "\x1f".join(str(values[f]) for f in CONTENT_FIELDS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def rules_frame(page: Page, prose: list[dict] | None = None) -> pd.DataFrame:
    """The rules of a page: one row per table row, in page order, then the flows its
    sentences state (``prose``: ``pipeline.stages.prose``), typed by the schema."""
    records = []
    seen: dict[str, int] = {}
    for table in page.tables:
        section = table.section
        path = " > ".join(section.path) if section.path else section.heading
        for number, row in enumerate(table.rows, start=1):
            cells = row.cells
            record = {
                "section": section.heading,
                "section_path": path,
                "table": table.number,
                "row": number,
                "source": cells.get("source", ""),
                "destination": cells.get("destination", ""),
                "type_raw": cells.get("type", ""),
                "port_raw": cells.get("port", ""),
                "details": cells.get("details", ""),
                # A note row has neither protocol nor port and nothing wrong with it; a
                # damaged row is a flow row (it goes to rejects, never to the notes).
                "kind": "flow"
                if cells.get("type") or cells.get("port") or row.problems
                else "note",
                "source_inherited": "source" in row.inherited,
                "destination_inherited": "destination" in row.inherited,
                "type_inherited": "type" in row.inherited,
                "problems": "; ".join(row.problems),
                "source_line": row.line,
            }
            records.append(record)
    records += prose or []
    for record in records:
        base = rule_id(record)
        seen[base] = seen.get(base, 0) + 1
        # Two rows with the very same content in one section: number the repeats.
        record["rule_id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return typed_frame("rules", records)


def sections_document(page: Page, elsewhere: list[dict] | None = None) -> dict:
    """The page's headings, notes, tables and links, and the sentences that send the
    reader elsewhere for a product's ports (``elsewhere``), for ``sections.json``."""
    tables_of: dict[int, list[int]] = {}
    for table in page.tables:
        tables_of.setdefault(table.section.order, []).append(table.number)
    return {
        "source": Path(page.source_name).name,
        "form": page.form,
        "locale": page.locale,
        "sections": [
            {
                "order": s.order,
                "heading": s.heading,
                "level": s.level,
                "path": list(s.path) if s.path else [s.heading],
                "line": s.line,
                "tables": tables_of.get(s.order, []),
                "notes": [{"line": n.line, "text": n.text} for n in s.notes],
            }
            for s in page.sections
        ],
        "tables": [
            {
                "table": t.number,
                "section": t.section.heading,
                "line": t.line,
                "shape": t.shape,
                "header": t.header,
                "columns": t.roles,
                "rows": len(t.rows),
            }
            for t in page.tables
        ],
        # the text form keeps no link: its sentences say "cliquez ici" with no target
        "links_kept": page.form != "text",
        "links": [
            {
                "line": k.line,
                "section": k.section,
                "place": k.place,
                "text": k.text,
                "target": k.target,
            }
            for k in page.links
        ],
        "ports_elsewhere": elsewhere or [],
    }
