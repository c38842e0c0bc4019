"""Properties that hold for any seed, time or split: checked against brute-force rules."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.base.clock import Clock
from drivers.simulated.cardiac import CardiacModel
from drivers.simulated.device import SampledDevice, kept_runs
from drivers.simulated.faults import FaultSchedule, Window
from drivers.simulated.options import FaultKind
from drivers.simulated.scenario import Phase, Scenario

from .helpers import make

FAST = settings(max_examples=30, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@FAST
@given(
    kind=st.sampled_from(["ecg", "gsr", "eeg"]),
    seed=seeds,
    start=st.integers(min_value=0, max_value=200_000),
    cuts=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=4),
)
def test_samples_do_not_depend_on_how_they_are_asked_for(kind: str, seed: int, start: int, cuts: list[int]) -> None:
    whole_device = make(kind, Clock(), seed=seed)
    split_device = make(kind, Clock(), seed=seed)
    assert isinstance(whole_device, SampledDevice) and isinstance(split_device, SampledDevice)
    whole = whole_device.render(start, sum(cuts))
    offsets = start + np.concatenate([[0], np.cumsum(cuts)[:-1]])
    # Ask for the pieces last first: the blocks are rendered in a different order than for the whole.
    parts = {int(k): split_device.render(int(k), n) for k, n in reversed(list(zip(offsets, cuts, strict=True)))}
    assert np.array_equal(np.concatenate([parts[int(k)] for k in offsets]), whole)


@FAST
@given(seed=seeds, s0=st.floats(0.0, 3000.0), d1=st.floats(0.0, 200.0), d2=st.floats(0.0, 200.0))
def test_beats_are_one_sequence_however_the_time_is_cut(seed: int, s0: float, d1: float, d2: float) -> None:
    scenario = Scenario(seed, 120.0, 90.0, 90.0)
    s1, s2 = s0 + d1, s0 + d1 + d2
    i_a, t_a = CardiacModel(scenario).beats(s0, s1)
    late = CardiacModel(scenario)
    late.beats(s2, s2 + 1.0)  # this one integrates past the range first
    i_b, t_b = late.beats(s1, s2)
    i_w, t_w = CardiacModel(scenario).beats(s0, s2)
    assert np.array_equal(np.concatenate([i_a, i_b]), i_w)
    assert np.array_equal(np.concatenate([t_a, t_b]), t_w)
    assert np.all(np.diff(i_w) == 1)
    rr = np.diff(t_w)
    assert np.all((rr > 0.45) & (rr < 1.3))  # 46-133 bpm: between deep rest and this stressor's peak


@FAST
@given(
    seed=seeds,
    durations=st.tuples(st.floats(1.0, 500.0), st.floats(1.0, 500.0), st.floats(1.0, 500.0)),
    s=st.floats(0.0, 10_000.0),
    eps=st.floats(0.0, 1.0),
)
def test_arousal_is_bounded_continuous_and_phased(
    seed: int, durations: tuple[float, float, float], s: float, eps: float
) -> None:
    scenario = Scenario(seed, *durations)
    a, b = scenario.arousal([s, s + eps])
    assert 0.0 <= a <= 1.0 and 0.0 <= b <= 1.0
    assert abs(b - a) <= 0.08 * eps + 1e-9  # the steepest rise is (peak - rest) / 12 s
    u = s % scenario.cycle_s
    expected = (
        Phase.BASELINE if u < durations[0] else Phase.STRESSOR if u < durations[0] + durations[1] else Phase.RECOVERY
    )
    assert scenario.phase(s) is expected
    if expected is Phase.BASELINE and s < durations[0]:
        assert a == 0.1  # the very first baseline is pure rest


windows = st.lists(
    st.builds(
        lambda kind, start, length: Window(kind, start, start + length),
        st.sampled_from(list(FaultKind)),
        st.floats(0.0, 100.0),
        st.floats(0.01, 20.0),
    ),
    max_size=5,
)


@FAST
@given(
    explicit=windows,
    periodic=st.none() | st.tuples(st.floats(1.0, 30.0), st.floats(0.05, 0.95)),
    kind=st.sampled_from(list(FaultKind)),
    times=st.lists(st.floats(0.0, 150.0), min_size=1, max_size=50).map(sorted),
)
def test_fault_schedule_matches_its_windows(
    explicit: list[Window], periodic: tuple[float, float] | None, kind: FaultKind, times: list[float]
) -> None:
    every, share = periodic if periodic else (None, 0.0)
    duration = every * share if every else 0.0
    schedule = FaultSchedule(explicit, every, duration)
    all_windows = [w for w in explicit if w.kind is kind]
    if every is not None and kind is FaultKind.DISCONNECT:
        all_windows += [Window(kind, n * every, n * every + duration) for n in range(1, math.ceil(200.0 / every) + 1)]

    def inside(s: float) -> bool:
        return any(w.start <= s < w.end for w in all_windows)

    s = np.array(times)
    mask = schedule.mask(kind, s)
    expected = np.array([inside(x) for x in times])
    assert np.array_equal(mask if mask is not None else np.zeros(s.size, bool), expected)
    for x in times:
        assert (schedule.active(kind, x) is not None) == inside(x)
        nxt = schedule.next_start(kind, x)
        starts = [w.start for w in all_windows if w.start >= x]
        assert nxt == min(starts, default=math.inf)


@given(dropped=st.lists(st.booleans(), max_size=60))
def test_kept_runs_cover_exactly_what_was_kept(dropped: list[bool]) -> None:
    runs = kept_runs(np.array(dropped, dtype=bool))
    covered = [i for a, b in runs for i in range(a, b)]
    assert covered == [i for i, d in enumerate(dropped) if not d]
    assert all(b < c for (_, b), (c, _) in itertools.pairwise(runs))  # maximal runs: a gap between each
