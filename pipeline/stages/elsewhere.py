"""Ports elsewhere: the sentences of the page that send the reader to another page for
the ports of a product.

Input: the page (its notes and links), the vocabulary's wordings (``[elsewhere]``) and
the registry.  Output: one record per such sentence for ``sections.json``: its section
and line, the product as the page names it, the registry's section id for it ("" when
none), the sentence, and its links where the form keeps them (the text form has none).
"""

from __future__ import annotations

from pipeline.page.model import Page
from pipeline.page.vocabulary import Vocabulary


def ports_elsewhere(page: Page, vocab: Vocabulary, registry) -> list[dict]:
    """The sentences that send the reader elsewhere for a product's ports, in page order."""
    links: dict[int, list[dict]] = {}
    for link in page.links:
        if link.place == "prose":
            links.setdefault(link.line, []).append({"text": link.text, "target": link.target})
    out = []
    for section in page.sections:
        for note in section.notes:
            found = next((m for p in vocab.elsewhere if (m := p.search(note.text))), None)
            if found is None:
                continue
            product = found["product"].strip(" ,.;:")
            out.append(
                {
                    "section": section.heading,
                    "line": note.line,
                    "product": product,
                    "section_id": registry.section_id(product) if registry is not None else "",
                    "text": note.text,
                    "links": links.get(note.line, []),
                }
            )
    return out
