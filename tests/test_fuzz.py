"""A short, seeded fuzzing run of citrix-ports build (``make fuzz`` runs a long one)."""

from __future__ import annotations

import random

from fuzzing import SEEDS, fuzz, mutate


def test_short_fuzz_run_finds_nothing():
    assert fuzz(runs=60, seed=20261126) == []


def test_mutations_change_the_input():
    rng = random.Random(3)
    data = SEEDS[0].read_bytes()
    assert sum(mutate(data, rng) != data for _ in range(50)) >= 45
