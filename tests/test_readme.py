"""The README's examples run as written, from a fresh clone: every ``.venv/bin/citrix-ports``
line of its shell blocks (but ``fetch``, which reaches the internet) is run in a clone of
the repository and must succeed; ``> FILE`` writes the file.  The benchmark page is the
latest ``make bench``'s, and the module tree of docs/maintaining.md is the code's."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess

import pytest

from conftest import ROOT
from pipeline.cli import main

COMMAND = ".venv/bin/citrix-ports "


def examples() -> list[str]:
    """The README's command lines (continuation lines joined, comments dropped)."""
    text = (ROOT / "README.md").read_text("utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").split("\n"):
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith(COMMAND) and not line.startswith(COMMAND + "fetch"):
                found.append(line[len(COMMAND) :])
    return found


def test_the_readme_has_examples_and_no_bare_command():
    text = (ROOT / "README.md").read_text("utf-8")
    assert len(examples()) >= 8
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        assert not re.search(r"(?m)^citrix-ports ", block), "write .venv/bin/citrix-ports"


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    path = tmp_path_factory.mktemp("readme") / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(path)], check=True, timeout=120)
    return path


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@pytest.mark.parametrize("line", examples())
def test_every_readme_example_runs_as_written(line, clone, monkeypatch, tmp_path):
    monkeypatch.chdir(clone)
    monkeypatch.setenv("HOME", str(tmp_path))
    argv = shlex.split(line)
    target = None
    if ">" in argv:  # `> FILE`: standard output into the file
        i = argv.index(">")
        argv, target = argv[:i], argv[i + 1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    assert code == 0, (line, code)
    if target:
        path = clone / target.replace("~", str(tmp_path)).replace("${fpath[1]}", "fpath")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out.getvalue())
        assert out.getvalue()


def test_the_benchmark_page_is_the_latest_results():
    """docs/benchmark.md is what tests/benchmark-results.json gives (make bench writes
    both), so no figure of the docs is older than the results."""
    import benchmark_report

    assert benchmark_report.main(["--check"]) == 0


def test_the_layout_names_every_package_and_module():
    """The tree of ``pipeline/`` in docs/maintaining.md names every package (``name/``)
    and every module (by its name), so a module added is a module described."""
    text = (ROOT / "docs" / "maintaining.md").read_text("utf-8")
    tree = text.split("## Where things live", 1)[1].split("```", 2)[1]
    # the lines of pipeline/ only: a word of the tests' or docs' lines names no module
    layout = tree[tree.index("\npipeline/") : tree.index("\nschemas/")]
    pipeline = ROOT / "pipeline"
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted(pipeline.rglob("*.py"))
        if p.stem not in ("__init__", "__main__")
        and "__pycache__" not in p.parts
        and not re.search(rf"(?<![\w/]){re.escape(p.stem)}\b", layout)
    ]
    missing += [
        f"{d.relative_to(ROOT)}/"
        for d in sorted(pipeline.rglob("*"))
        if d.is_dir() and d.name not in ("__pycache__", "data") and f"{d.name}/" not in layout
    ]
    assert not missing, f"docs/maintaining.md's tree does not name: {missing}"
