"""A short, seeded fuzzing run of citrix-ports build (``make fuzz`` runs a long one)."""

from __future__ import annotations

import pytest

from fuzzing import fuzz


@pytest.mark.slow
def test_short_fuzz_run_finds_nothing():
    assert fuzz(runs=60, seed=20261126) == []
