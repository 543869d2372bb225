"""A page's HTML rendered to text, as the committed French snapshot was made.

Input: the HTML of a page.  Output: its text rendering by trafilatura 1.12 (tables kept,
each row a line of ``|``-separated cells, the cells a merged cell covers written as
padding pipes at the line's end), the form ``raw/citrix-communication-ports.txt`` has.
``fetch --form text`` (or ``--form default`` where the default snapshot is a text
rendering) saves this, so a refresh keeps the snapshot's form.  trafilatura is imported
only here (the ``render`` extra); a missing one is an ``InputError`` saying so.
"""

from __future__ import annotations

import re

from pipeline.errors import InputError

RENDERER = "trafilatura 1.12"  # what made the committed text rendering (raw/manifest.json)


def html_to_text(html: str) -> str:
    """The text rendering of a page's HTML (blank lines folded, one final newline)."""
    try:
        import trafilatura
    except ImportError:
        raise InputError(
            "rendering HTML to text needs trafilatura, which is not installed",
            hint="install the render extra (pip install 'citrix-ports[render]'; make venv does), "
            "or fetch with --form served",
        ) from None
    text = trafilatura.extract(
        html, include_tables=True, include_comments=False, no_fallback=True, deduplicate=False
    )
    return re.sub(r"\n{2,}", "\n", text or "") + "\n"
