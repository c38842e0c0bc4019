"""Artifact and ectopic-beat correction: golden cases and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from signal_recordings import rr_ms

from agent.core.signals.beats import BeatCorrector, BeatFlag


def run(rr: list[float]) -> list[tuple[float, BeatFlag, bool]]:
    c = BeatCorrector()
    t = 0.0
    out = []
    for r in rr:
        t += r
        out += [(round(n.nn_s, 6), n.flag, n.continuous) for n in c.push_interval(t, r)]
    return out


STEADY = [0.8] * 6


def test_normal_beats_pass_unchanged() -> None:
    assert [x[0] for x in run(STEADY + [0.82, 0.78])] == STEADY + [0.82, 0.78]


def test_a_missed_beat_is_split() -> None:
    out = run(STEADY + [1.6, 0.8])
    assert out[6:9] == [(0.8, BeatFlag.MISSED, True), (0.8, BeatFlag.MISSED, True), (0.8, BeatFlag.OK, True)]


def test_an_extra_beat_is_merged() -> None:
    out = run(STEADY + [0.3, 0.5, 0.8])
    assert out[6:8] == [(0.8, BeatFlag.EXTRA, True), (0.8, BeatFlag.OK, True)]


def test_an_ectopic_short_long_pair_is_evened_out() -> None:
    out = run(STEADY + [0.5, 1.1, 0.8])
    assert out[6:9] == [(0.8, BeatFlag.ECTOPIC, True), (0.8, BeatFlag.ECTOPIC, True), (0.8, BeatFlag.OK, True)]


def test_an_artifact_is_dropped_and_breaks_continuity() -> None:
    out = run(STEADY + [1.25, 0.8, 0.8])
    assert [x[0] for x in out[6:]] == [0.8, 0.8]
    assert out[6][2] is False and out[7][2] is True


def test_real_nn_series_are_barely_touched() -> None:
    rr = rr_ms("hrvanalysis_test_nn_intervals.txt") / 1000.0
    c = BeatCorrector()
    for t, r in zip(np.cumsum(rr), rr, strict=True):
        c.push_interval(float(t), float(r))
    assert c.counts[BeatFlag.OK] >= 0.99 * rr.size


@given(st.lists(st.floats(-5.0, 5.0) | st.sampled_from([np.nan, np.inf, -np.inf]), max_size=60))
def test_output_is_always_physiological_and_finite(rr: list[float]) -> None:
    c = BeatCorrector()
    t = 0.0
    for r in rr:
        t += abs(r) if np.isfinite(r) else 1.0
        for n in c.push_interval(t, r):
            assert np.isfinite(n.nn_s) and np.isfinite(n.t)
            assert c.config.min_rr_s * 0.5 <= n.nn_s <= c.config.max_rr_s * 1.5
