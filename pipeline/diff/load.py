"""Loading a version of the dataset for ``diff``.

Input: a spec: a build directory, a published ``ports.csv`` / ``rules.csv``, a raw
snapshot (built on the fly into a temporary directory), or ``git:REF`` (the committed
``build/`` at a git revision).  Output: a ``PublishedTable``, checked against its schema
by ``pipeline.dataset.published`` (columns added or removed between versions are allowed, so
that versions can be compared).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.core.bounded import cap
from pipeline.dataset.published import PublishedTable, build_manifest, manifest_of, parse, read
from pipeline.errors import InputError, Location

SnapshotBuilder = Callable[[Path, Path], object]  # (snapshot, out): the build stage


def load(
    spec: str, table: str = "ports", repo: Path = Path("."), build: SnapshotBuilder | None = None
) -> PublishedTable:
    """A version from a build directory, a CSV, a raw snapshot (built on the fly by
    ``build``, which the caller hands in: readers of published data never import the
    build stage) or ``git:REF``.

    Raises ``InputError`` / ``DataError`` (located) when it cannot be read or breaks its
    schema.
    """
    # A CSV file is the table it is (diff then says when two sides are different tables).
    return next(iter(load_tables(spec, (table,), repo, build)[0].values()))


def revision(ref: str, spec: str, repo: Path) -> str:
    """The commit a ``git:REF`` names, as 40 hex digits, resolved before any other git
    command sees it: a REF that starts with ``-`` or holds a control character is refused
    (it would reach git as an option), and ``git rev-parse --verify --end-of-options``
    resolves the rest, so no git command receives the user's text in option position.

    Raises ``InputError`` (located at the spec) when REF names no commit.
    """
    if ref.startswith("-") or any(ord(c) < 32 or ord(c) == 127 for c in ref):
        raise InputError(
            f"{ref!r} is not a git revision",
            Location(spec),
            hint="give a branch, tag or commit, e.g. git:HEAD or git:origin/main",
        )
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
    )
    commit = done.stdout.decode("ascii", errors="replace").strip()
    if done.returncode or len(commit) != 40:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(
            f"unknown git revision {ref!r}" + (f" ({said[0]})" if said else ""),
            Location(spec),
            hint="give a branch, tag or commit of this repository, e.g. git:HEAD",
        )
    return commit


def committed(
    commit: str, path: str, kind: str, spec: str, repo: Path
) -> subprocess.CompletedProcess:
    """``git show COMMIT:PATH``, once git says the blob is within the cap of ``kind``
    (``pipeline/data/input_limits.toml``): a committed file is an input like any other."""
    size = subprocess.run(
        ["git", "cat-file", "-s", f"{commit}:{path}"], cwd=repo, capture_output=True, text=True
    )
    if not size.returncode and int(size.stdout.strip() or 0) > cap(kind):
        raise InputError(
            f"build/{path.split('/')[-1]} at {commit[:12]} is larger than {cap(kind)} bytes",
            Location(spec),
            hint="a table this large is not what this command reads",
        )
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=repo, capture_output=True)


def load_tables(
    spec: str, tables: tuple[str, ...], repo: Path = Path("."), build: SnapshotBuilder | None = None
) -> tuple[dict[str, PublishedTable], dict]:
    """Several tables of one version (a snapshot is built once for all of them), and its
    build manifest ({} when there is none, as for a lone CSV file); a CSV file gives
    only its own table."""
    if spec.startswith("git:"):
        ref = spec[4:] or "HEAD"
        commit = revision(ref, spec, repo)
        out = {}
        shown = committed(commit, "build/manifest.json", "manifest", spec, repo)
        manifest = manifest_of(shown.stdout) if not shown.returncode else {}
        for table in tables:
            done = committed(commit, f"build/{table}.csv", "table", spec, repo)
            if done.returncode:
                raise InputError(
                    f"cannot read build/{table}.csv at {ref}: "
                    f"{done.stderr.decode(errors='replace').strip()}",
                    Location(spec),
                )
            try:
                text = done.stdout.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("not UTF-8", Location(spec)) from None
            out[table] = parse(text, spec, table, require_all_columns=False)
        return out, manifest
    path = Path(spec)
    if not path.exists():
        raise InputError(
            "no such file or build directory",
            Location(spec),
            hint="give a build directory, a published CSV, a snapshot or git:REF (git:HEAD)",
        )
    if path.is_dir() or path.suffix == ".csv":
        out = {}
        for table in tables:
            found = read(path, table if path.is_dir() else None, require_all_columns=False)
            if not path.is_dir() and len(tables) > 1:
                raise InputError(
                    f"a {found.name} CSV file alone does not hold the "
                    f"{', '.join(tables)} tables: give a build directory or a "
                    "snapshot",
                    Location(spec),
                )
            out[found.name] = PublishedTable(found.name, spec, found.columns, found.rows)
        return out, (build_manifest(path) if path.is_dir() else {})
    # A raw snapshot: build it on the fly.
    if build is None:
        raise InputError(
            "a raw snapshot must be built before it is compared",
            Location(spec),
            hint="give a build directory (citrix-ports build --out DIR)",
        )
    with tempfile.TemporaryDirectory() as tmp:
        build(path, Path(tmp) / "build")
        out = {}
        for table in tables:
            found = read(Path(tmp) / "build", table, require_all_columns=False)
            out[table] = PublishedTable(found.name, spec, found.columns, found.rows)
        manifest = build_manifest(Path(tmp) / "build")
    return out, manifest
