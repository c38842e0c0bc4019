from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.base.backoff import Backoff


@given(seed=st.integers(0, 10**6), jitter=st.floats(0, 0.9), attempts=st.integers(1, 30))
def test_delays_grow_exponentially_within_jitter_and_cap(seed, jitter, attempts):
    b = Backoff(0.5, 30.0, jitter=jitter, rng=random.Random(seed))
    for k in range(attempts):
        base = min(30.0, 0.5 * 2**k)
        assert base * (1 - jitter) <= b.next_delay() <= base * (1 + jitter)


def test_reset_starts_again_from_the_initial_delay():
    b = Backoff(1.0, 8.0, jitter=0.0)
    assert [b.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    b.reset()
    assert b.next_delay() == 1.0


def test_same_seed_same_delays():
    a, b = (Backoff(1, 60, rng=random.Random(3)) for _ in range(2))
    assert [a.next_delay() for _ in range(6)] == [b.next_delay() for _ in range(6)]


@pytest.mark.parametrize("args", [(0, 1), (2, 1), (1, 2, 1.0)])
def test_invalid_settings_are_refused(args):
    initial, maximum, *jitter = args
    with pytest.raises(ValueError):
        Backoff(initial, maximum, jitter=jitter[0] if jitter else 0.1)
