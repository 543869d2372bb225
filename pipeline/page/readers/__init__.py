"""The readers: one per form of the page, all producing the one table model.

Input: the decoded text of a snapshot, its form (``pipeline.page.detect``), name and locale.
Output: a ``model.Page``.  ``text`` reads the text rendering, ``markdown`` the Markdown
source, ``html`` the live HTML; ``cells`` (cell kinds, placement, row building, the one
behaviour for damaged rows) and ``flattened`` (a table collapsed onto one line) serve
all three.  A reader is imported only when its form is read (BeautifulSoup for HTML).
"""

from __future__ import annotations

from pipeline.page.model import Page

FORMS = ("text", "markdown", "html")


def read_page(text: str, form: str, name: str, locale: str) -> Page:
    """The page read by the reader of its form.

    Raises ``ValueError`` for a form that has no reader and ``InputError`` when the
    text cannot be read.
    """
    if form == "html":
        from pipeline.page.readers.html import read_html as reader
    elif form == "markdown":
        from pipeline.page.readers.markdown import read_markdown as reader
    elif form == "text":
        from pipeline.page.readers.text import read_text as reader
    else:
        raise ValueError(f"no reader for the form {form!r} (forms: {', '.join(FORMS)})")
    return reader(text, name, locale)
