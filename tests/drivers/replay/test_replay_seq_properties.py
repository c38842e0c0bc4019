"""Property tests: gaps in a recording's own timing become seq jumps of the right size."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from agent.base.stream import Modality, StreamSpec
from drivers.replay.formats.e4 import rr_seq
from drivers.replay.recording import Track, seq_from_times


@st.composite
def kept_indices(draw: st.DrawFn, max_n: int = 400) -> np.ndarray:
    """Sorted sample indices of a stream with some runs of samples missing."""
    n = draw(st.integers(2, max_n))
    keep = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    keep[0] = keep[-1] = True
    return np.flatnonzero(keep)


@given(
    kept=kept_indices(),
    rate=st.sampled_from([4.0, 64.0, 100.0, 256.0, 500.0]),
    t0=st.floats(0, 2e9),  # unix-time stamps keep enough float64 precision
    jitter=st.floats(0, 0.2),
    seed=st.integers(0, 2**32 - 1),
)
def test_seq_from_times_recovers_the_sample_indices(
    kept: np.ndarray, rate: float, t0: float, jitter: float, seed: int
) -> None:
    # Stamps as a real device writes them: nominal time plus jitter under a
    # fifth of a period (Muse files round to 1 ms, about a quarter of a period).
    noise = np.random.default_rng(seed).uniform(-jitter, jitter, kept.shape[0]) / rate
    times = t0 + kept / rate + noise
    seq = seq_from_times(times, rate)
    expected = kept - kept[0]
    if (np.diff(kept) == 1).all():
        assert seq is None
    else:
        assert seq is not None and seq.tolist() == expected.tolist()


@given(
    kept=kept_indices(max_n=200),
    mean_rr=st.floats(0.35, 1.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_rr_seq_counts_missing_beats_at_a_steady_heart_rate(kept: np.ndarray, mean_rr: float, seed: int) -> None:
    # Intervals within ±4 % of each other: the untiled span of k missing beats
    # then rounds to k at any run length this strategy draws.
    n = int(kept[-1]) + 1
    rr = mean_rr * np.random.default_rng(seed).uniform(0.96, 1.04, n)
    beats = np.cumsum(rr)
    seq = rr_seq(beats[kept], rr[kept])
    runs = np.diff(kept)
    if (runs == 1).all():
        assert seq is None
    elif runs.max() <= 5:
        assert seq is not None and seq.tolist() == (kept - kept[0]).tolist()
    else:  # long runs: the estimate may be off by one, but a gap is always a jump
        assert seq is not None and ((np.diff(seq) >= 2) == (runs >= 2)).all()


@given(
    rate=st.sampled_from([1.0, 4.0, 32.0, 64.0, 100.0, 256.0, 500.0, 1000.0]),
    start=st.floats(0, 20).map(lambda s: round(s, 3)),
    n=st.integers(1, 3000),
    probe=st.floats(-5, 40),
)
def test_regular_track_index_at_agrees_with_its_offsets(rate: float, start: float, n: int, probe: float) -> None:
    track = Track(StreamSpec("s", Modality.OTHER, ("v",), "a.u.", rate), np.zeros(n, np.float32), start_s=start)
    i = track.index_at(probe)
    offsets = track.offsets(0, n)
    # every sample before i lies before the probe (up to a millionth of a sample), none after
    assert 0 <= i <= n
    assert (offsets[:i] < probe + 1e-6 / rate).all()
    assert (offsets[i:] >= probe - 1e-6 / rate).all()
