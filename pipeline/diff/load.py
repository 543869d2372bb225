"""Loading a version of the dataset for ``diff``.

Input: a spec: a build directory, a published ``ports.csv`` / ``rules.csv``, a raw
snapshot (built on the fly into a temporary directory), or ``git:REF`` (the committed
``build/`` at a git revision).  Output: a ``PublishedTable``, checked against its schema
by ``pipeline.published`` (columns added or removed between versions are allowed, so
that versions can be compared).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import InputError, Location
from pipeline.published import PublishedTable, parse, read


def load(spec: str, table: str = "ports", repo: Path = Path(".")) -> PublishedTable:
    """A version from a build directory, a CSV, a raw snapshot or ``git:REF``.

    Raises ``InputError`` / ``DataError`` (located) when it cannot be read or breaks its
    schema.
    """
    if spec.startswith("git:"):
        ref = spec[4:] or "HEAD"
        done = subprocess.run(["git", "show", f"{ref}:build/{table}.csv"], cwd=repo,
                              capture_output=True)
        if done.returncode:
            raise InputError(f"cannot read build/{table}.csv at {ref}: "
                             f"{done.stderr.decode(errors='replace').strip()}", Location(spec))
        try:
            text = done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not UTF-8", Location(spec)) from None
        return parse(text, spec, table, require_all_columns=False)
    path = Path(spec)
    if not path.exists():
        raise InputError("no such file or build directory", Location(spec))
    if path.is_dir() or path.suffix == ".csv":
        found = read(path, table if path.is_dir() else None, require_all_columns=False)
        return PublishedTable(found.name, spec, found.columns, found.rows)
    # A raw snapshot: build it on the fly.
    from pipeline.build import build

    with tempfile.TemporaryDirectory() as tmp:
        build(path, Path(tmp) / "build")
        found = read(Path(tmp) / "build", table, require_all_columns=False)
    return PublishedTable(found.name, spec, found.columns, found.rows)
