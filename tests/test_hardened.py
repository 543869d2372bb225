"""Hardened inputs: each defect of the hardened-inputs issue reproduced, with the
behaviour that replaced it (no exit 1, no hang, nothing written outside its place)."""

from __future__ import annotations

import pytest

from conftest import ROOT
from pipeline.cli import main


@pytest.mark.parametrize("command", [["diff"], ["compare"], ["align"]])
@pytest.mark.parametrize("ref", ["--output={out}", "-o{out}", "--output={out} HEAD"])
def test_a_git_revision_never_reaches_git_as_an_option(command, ref, tmp_path, monkeypatch,
                                                       capsys):
    out = tmp_path / "written"
    monkeypatch.chdir(ROOT)
    assert main([*command, "git:" + ref.format(out=out), "build"]) == 2
    assert "is not a git revision" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_revision_is_named(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["diff", "git:no-such-branch-here", "build"]) == 2
    assert "unknown git revision 'no-such-branch-here'" in capsys.readouterr().err
    assert main(["diff", "git:HEAD", "build", "--exit-code"]) in (0, 1)
