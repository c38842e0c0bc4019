"""EEGMAT's reader drops the files' padding, every channel held still at a segment's end, and nothing else."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from drivers.replay.formats.eegmat import unpadded

MIN_RUN = 5


@st.composite
def moving(draw: st.DrawFn) -> np.ndarray:
    """Rows that never hold still: channel 0 changes on every row, the others are anything."""
    n, width = draw(st.integers(2, 40)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = rng.integers(-3, 4, size=(n, width)).astype(np.int16)
    rows[:, 0] = np.arange(n) % 7 + 10  # 10..16: never a padding value below
    return rows


def held(value: int, n: int, width: int) -> np.ndarray:
    return np.full((n, width), value, np.int16)


@given(moving(), st.lists(st.integers(MIN_RUN, 3 * MIN_RUN), max_size=3))
def test_held_stretches_at_the_end_are_dropped(rows: np.ndarray, pads: list[int]) -> None:
    width = rows.shape[1]
    padded = np.concatenate([rows, *(held(i, n, width) for i, n in enumerate(pads))])  # each pad its own value
    assert unpadded(padded, MIN_RUN).tolist() == rows.tolist()


@given(moving(), st.integers(1, MIN_RUN - 1), st.integers(MIN_RUN, 3 * MIN_RUN))
def test_a_short_stillness_at_the_end_is_data(rows: np.ndarray, short: int, pad: int) -> None:
    width = rows.shape[1]
    ends_still = np.concatenate([rows, held(0, short, width)])
    assert unpadded(ends_still, MIN_RUN).tolist() == ends_still.tolist()
    # and it is not padding even after a long stillness: only what is held at the very end is dropped
    between = np.concatenate([rows, held(0, pad, width), held(1, short, width)])
    assert unpadded(between, MIN_RUN).tolist() == between.tolist()


def test_a_stretch_held_inside_the_recording_stays() -> None:
    rows = np.concatenate([np.arange(10), np.full(20, 3), np.arange(10)]).astype(np.int16).reshape(-1, 1)
    assert unpadded(rows, MIN_RUN).tolist() == rows.tolist()


@given(st.integers(0, 40), st.integers(1, 4))
def test_a_segment_held_still_throughout_is_kept_whole(n: int, width: int) -> None:
    # a dead recording, for the quality gate to report: dropping it would leave nothing to say it with
    assert unpadded(held(5, n, width), MIN_RUN).shape == (n, width)
