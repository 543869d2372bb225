"""The command line on good and garbled inputs: exit codes, located messages, no
traceback, and an output directory never half-written."""

from __future__ import annotations

import shutil

import pytest

from conftest import SNAPSHOT, run_cli

HEADER = "Source | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"


@pytest.fixture()
def previous_build(tmp_path):
    out = tmp_path / "build"
    done = run_cli("build", "--input", str(SNAPSHOT), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def unchanged(out, before):
    return {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_build_reports_counts(tmp_path):
    done = run_cli("build", "--input", str(SNAPSHOT), "--out", str(tmp_path / "b"), "--strict")
    assert done.returncode == 0
    assert "20 tables, 217 rules" in done.stderr
    assert "rejected: line 50, section 'Citrix ADM', table 3, row 20" in done.stderr


@pytest.mark.parametrize("content, code, fragments", [
    (b"", 2, ["input is empty"]),
    (b"\x00\x01\x02\xff" * 50, 2, ["binary", ":1"]),
    ("Titre\nligne\n".encode() + b"\xff\xfe bad\n", 2, ["not UTF-8", ":3"]),
    (b"Juste du texte\nsans tableau.\n", 2, ["no port table"]),
    (("Citrix SDX\n" + HEADER).encode(), 2, ["no rows", ":2", "table 1", "Citrix SDX"]),
])
def test_garbled_input_gives_a_located_error(tmp_path, previous_build, content, code, fragments):
    out, before = previous_build
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    done = run_cli("build", "--input", str(bad), "--out", str(out))
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert "bad.txt" in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, (fragment, done.stderr)
    assert unchanged(out, before)


def test_truncated_snapshot_and_extra_cells_give_located_rejects(tmp_path):
    text = SNAPSHOT.read_text("utf-8").splitlines()
    # cut in the middle of the Citrix SDX table, and give one row too many cells
    cut = text[:10]
    cut[7] = cut[7] + " extra | cells |"
    bad = tmp_path / "cut.txt"
    bad.write_text("\n".join(cut) + "\n", "utf-8")
    out = tmp_path / "out"
    done = run_cli("build", "--input", str(bad), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "rejected: line 8, section 'Citrix SDX', table 1, row 2" in done.stderr
    rejects = (out / "rejects.csv").read_text("utf-8")
    assert "more cells than the table's 5 columns" in rejects


def test_missing_input(tmp_path):
    done = run_cli("build", "--input", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "nope.txt" in done.stderr and "cannot read" in done.stderr
    assert not (tmp_path / "o").exists()


def test_stale_erratum_fails_only_with_strict(tmp_path):
    errata = tmp_path / "errata.toml"
    errata.write_text(
        '[[erratum]]\nid = "gone"\nmatch = { section = "Citrix SDX", port_raw = "99999" }\n'
        'use = [{ port_raw = "9999" }]\nreason = "r"\nreference = "x"\n', "utf-8")
    out = tmp_path / "b"
    done = run_cli("build", "--out", str(out), "--errata", str(errata),
                   "--input", str(SNAPSHOT))
    assert done.returncode == 0 and "erratum gone matches no row" in done.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    strict = run_cli("build", "--out", str(out), "--errata", str(errata), "--strict",
                     "--input", str(SNAPSHOT))
    assert strict.returncode == 4 and "gone" in strict.stderr and "errata.toml" in strict.stderr
    assert unchanged(out, before)


def test_bad_errata_file_is_located(tmp_path):
    errata = tmp_path / "errata.toml"
    errata.write_text('[[erratum]]\nid = "x"\nmatch = { colour = "red" }\nuse = [{}]\n'
                      'reason = "r"\nreference = "x"\n', "utf-8")
    done = run_cli("build", "--out", str(tmp_path / "b"), "--errata", str(errata),
                   "--input", str(SNAPSHOT))
    assert done.returncode == 2 and "errata.toml" in done.stderr and "colour" in done.stderr


def test_refuses_to_replace_a_directory_that_is_not_a_build(tmp_path):
    home = tmp_path / "docs"
    home.mkdir()
    (home / "precious.txt").write_text("keep me")
    done = run_cli("build", "--input", str(SNAPSHOT), "--out", str(home))
    assert done.returncode == 2 and "refusing" in done.stderr
    assert [p.name for p in home.iterdir()] == ["precious.txt"]


def test_python_dash_m_and_default_input(tmp_path):
    work = tmp_path / "w"
    (work / "raw").mkdir(parents=True)
    shutil.copy(SNAPSHOT, work / "raw" / SNAPSHOT.name)
    done = run_cli("build", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "build" / "ports.csv").exists()
