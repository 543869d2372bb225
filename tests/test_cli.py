"""The command line on good and garbled inputs: exit codes, located messages, no
traceback, and an output directory never half-written.

The commands run in-process (``main()``); a few tests run ``python -m pipeline`` in a
subprocess, for what only a real process shows (the entry point, a closed pipe).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from cli_args import build_args, run

from conftest import ROOT, SNAPSHOT, run_cli
from pipeline.cli import main
from pipeline.source import raw_manifest

HEADER = "Source | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "build"
    assert main(build_args(str(SNAPSHOT), str(out))) == 0
    return out


@pytest.fixture()
def previous_build(tmp_path, good_build):
    """A copy of a good build, and its bytes, to check that a failure leaves it as it is."""
    out = tmp_path / "build"
    shutil.copytree(good_build, out)
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def unchanged(out, before):
    return {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_build_reports_counts(tmp_path, capsys):
    code, _, err = cli(
        capsys, "build", "--input", str(SNAPSHOT), "--out", str(tmp_path / "b"), "--strict"
    )
    assert code == 0
    # 217 table rows and 3 flows the page states in sentences (lines 57, 65, 84)
    assert "20 tables, 220 rules (3 of them flows stated in sentences)" in err
    assert "rejected: line 50, section 'Citrix ADM', table 3, row 20" in err


@pytest.mark.parametrize(
    "content, code, fragments",
    [
        (b"", 2, ["input is empty"]),
        (b"\x00\x01\x02\xff" * 50, 2, ["binary", ":1"]),
        (b"Titre\nligne\n" + b"\xff\xfe bad\n", 2, ["not UTF-8", ":3"]),
        (b"Juste du texte\nsans tableau.\n", 2, ["no port table"]),
        (("Citrix SDX\n" + HEADER).encode(), 2, ["no rows", ":2", "table 1", "Citrix SDX"]),
    ],
)
def test_garbled_input_gives_a_located_error(
    tmp_path, previous_build, capsys, content, code, fragments
):
    out, before = previous_build
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    got, _, err = cli(capsys, "build", "--input", str(bad), "--out", str(out))
    assert got == code, err
    assert "Traceback" not in err
    assert "bad.txt" in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert unchanged(out, before)


def test_truncated_snapshot_and_extra_cells_give_located_rejects(tmp_path, capsys):
    text = SNAPSHOT.read_text("utf-8").splitlines()
    # cut in the middle of the Citrix SDX table, and give one row too many cells
    cut = text[:10]
    cut[7] = cut[7] + " extra | cells |"
    bad = tmp_path / "cut.txt"
    bad.write_text("\n".join(cut) + "\n", "utf-8")
    out = tmp_path / "out"
    code, _, err = cli(capsys, "build", "--input", str(bad), "--out", str(out))
    assert code == 0, err
    assert "rejected: line 8, section 'Citrix SDX', table 1, row 2" in err
    rejects = (out / "rejects.csv").read_text("utf-8")
    assert "more cells than the table's 5 columns" in rejects


def test_missing_input(tmp_path, capsys):
    code, _, err = cli(
        capsys, "build", "--input", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")
    )
    assert code == 2 and "nope.txt" in err and "cannot read" in err
    assert not (tmp_path / "o").exists()


def test_stale_erratum_fails_only_with_strict(tmp_path, capsys):
    errata = tmp_path / "errata.toml"
    errata.write_text(
        '[[erratum]]\nid = "gone"\nmatch = { section = "Citrix SDX", port_raw = "99999" }\n'
        'use = [{ port_raw = "9999" }]\nreason = "r"\nreference = "x"\n',
        "utf-8",
    )
    out = tmp_path / "b"
    code, _, err = cli(
        capsys, "build", "--out", str(out), "--errata", str(errata), "--input", str(SNAPSHOT)
    )
    assert code == 0 and "erratum gone matches no row" in err
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = cli(
        capsys,
        "build",
        "--out",
        str(out),
        "--errata",
        str(errata),
        "--strict",
        "--input",
        str(SNAPSHOT),
    )
    assert code == 4 and "gone" in err and "errata.toml" in err
    assert unchanged(out, before)


def test_bad_errata_file_is_located(tmp_path, capsys):
    errata = tmp_path / "errata.toml"
    errata.write_text(
        '[[erratum]]\nid = "x"\nmatch = { colour = "red" }\nuse = [{}]\n'
        'reason = "r"\nreference = "x"\n',
        "utf-8",
    )
    code, _, err = cli(
        capsys,
        "build",
        "--out",
        str(tmp_path / "b"),
        "--errata",
        str(errata),
        "--input",
        str(SNAPSHOT),
    )
    assert code == 2 and "errata.toml" in err and "colour" in err


def test_refuses_to_replace_a_directory_that_is_not_a_build(tmp_path, capsys):
    home = tmp_path / "docs"
    home.mkdir()
    (home / "precious.txt").write_text("keep me")
    code, _, err = cli(capsys, "build", "--input", str(SNAPSHOT), "--out", str(home))
    assert code == 2 and "refusing" in err
    assert [p.name for p in home.iterdir()] == ["precious.txt"]


def test_default_input_is_the_snapshot_the_raw_manifest_names(tmp_path, monkeypatch, capsys):
    """build without --input reads raw/manifest.json's `default` (what `fetch
    --set-default` changes and the weekly workflow relies on)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SNAPSHOT, raw / "other.txt")
    (raw / "manifest.json").write_text(json.dumps({"default": "other.txt", "snapshots": {}}))
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "build")
    assert code == 0, err
    assert "read other.txt (text, fr-fr)" in err
    assert (
        json.loads((tmp_path / "build" / "manifest.json").read_text())["source"]["name"]
        == "other.txt"
    )
    assert raw_manifest.default_snapshot(raw) == raw / "other.txt"


def test_makefile_reads_the_same_default():
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.source.raw_manifest", "default"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    name = json.loads((ROOT / "raw" / "manifest.json").read_text())["default"]
    assert done.stdout.strip() == f"raw/{name}"


def test_a_bug_exits_1_without_traceback_unless_asked(monkeypatch, tmp_path, capsys):
    import pipeline.stages.build

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline.stages.build, "build", broken)
    code, _, err = cli(capsys, "build", "--input", str(SNAPSHOT), "--out", str(tmp_path / "b"))
    assert code == 1
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err
    monkeypatch.setenv("CITRIX_PORTS_DEBUG", "1")
    code, _, err = cli(capsys, "build", "--input", str(SNAPSHOT), "--out", str(tmp_path / "b"))
    assert code == 1 and "Traceback" in err


def test_interrupt_exits_130_and_publishes_nothing(monkeypatch, previous_build, capsys):
    import pipeline.stages.publish

    out, before = previous_build

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.stages.publish, "report_markdown", interrupted)
    code, _, err = cli(capsys, "build", "--input", str(SNAPSHOT), "--out", str(out))
    assert code == 130 and "interrupted; nothing was published" in err
    assert unchanged(out, before)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".build")]


# -- a real process ---------------------------------------------------------------------


@pytest.mark.slow
def test_python_dash_m_and_default_input(tmp_path):
    work = tmp_path / "w"
    (work / "raw").mkdir(parents=True)
    shutil.copy(SNAPSHOT, work / "raw" / SNAPSHOT.name)
    done = run_cli("build", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "build" / "ports.csv").exists()


@pytest.mark.slow
def test_garbled_input_in_a_real_process_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00" * 10)
    done = run_cli("build", "--input", str(bad), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "bad.txt" in done.stderr


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(good_build):
    """`citrix-ports query | head -1`: the reader has left; no error, status 128 + SIGPIPE.

    The pipe's read end is closed before the command writes, so the write must fail."""

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline",
                "query",
                "--data",
                str(good_build),
                "--format",
                "json",
            ],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == b""


@pytest.mark.slow
def test_libraries_load_with_the_collector_paused_once_per_process():
    """The build imports pandas & co. with the garbage collector paused
    (pipeline.cli.process.libraries_settled): the collector is on again afterwards, and a
    second use in the same process (pandas already loaded) leaves it on throughout."""
    code = (
        "import gc, sys\n"
        "from pipeline.cli.process import libraries_settled\n"
        "assert 'pandas' not in sys.modules\n"
        "with libraries_settled():\n"
        "    assert not gc.isenabled()\n"
        "    import pandas\n"
        "assert gc.isenabled()\n"
        "with libraries_settled():\n"
        "    assert gc.isenabled()\n"
        "    import pandera\n"
        "assert gc.isenabled()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_version_and_completion(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and re.match(r"citrix-ports \d+\.\d+", capsys.readouterr().out)
    for shell in ("bash", "zsh"):
        code, script, _ = run(capsys, "completion", shell)
        assert code == 0
        for word in (
            "build",
            "fetch",
            "diff",
            "query",
            "export",
            "--allow-shrink",
            "--columns",
            "--allow-any",
        ):
            assert word in script, (shell, word)
