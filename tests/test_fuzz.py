"""A short, seeded fuzzing run of citrix-ports build (``make fuzz`` runs a long one)."""

from __future__ import annotations

import pytest

from fuzzing import fuzz, fuzz_cells, fuzz_structural


@pytest.mark.slow
def test_short_fuzz_run_finds_nothing():
    assert fuzz(runs=60, seed=20261126) == []


def collateral(stats: dict) -> dict:
    """The flows of untouched rows rejected, by kind of mutation."""
    return {
        kind: v[0]
        for kind, v in stats.items()
        if kind not in ("runs", "where", "lost", "changed") and v[0]
    }


@pytest.mark.slow
def test_short_structural_run_loses_and_invents_nothing():
    """Separator lines deleted, pipes deleted or added, rows merged or split: every flow
    of the unmutated rows stays, not even rejected (built with the unmutated build as
    ``--previous``, as ``make`` builds a refresh), and each mutated line is read right,
    rejected or warned about (``make fuzz`` runs 300 of these)."""
    stats: dict = {}
    assert fuzz_structural(runs=25, seed=20261128, stats=stats) == []
    assert stats["runs"][0] == 25 and collateral(stats) == {}


@pytest.mark.slow
def test_the_collateral_count_sees_rows_only_history_could_settle():
    """The count can fail: without ``--previous`` a lost pipe leaves a line two readings
    that name different things, and the rows under it are rejected."""
    stats: dict = {}
    assert fuzz_structural(runs=15, seed=20261128, stats=stats, previous=False) == []
    assert collateral(stats)


@pytest.mark.slow
def test_short_structural_run_of_the_english_text_form():
    """The same mutations of a second page, the English one's text form made as the
    fixtures are: the reader's rules are the page's shape, not the French snapshot's."""
    stats: dict = {}
    assert fuzz_structural(runs=10, seed=20261201, page="en", stats=stats) == []
    assert collateral(stats) == {}


@pytest.mark.slow
@pytest.mark.parametrize("page", ["de", "ja"])
def test_short_structural_run_of_an_excerpt_in_another_language(page):
    """German and Japanese excerpts' text forms, damaged the same way: the rules are
    shapes of the page in any language (the fuzzer finds a table by its separator line,
    not by its header's words)."""
    stats: dict = {}
    assert fuzz_structural(runs=6, seed=20261201, page=page, stats=stats) == []
    assert stats["runs"][0] == 6 and collateral(stats) == {}


@pytest.mark.slow
@pytest.mark.parametrize("form, runs, seed", [("html", 20, 9), ("markdown", 12, 8)])
def test_short_cell_damage_run_invents_no_flow(form, runs, seed):
    """The English page as the site serves it (HTML) and as its source writes it
    (Markdown), a cell deleted or written twice, two rows joined, or an HTML rowspan one
    row off: no flow the page does not have, no flow lost without a reject (the defects
    these runs find are a row's Details published as its Port, a wrong Destination passed
    down, a rowspan one row too long swapping Source and Destination); ``make fuzz`` runs
    300 of each."""
    assert fuzz_cells(runs=runs, seed=seed, form=form) == []
