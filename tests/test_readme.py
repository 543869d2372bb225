"""The README's examples run as written, from a fresh clone: every ``.venv/bin/citrix-ports``
line of its shell blocks (but ``fetch``, which reaches the internet) is run in a clone of
the repository and must succeed; ``> FILE`` writes the file.  Its figures are those of
the latest ``make bench`` (tests/benchmark-results.json)."""

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


# -- the README's figures are the latest `make bench`'s -------------------------------------

N = r"([0-9]+(?:\.[0-9]+)?)"


def figures(template: str, doc: str = "README.md") -> list[float]:
    """The numbers of the sentence ``template`` of ``doc`` (``{}`` for each number; spaces
    match any run of blanks, line breaks included); fails when it no longer says it."""
    text = (ROOT / doc).read_text("utf-8")
    pattern = r"\s+".join(re.escape(w).replace(r"\{\}", N) for w in template.split())
    found = re.search(pattern, text)
    assert found, f"{doc} no longer says: {template}"
    return [float(g) for g in found.groups()]


def test_the_readme_s_figures_are_the_latest_bench_s():
    """``make bench`` rewrites tests/benchmark-results.json: the README's figures follow it
    (a range holds the latest figure; a figure is the latest, as the README rounds it)."""
    import json

    bench = json.loads((ROOT / "tests" / "benchmark-results.json").read_text("utf-8"))
    setup = bench["setup_and_tests"]
    lo, hi, fast_lo, fast_hi = figures(
        "run every test: {}-{} s on 2 cores (make test-fast, without the slow ones: {}-{} s)"
    )
    assert lo <= setup["make_test_s"] <= hi and fast_lo <= setup["make_test_fast_s"] <= fast_hi
    venv_lo, venv_hi, make_lo, make_hi, bare_lo, bare_hi = figures(
        "`make venv` takes {}-{} s and `make` {}-{} s where `python3 -m venv` alone takes {}-{} s"
    )
    assert venv_lo <= setup["make_venv_fresh_clone_s"] <= venv_hi
    assert make_lo <= setup["make_fresh_clone_s"] <= make_hi
    assert bare_lo <= setup["python_m_venv_s"] <= bare_hi
    run = bench["read_only_latency"]["runtime_install"]
    said = figures(
        "`query` {} s ({}× that floor), `export` {} s ({}×), `diff` {} s ({}×); and `build` "
        "takes {}× the import of pandas, pandera and pyarrow ({}× in the venv"
    )
    latest = []
    for command in ("query --port 443", "export nftables", "diff of two builds"):
        latest += [round(run[command]["s"], 2), round(run[command]["over_floor"], 1)]
    floor = bench["build_vs_import_floor"]
    latest += [floor["runtime_install"]["ratio"], floor["dev_venv"]["ratio"]]
    assert said == latest
    html = bench["html_vs_pandas_read_html"]
    assert figures(
        "{} ms to parse with `html.parser` against {} ms with BeautifulSoup's lxml builder, "
        "which drops the line numbers; reading the whole page takes {} ms ({} times "
        "`pandas.read_html`, {} ms",
        "docs/dependencies.md",
    ) == [
        round(html["bs4_parse_html_parser_s"] * 1000),
        round(html["bs4_parse_lxml_builder_s"] * 1000),
        round(html["ours_s"] * 1000),
        round(html["ratio"], 1),
        round(html["pandas_read_html_s"] * 1000),
    ]


def test_the_layout_names_every_package_and_module():
    """The README's Layout is the tree of ``pipeline/``: every package (``name/``) and
    every module (by its name) is in it, so a module added is a module described."""
    text = (ROOT / "README.md").read_text("utf-8")
    layout = text.split("## Layout", 1)[1].split("```", 2)[1]
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
    assert not missing, f"the README's Layout does not name: {missing}"
