"""The GitHub workflows call only the project's own commands, and those exist."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from conftest import ROOT
from pipeline.cli import parser

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ALLOWED_TOOLS = {"echo", "cat", "git"}


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w/.-]*):", text, re.MULTILINE))


def commands(run: str) -> list[list[str]]:
    """Simple commands of a run block (split on newlines, ;, &&, ||, pipes)."""
    run = re.sub(r"\$\{\{[^}]*\}\}", "X", run)
    out = []
    for part in re.split(r"\n|;|&&|\|\||\|", run):
        part = re.sub(r"\s[0-9]?>>?\s*\S+", " ", part).strip()
        words = shlex.split(part) if part else []
        while words and words[0] in ("if", "then", "else", "fi", "!"):
            words = words[1:]
        if words:
            out.append(words)
    return out


def test_there_are_two_workflows():
    assert {p.name for p in WORKFLOWS} == {"check.yml", "refresh.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_commands_exist(path):
    data = yaml.safe_load(path.read_text())
    assert data["jobs"]
    targets = make_targets()
    seen = 0
    for job in data["jobs"].values():
        for step in job["steps"]:
            if "run" not in step:
                assert step["uses"].split("@")[0] in {
                    "actions/checkout",
                    "actions/setup-python",
                    "peter-evans/create-pull-request",
                }
                continue
            for argv in commands(step["run"]):
                tool = argv[0]
                if tool == "make":
                    assert set(argv[1:]) <= targets, argv
                    seen += 1
                elif tool == ".venv/bin/citrix-ports":
                    parser().parse_args(argv[1:])  # exits (fails the test) on a bad option
                    seen += 1
                else:
                    assert tool in ALLOWED_TOOLS, argv
    assert seen >= 3
