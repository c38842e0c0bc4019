"""Ring buffers, filters and the Welch estimate: exact against plain numpy/scipy, split-invariant."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps
from signal_recordings import split_points

from agent.base.events import Gap
from agent.core.signals.butterworth import butter_sos
from agent.core.signals.filters import Delay, SosFilter, causal_ma, moving_average
from agent.core.signals.ring import Ring, TimedRing, WindowCache
from agent.core.signals.segments import BlockedStream, Segmenter
from agent.core.signals.spectral import band_integral, welch_psd


@given(st.lists(st.lists(st.floats(-1e6, 1e6), max_size=12), max_size=20), st.integers(1, 16))
def test_ring_holds_the_newest_rows_in_order(pushes: list[list[float]], capacity: int) -> None:
    ring = Ring(capacity)
    everything: list[float] = []
    for p in pushes:
        ring.push(np.array(p))
        everything.extend(p)
    assert ring.total == len(everything)
    assert ring.last()[:, 0].tolist() == everything[-capacity:]
    if everything:
        k = min(len(everything), capacity)
        assert ring.span(ring.total - k, ring.total)[:, 0].tolist() == everything[-k:]


def test_ring_views_are_read_only_and_show_what_was_pushed_when_taken() -> None:
    ring = Ring(4)
    ring.push(np.array([1.0, 2.0]))
    view = ring.last()
    assert not view.flags.writeable
    try:
        view[0, 0] = 9.0
    except ValueError:
        pass
    else:
        raise AssertionError("a ring's view took a write")
    ring.push(np.array([3.0]))
    assert view[:, 0].tolist() == [1.0, 2.0] and ring.last()[:, 0].tolist() == [1.0, 2.0, 3.0]


def test_timed_ring_window_and_stability() -> None:
    r = TimedRing(16)
    r.push(np.arange(10.0), np.arange(10.0) * 2)
    t, v = r.window(2.0, 5.0)
    assert t.tolist() == [3.0, 4.0, 5.0] and v[:, 0].tolist() == [6.0, 8.0, 10.0]
    # (2, 5] keeps the same rows until the window end reaches 6 (row 6 enters) or 6 (row 3 leaves)
    assert r.stable_until(2.0, 5.0) == 6.0
    cache = WindowCache()
    cache.store(r.version, 5.0, 6.0, "x")
    assert cache.hit(r.version, 5.5) and not cache.hit(r.version, 6.0)
    r.push([10.0], [0.0])
    assert not cache.hit(r.version, 5.5)


def test_causal_ma_is_a_boxcar() -> None:
    x = np.random.default_rng(1).normal(size=200)
    np.testing.assert_allclose(causal_ma(x, 7), np.convolve(x, np.ones(7) / 7, "valid"), rtol=0, atol=1e-12)


def test_welch_matches_scipy() -> None:
    x = np.random.default_rng(2).normal(size=1001)
    f_ref, p_ref = sps.welch(x, fs=4.0, window="hann", nperseg=500, nfft=1000, detrend=False)
    f, p = welch_psd(x, 4.0, 500, 1000)
    np.testing.assert_array_equal(f, f_ref)
    np.testing.assert_allclose(p, p_ref, rtol=1e-12, atol=0)
    lo_hi = (f_ref >= 0.15) & (f_ref < 0.4)
    assert band_integral(f, p, 0.15, 0.4) == np.trapezoid(p[lo_hi], f_ref[lo_hi])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=8))
def test_stateful_filters_are_split_invariant(cuts: list[int]) -> None:
    x = np.random.default_rng(3).normal(size=400).cumsum()
    pieces = split_points(x.shape[0], cuts)

    def run(make):
        f = make()
        return np.concatenate([f(x[a:b]) for a, b in pieces])

    for make in (
        lambda: SosFilter(butter_sos(2, 16.0, low_hz=0.05)),
        lambda: moving_average(9),
        lambda: Delay(5),
    ):
        whole = make()(x)
        np.testing.assert_array_equal(run(make), whole)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=8))
def test_blocks_are_the_same_however_chunks_arrive(cuts: list[int]) -> None:
    t = np.arange(300) / 10.0
    x = np.arange(300, dtype=np.float64)

    def blocks(pieces):
        b = BlockedStream(10.0, 1.0)
        out = []
        for a, e in pieces:
            out += [(r.new_segment, r.x[:, 0].tolist()) for r in b.feed(t[a:e], x[a:e], a)]
        return out

    assert blocks(split_points(300, cuts)) == blocks([(0, 300)])


def test_segmenter_bridges_short_gaps_and_breaks_long_ones() -> None:
    seg = Segmenter(10.0, bridge_s=0.3)
    assert seg.feed([0.0, 0.1], [1.0, 2.0], seq=0)[0].new_segment
    runs = seg.feed([0.4, 0.5], [5.0, 6.0], seq=4)  # 2 samples missing: bridged linearly
    assert [r.new_segment for r in runs] == [False, False]
    np.testing.assert_allclose(runs[0].x[:, 0], [3.0, 4.0])
    runs = seg.feed([2.0], [1.0], seq=20)  # 14 missing: a new segment, nothing invented
    assert len(runs) == 1 and runs[0].new_segment
    seg.gap(Gap("d", "s", 2.0, 3.0, None, "reconnect"))
    assert seg.feed([3.1], [1.0], seq=21)[0].new_segment
    runs = seg.feed([3.2, 3.3], [np.nan, 2.0], seq=22)
    assert runs[0].x[0, 0] == 1.0 and seg.nonfinite == 1
