"""Shared fixtures: the real French snapshot in raw/ and the English source in tests/data,
read and built once per session."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "raw" / "citrix-communication-ports.txt"
ENGLISH = ROOT / "tests" / "data" / "citrix-communication-ports.fd98ff78.md"


@pytest.fixture(scope="session")
def snapshot_lines() -> list[str]:
    return SNAPSHOT.read_text("utf-8").splitlines()


@pytest.fixture(scope="session")
def page():
    from pipeline.page.readers.text import read_text

    return read_text(SNAPSHOT.read_text("utf-8"), str(SNAPSHOT), "fr-fr")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The snapshot built once into a fresh directory: (out dir, BuildResult)."""
    from pipeline.stages.build import build

    out = tmp_path_factory.mktemp("build") / "build"
    result = build(SNAPSHOT, out, strict=True)
    return out, result


@pytest.fixture(scope="session")
def english_built(tmp_path_factory):
    """The English Markdown source (tests/data) built once, with ``--strict``: its out dir
    (read only)."""
    from pipeline.stages.build import build

    out = tmp_path_factory.mktemp("en") / "build"
    build(ENGLISH, out, strict=True)
    return out


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def cfn_lint(path: Path) -> list[str]:
    """cfn-lint's findings on a CloudFormation template, by its own library in this process
    (what its command line reports, with the same default rules and region; the rules are
    loaded once per process, about 3 s, instead of once per run)."""
    from cfnlint.api import lint

    return [str(m) for m in lint(Path(path).read_text("utf-8"))]


# -- what a diff misses (the diff tests' judge) ----------------------------------------

POSITION_FIELDS = {"rule_id", "table", "row", "source_line"}


def unreported(d) -> list[str]:
    """What a diff misses: a row of either side neither paired nor added/removed (or in
    two places), or a field that differs within a pair and is neither a changed field nor
    covered by a reported rename."""
    problems = []
    for side, rows, left in (("old", d.old.rows, d.removed), ("new", d.new.rows, d.added)):
        placed = [id(r) for r in left] + [id(p[0 if side == "old" else 1]) for p in d.pairs]
        if sorted(placed) != sorted(id(r) for r in rows):
            problems.append(f"{side}: {len(rows)} rows, {len(placed)} placed")
    renames = {(r["field"], r["old"], r["new"]) for r in d.renamed}
    changed = {(id(c["old"]), id(c["new"])): set(c["fields"]) for c in d.changed}
    for o, n in d.pairs:
        for f in set(o) & set(n):
            if f in POSITION_FIELDS or o[f] == n[f]:
                continue
            if f in changed.get((id(o), id(n)), ()) or (f, o[f], n[f]) in renames:
                continue
            if (
                f.endswith("_id")
                and (f.removesuffix("_id"), o[f.removesuffix("_id")], n[f.removesuffix("_id")])
                in renames
            ):
                continue
            problems.append(f"{f}: {o[f]!r} -> {n[f]!r} is reported nowhere")
    return problems


def pytest_collection_modifyitems(config, items):
    """The slow tests first (the order is otherwise kept): the two workers share the long
    ones from the start, and the short ones fill in at the end, instead of one worker
    finishing a long test alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# -- a listener on 127.0.0.1, a FIFO, a directory only an unprivileged user cannot write --


@pytest.fixture()
def listener():
    made = []

    from localhost import Listener

    def make(reply=b"", drip: float = 0.0, head: bytes = b"") -> Listener:
        made.append(Listener(reply, drip, head))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture()
def fifo(tmp_path):
    import os

    path = tmp_path / "fifo.csv"
    os.mkfifo(path)
    return path


@pytest.fixture()
def read_only_dir():
    """A directory nobody but root may write, and a way to run the CLI as a user the
    permissions apply to (``nobody`` when the tests run as root, as CI does)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="citrix-ports-ro-"))
    path.chmod(0o555)
    yield path
    path.chmod(0o755)
    shutil.rmtree(path)


def unprivileged(*args: str):
    """The CLI run as a user the permissions apply to: ``nobody`` when the tests run as
    root, as CI does."""
    import forked

    private = [p for p in [ROOT, *ROOT.parents] if not p.stat().st_mode & stat.S_IXOTH]
    if private:  # the child, as user 65534, could not read the data files of the checkout
        pytest.skip(
            f"{private[0]} is private (mode {stat.filemode(private[0].stat().st_mode)}): an "
            "unprivileged process cannot read this checkout, so what the system refuses it "
            "cannot be tried here; clone where others may read to run this test"
        )
    return forked.run(list(args), user=65534)
