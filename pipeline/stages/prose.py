"""Flows in prose: the sentences of the page that state a flow whole.

Input: the page's notes and the vocabulary's sentence patterns (``[prose_flows]``).
Output: one rule record per flow a sentence states (``kind`` ``prose``, ``table`` 0,
``row`` its number among the page's prose flows, the sentence as its details, its line),
read by the ports stage as any row is; and a located warning for each sentence that
looks like a flow (``prose_flows.hint``: a port and a number) and that no pattern reads
whole.
"""

from __future__ import annotations

from pipeline.catalogue import Notice, warning
from pipeline.page.model import Page
from pipeline.page.vocabulary import Vocabulary


def prose_flows(page: Page, vocab: Vocabulary) -> tuple[list[dict], list[Notice]]:
    """The flows the page's sentences state, and the warnings (see the module)."""
    records: list[dict] = []
    warnings: list[Notice] = []
    for section in page.sections:
        path = " > ".join(section.path) if section.path else section.heading
        for note in section.notes:
            found = [(m, given) for p, given in vocab.prose_flows if (m := p.search(note.text))]
            for m, given in found:
                groups = m.groupdict()
                records.append(
                    {
                        "section": section.heading,
                        "section_path": path,
                        "table": 0,
                        "row": len(records) + 1,
                        "source": given.get("source") or (groups.get("source") or "").strip(),
                        "destination": given.get("destination")
                        or (groups.get("destination") or "").strip(),
                        "type_raw": groups["type"].upper(),
                        "port_raw": groups["port"],
                        "details": note.text,
                        "kind": "prose",
                        "source_inherited": False,
                        "destination_inherited": False,
                        "type_inherited": False,
                        "problems": "",
                        "source_line": note.line,
                    }
                )
            if not found and vocab.prose_hint is not None and vocab.prose_hint.search(note.text):
                warnings.append(warning("prose-unread", line=note.line, section=section.heading))
    return records, warnings
