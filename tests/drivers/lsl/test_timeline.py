"""Sequence numbers from LSL timestamps: the count shows the samples that never came."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from agent.base.clock import Clock
from drivers.lsl.timeline import FUTURE_S, Timeline, plausible, to_agent_time

RATE = 256.0
JUMP_S = 10 / RATE


def grid(indices: np.ndarray, t0: float = 1000.0) -> np.ndarray:
    return t0 + indices / RATE


def split(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    edges = sorted({0, n, *(c for c in cuts if 0 < c < n)})
    return list(itertools.pairwise(edges))


def seqs(tl: Timeline, *runs: np.ndarray) -> list[int]:
    """The seq of each pull, for pulls that are one run each."""
    out = []
    for run in runs:
        placed = tl.place(run)
        assert len(placed) == 1
        out.append(placed[0][2])
    return out


def test_contiguous_chunks_count_on():
    tl = Timeline(RATE, jump_s=JUMP_S)
    assert seqs(tl, *(grid(np.arange(a, b)) for a, b in [(0, 12), (12, 24), (24, 25)])) == [0, 12, 24]
    assert (tl.next_seq, tl.gaps) == (25, 0)


def test_a_jump_in_time_skips_the_samples_the_rate_says_were_missed():
    tl = Timeline(RATE, jump_s=JUMP_S)
    assert seqs(tl, grid(np.arange(0, 12)), grid(np.arange(112, 124))) == [0, 112]
    assert (tl.gaps, tl.missing) == (1, 100)


def test_a_jump_inside_one_pull_cuts_it_in_two():
    tl = Timeline(RATE, jump_s=JUMP_S)
    assert tl.place(grid(np.r_[np.arange(0, 5), np.arange(40, 47)])) == [(0, 5, 0), (5, 12, 40)]


def test_a_small_wobble_is_not_a_gap():
    tl = Timeline(RATE, jump_s=JUMP_S)
    assert seqs(tl, grid(np.arange(0, 12)), grid(np.arange(12, 24)) + 0.003) == [0, 12]


def test_a_reopened_stream_always_shows_a_gap_even_without_a_time_jump():
    tl = Timeline(RATE, jump_s=JUMP_S)
    tl.place(grid(np.arange(0, 12)))
    tl.mark_broken()
    assert seqs(tl, grid(np.arange(12, 24))) == [13]  # at least one, so the gap is visible
    irregular = Timeline(None, jump_s=0.0)
    assert seqs(irregular, np.array([1.0, 7.0]), np.array([60.0])) == [0, 2]  # irregular streams pause
    irregular.mark_broken()
    assert seqs(irregular, np.array([61.0])) == [4]


@given(
    n=st.integers(20, 400),
    hole=st.tuples(st.integers(0, 400), st.sampled_from([0, 11, 12, 50, 300])),
    cuts=st.lists(st.integers(1, 400), max_size=30),
)
def test_seq_is_the_true_sample_index_however_the_stream_is_chunked(n, hole, cuts):
    """Known-correct rule: with samples [a, a+m) never delivered, every sample's seq is its
    index at the outlet (counted from the first one received), however the stream is cut
    into pulls, as long as the hole is longer than the jump threshold (10 samples here)."""
    start, m = min(hole[0], n - 1), hole[1]
    delivered = np.concatenate([np.arange(0, start), np.arange(start + m, n + m)])
    tl = Timeline(RATE, jump_s=JUMP_S)
    got = np.full(delivered.size, -1)
    for a, b in split(delivered.size, cuts):
        for i, j, seq in tl.place(grid(delivered[a:b])):
            got[a + i : a + j] = seq + np.arange(j - i)
    seen_hole = m > 10 and start > 0
    expected = delivered - delivered[0] if seen_hole or start == 0 else np.arange(delivered.size)
    np.testing.assert_array_equal(got, expected)
    assert (tl.gaps, tl.missing) == ((1, m) if seen_hole else (0, 0))


def test_lsl_time_maps_exactly_onto_the_agent_clock_at_any_speed():
    fast = Clock(speed=4.0)
    lsl_t = np.array([99.0, 99.5, 100.0])
    t = to_agent_time(lsl_t, lsl_now=100.0, agent_now=500.0, clock=fast)
    np.testing.assert_allclose(t, [496.0, 498.0, 500.0])  # 1 real second ago is 4 agent seconds ago


def test_a_stamp_older_than_the_buffer_or_ahead_of_now_is_no_samples():
    now = 19198.0
    stamps = np.array([0.031, now - 15.1, now - 14.9, now - 0.01, now, now + 0.9, now + 1.1])
    assert plausible(stamps, lsl_now=now, max_age_s=15.0).tolist() == [False, False, True, True, True, True, False]


@given(st.floats(0, 1e6), st.floats(0.1, 400), st.floats(-0.99, 0.99))  # not on the edge, where rounding decides
def test_a_sample_younger_than_the_buffer_is_plausible_whenever_it_was_pulled(now, max_age_s, share):
    age = max_age_s * share if share >= 0 else FUTURE_S * share  # in the buffer, or ahead by less than FUTURE_S
    assert plausible(np.array([now - age]), lsl_now=now, max_age_s=max_age_s).all()
