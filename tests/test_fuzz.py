"""A short, seeded fuzzing run of citrix-ports build (``make fuzz`` runs a long one)."""

from __future__ import annotations

import pytest

from fuzzing import fuzz, fuzz_structural


@pytest.mark.slow
def test_short_fuzz_run_finds_nothing():
    assert fuzz(runs=60, seed=20261126) == []


@pytest.mark.slow
def test_short_structural_run_loses_and_invents_nothing():
    """Separator lines deleted, pipes deleted or added, rows merged or split: every flow
    of the unmutated lines stays, each mutated line is read right, rejected or warned
    about (``make fuzz`` runs 300 of these)."""
    assert fuzz_structural(runs=25, seed=20261128) == []


@pytest.mark.slow
def test_short_structural_run_of_the_english_text_form():
    """The same mutations of a second page, the English one's text form made as the
    fixtures are: the reader's rules are the page's shape, not the French snapshot's."""
    assert fuzz_structural(runs=10, seed=20261201, page="en") == []
