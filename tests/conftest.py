"""Shared fixtures: the real French snapshot in raw/, read and built once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "raw" / "citrix-communication-ports.txt"


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


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
