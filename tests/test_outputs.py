"""Every output written safely: a build swapped in whole and one at a time, never over
the current directory or the user's files, an output the system refuses named as the
user's error, a directory, a link or a device as an output, and kill -9 at every write
leaving the old state or the new one whole."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cli_args import build_args

from conftest import ROOT, unprivileged
from pipeline.cli import main
from pipeline.stages.build import build


def artifacts_whole(out) -> bool:
    """True when ``out`` holds a complete build: every artifact its manifest lists, with
    its checksum."""
    import hashlib
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    return all(
        hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
        for name, entry in manifest["artifacts"].items()
    )


def test_the_output_never_disappears_during_the_swap(built, tmp_path, monkeypatch):
    import shutil

    from conftest import SNAPSHOT
    from pipeline.stages import outdir
    from pipeline.stages.build import build

    out = tmp_path / "build"
    shutil.copytree(built[0], out)
    old_inode = out.stat().st_ino
    real_rename = outdir.os.rename

    def rename(src, dst):
        assert Path(src) != out, "the output was moved away: readers would find nothing"
        return real_rename(src, dst)

    monkeypatch.setattr(outdir.os, "rename", rename)
    build(SNAPSHOT, out, strict=True)
    assert out.stat().st_ino != old_inode and artifacts_whole(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]  # nothing left beside


def test_exchange_swaps_two_directories(tmp_path):
    from pipeline.stages.outdir import exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").touch()
    assert exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_the_fallback_swap_interrupted_is_put_back_by_the_next_build(built, tmp_path):
    import shutil

    from pipeline.stages.outdir import locked

    out = tmp_path / "build"
    shutil.copytree(built[0], tmp_path / ".build.old-x1y2")  # killed between two renames
    shutil.copytree(built[0], tmp_path / ".build.new-z3")  # killed while writing
    (tmp_path / ".build.new-z3" / "ports.csv").write_text("half")
    with locked(out):
        assert artifacts_whole(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_second_build_waits_for_the_first(tmp_path):
    import forked

    from conftest import SNAPSHOT

    out = tmp_path / "build"
    argv = build_args(str(SNAPSHOT), str(out))
    runs = [forked.start(argv) for _ in range(3)]
    done = [run.wait() for run in runs]
    errors = [d.stderr for d in done]
    assert [d.returncode for d in done] == [0, 0, 0], errors
    assert artifacts_whole(out) and sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_build_held_too_long_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from conftest import SNAPSHOT
    from pipeline.core import bounded
    from pipeline.stages import outdir

    monkeypatch.setitem(bounded.limits()["writes"], "lock_wait_seconds", 0.2)
    out = tmp_path / "build"
    with outdir.locked(out):
        assert main(build_args(str(SNAPSHOT), str(out))) == 2
    err = capsys.readouterr().err
    assert "another build is writing this output" in err and "internal error" not in err
    assert not out.exists()


@pytest.mark.parametrize("where", [".", "..", "/", "~"])
def test_a_build_never_replaces_the_current_directory_or_one_above(
    where, tmp_path, monkeypatch, capsys
):
    from conftest import SNAPSHOT

    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path / "work"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    target = str(Path(where).expanduser())
    assert main(build_args(str(SNAPSHOT), target)) == 2
    assert "refusing to build into this directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_build_with_files_of_the_user_beside_it_is_not_replaced(built, tmp_path, capsys):
    import shutil

    from conftest import SNAPSHOT

    out = tmp_path / "build"
    shutil.copytree(built[0], out)
    (out / "notes.txt").write_text("mine")
    assert main(build_args(str(SNAPSHOT), str(out))) == 2
    assert "holds files that are not the build's (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        build_args("raw/citrix-communication-ports.txt", "{ro}/build"),
        build_args("raw/citrix-communication-ports.txt", "{ro}"),
        ["export", "nftables", "--addresses", "examples/address-map.yaml", "-o", "{ro}/rules.nft"],
        ["export", "nftables", "--addresses", "examples/address-map.yaml", "-o", "{ro}/sub/x.nft"],
        [
            "export",
            "nftables",
            "--addresses",
            "examples/address-map.yaml",
            "--explain",
            "{ro}/why.txt",
            "-o",
            "/dev/null",
        ],
    ],
)
def test_an_output_the_system_refuses_is_the_user_s_error(args, read_only_dir):
    done = unprivileged(*[a.format(ro=read_only_dir) for a in args])
    assert done.returncode == 2, done.stderr
    assert (
        "cannot write: Permission denied" in done.stderr
        or "cannot write: Operation not permitted" in done.stderr
    ), done.stderr  # sticky /tmp
    assert "internal error" not in done.stderr
    assert str(read_only_dir) in done.stderr and "hint: check the permissions" in done.stderr
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.parametrize("target", ["{tmp}", "/"])
def test_an_output_that_is_a_directory_is_refused(target, tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                target.format(tmp=tmp_path),
            ]
        )
        == 2
    )
    assert "cannot write: it is a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_symbolic_link_writes_its_target(tmp_path):
    (tmp_path / "rules").mkdir()
    target = tmp_path / "rules" / "citrix.nft"
    link = tmp_path / "current.nft"
    link.symlink_to(target)
    for _ in range(2):  # a dangling link first, then one to the file written
        assert (
            main(
                [
                    "export",
                    "nftables",
                    "--addresses",
                    str(ROOT / "examples/address-map.yaml"),
                    "-o",
                    str(link),
                ]
            )
            == 0
        )
        assert link.is_symlink() and link.resolve() == target
        assert target.read_text().startswith("#")
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["citrix.nft"]


def test_an_output_that_is_a_device_is_written_to_not_replaced(tmp_path):
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                str(fifo),
            ]
        )
        == 0
    )
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and got and got[0].startswith(b"#")
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                "/dev/null",
            ]
        )
        == 0
    )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.slow
@pytest.mark.parametrize("check", ["build", "build-fallback", "fetch"])
def test_kill_9_at_writes_leaves_the_old_state_or_the_new_whole(check):
    """A spread of kill points here; `make fuzz` kills at every write (tests/crashing.py)."""
    import crashing

    findings = {
        "build": lambda: crashing.check_build(3),
        "build-fallback": lambda: crashing.check_build(3, no_exchange=True),
        "fetch": lambda: crashing.check_fetch(3),
    }[check]()
    assert findings == []


@pytest.mark.slow
def test_the_kill_harness_sees_leftovers(monkeypatch):
    """The judge itself: a build that does not clean up after a killed one is found."""
    import crashing
    import pipeline.stages.outdir

    # the forked children inherit the patch
    monkeypatch.setattr(pipeline.stages.outdir, "clean_up", lambda out: None)
    findings = crashing.check_build(3, no_exchange=True)
    assert any("the next build left ['.build.new-" in f for f in findings), findings


ARTIFACTS = {"datapackage.json", "manifest.json", "sections.json", "report.md"} | {
    f"{t}.{ext}"
    for t in ("rules", "ports", "rejects", "components")
    for ext in ("csv", "json", "parquet")
}


def test_names_from_the_page_cannot_escape_the_output_directory(tmp_path):
    evil = "../../../../../../tmp/escaped"
    text = (
        f"Produit {evil}\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        f"{evil}/a | /etc/passwd | TCP | 443 | ..\\..\\x |\n"
    )
    src = tmp_path / "evil.txt"
    src.write_text(text)
    before = set(Path("/tmp").glob("escaped*"))
    out = tmp_path / "work" / "out"
    result = build(src, out)
    assert result.manifest["counts"]["rules"] == 1
    assert {p.name for p in out.iterdir()} == ARTIFACTS
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == sorted(
        ["evil.txt", "work", "work/out"] + [f"work/out/{a}" for a in ARTIFACTS]
    )
    assert set(Path("/tmp").glob("escaped*")) == before
