"""The movement level: the spread of the acceleration's magnitude, exactly as np.std gives it."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from agent.core.signals.motion import MotionProcessor, _sd

magnitudes = hnp.arrays(np.float64, st.integers(1, 400), elements=st.floats(0.0, 63.0, allow_nan=False))


@given(magnitudes, st.integers(1, 3))
def test_the_spread_is_np_std_bit_for_bit(v: np.ndarray, stride: int) -> None:
    column = np.stack([v, v], axis=1)[::stride, 1:]  # a strided column, as a ring's window gives it
    assert _sd(column) == float(np.std(column))


def test_a_level_asked_twice_at_one_time_changes_when_samples_arrive_in_between() -> None:
    motion = MotionProcessor(32.0)
    t = np.arange(320) / 32.0
    still = np.tile([0.0, 0.0, 1.0], (320, 1))
    motion.push_samples(t, still)
    assert motion.level(10.0) == 0.0 and motion.factor(10.0) == 1.0
    shaken = still.copy()
    shaken[::2, 2] = 1.6  # 0.3 g of spread: walking
    motion.push_samples(t[-1] + 1e-3 + t / 1e3, shaken)  # samples up to the same window end
    assert motion.level(10.0) is not None and motion.level(10.0) > 0.2
    assert motion.factor(10.0) == 0.0
