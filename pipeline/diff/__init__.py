"""Diff stage: what changed between two versions of the dataset.

Three modules, one job each: ``load`` (a version from a build directory, a CSV, a raw
snapshot or ``git:REF``, read and checked by ``pipeline.dataset.published``), ``compare`` (the
``Diff``) and ``render`` (text, Markdown, JSON).

Input: two versions, each a build directory, a published ``ports.csv`` / ``rules.csv``,
a raw snapshot (built on the fly), or ``git:REF`` (the committed ``build/`` at a git
revision).  Output: a ``Diff`` (rows added, removed, changed field by field, renames,
columns added or removed, counts per section) rendered as text, Markdown or JSON.

Rows are matched by content, never by position, so a moved row or section is no change;
a name with a registry id (``section_id``, ``source_id``, ``destination_id``) is matched
by its id, so a translation or a product rename of a known component is reported as a
rename of the wording, once, with its id, not as rows removed and added.  Then:
first by their identity (ports: section, source, destination, protocol, port range;
rules: section, source, destination, type and port cells), then, among the rows left, by
a looser key that leaves out what may have changed (ports: the port range; rules: the
type and port cells) when it pairs exactly one old row with one new row.  A rename is
one value of ``section``, ``source`` or ``destination`` replaced by another in several
rows that are otherwise identical: it is reported once, with its row count, and those
rows are not listed as removed and added.
"""

from __future__ import annotations

from pipeline.diff.compare import Diff, diff
from pipeline.diff.load import load
from pipeline.diff.render import render

__all__ = ["Diff", "diff", "load", "render"]
