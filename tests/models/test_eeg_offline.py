"""The EEG checks made outside the core give what the model card quotes (models/eeg_offline.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.base.driver import Registry
from agent.replay import open_recorded
from models import eeg_offline as eo

T = np.arange(0, 8, 1 / eo.FS)


def _sines(*hz: float) -> np.ndarray:
    """Six channels of equal sines, with noise far below them (a channel's phase its own)."""
    rng = np.random.default_rng(0)
    x = sum(np.sin(2 * np.pi * f * T[:, None] + np.arange(6)) * 20.0 for f in hz)
    return x + rng.normal(scale=0.01, size=(T.size, 6))


def test_a_sine_falls_in_its_own_band():
    alpha, gamma = eo.band_features(_sines(10.0)), eo.band_features(_sines(40.0))
    assert alpha.shape == (len(eo.window_ends(T.size, eo.FS)), 9)
    assert alpha[:, 2] == pytest.approx(1.0, abs=1e-3)  # alpha's share of 1-30 Hz
    assert alpha[:, 8] == pytest.approx(0.0, abs=1e-3)  # gamma's share of 1-45 Hz
    assert gamma[:, 8] == pytest.approx(1.0, abs=1e-3)
    assert eo.gamma_shares(_sines(10.0), eo.FS) == pytest.approx(0.0, abs=1e-3)
    assert eo.gamma_shares(_sines(40.0), eo.FS) == pytest.approx(1.0, abs=1e-3)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=6, max_size=6), st.integers(0, 2**31))
def test_the_log_euclidean_features_are_the_log_of_the_covariance(logs, seed):
    """logm(Q diag(e^a) Q') = Q diag(a) Q': the features are the upper triangle of that."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(6, 6)))
    c = (q * np.exp(logs)) @ q.T
    expected = (q * np.asarray(logs)) @ q.T
    assert eo.log_euclidean(c) == pytest.approx(expected[np.triu_indices(6)], abs=1e-9)


def test_blinks_are_large_slow_swings_at_the_forehead():
    x = np.zeros((T.size, 6))
    for at in (1.0, 4.0, 6.5):  # three blinks: 150-ms bumps of 150 µV
        x[:, :2] += 150.0 * np.exp(-0.5 * ((T - at) / 0.05) ** 2)[:, None]
    assert eo.blinks(x) == 3
    x[:, 2:] += 500.0 * np.sin(2 * np.pi * T)[:, None]  # not at Fp1/Fp2: not a blink
    assert eo.blinks(x) == 3
    assert eo.blinks(x * 0.2) == 0  # 30 µV: below the bar


def test_a_joined_muse_session_plays_as_one_recording(tmp_path: Path):
    path, ends = eo.join_muse("a", tmp_path)
    recorded = open_recorded(path, registry=Registry())
    assert [c for c, _ in ends] == [p.split("-")[0] for p in eo.MUSE_ORDER]
    assert recorded.duration_s == pytest.approx(ends[-1][1], abs=0.01)
    (track,) = recorded.signals  # type: ignore[attr-defined]  # the replay driver's Recorded
    assert track.seq is None or (np.diff(track.seq) == 1).all()  # continuous: no gap between the files


def test_the_screen_gives_the_figures_the_card_quotes():
    tables = eo.eegmat_tables()
    assert "Subject31" in tables and "Subject31" not in eo.scored(tables)  # its rest is shorter than calibration
    figures = {name: round(float(np.mean(list(eo.screen(tables, *eo.SCREENS[name]).values()))), 3)
               for name in ("bands", "bands+gamma", "coupling", "bands+gamma-cap-3", "bands-without-delta")}
    assert figures == {"bands": 0.747, "bands+gamma": 0.816, "coupling": 0.757, "bands+gamma-cap-3": 0.808,
                       "bands-without-delta": 0.756}


def test_eegmat_is_clean_and_a_headband_is_not_as_the_card_says():
    clean = eo.cleanliness()
    assert clean["eegmat_subjects_with_a_blink"] == ["Subject02", "Subject14", "Subject25"]
    assert clean["gamma_share_median_p99"] == {"eegmat": [0.018, 0.163], "muse": [0.047, 0.314]}
    assert clean["muscle_gate_flagged"] == {"eegmat_mean": 0.049, "eegmat_most": 0.283, "muse_relaxed": 0.001,
                                            "muse_neutral": 0.034, "muse_concentrating": 0.034}


def test_the_muscle_gate_flags_a_burst_above_the_channels_floor():
    rng = np.random.default_rng(2)
    power = rng.uniform(1.0, 2.0, size=(60, 2))
    power[45, 0] = 25.0  # over 10 times channel 0's 10th percentile (about 1.1)
    power[50, 1] = 9.0  # under 10 times channel 1's
    flags = eo.muscle_flags(power, least=30)
    assert flags[45, 0] and flags.sum() == 1
    assert not eo.muscle_flags(power, least=60).any()  # too little history to judge


def test_the_muse_check_gives_the_figures_the_card_quotes():
    """The deployed model replayed on the Muse files: a retraining that moves these must move the card's
    Known limits with them."""
    got = eo.muse()
    joined, within = got["joined"], got["within_file"]
    assert joined["neutral"] == {"elevated_or_above": 0.8, "by_subject": {"a": 0.94, "b": 0.93, "c": 0.35, "d": 0.81},
                                 "distressed": 0.38, "gamma_first": 0.15, "gamma_most_over_resting_pct": 391}
    assert joined["concentrating"]["elevated_or_above"] == 0.95 and joined["concentrating"]["gamma_first"] == 0.54
    assert joined["concentrating"]["gamma_most_over_resting_pct"] == 327
    assert within["relaxed"]["elevated_or_above"] == 0.05 and within["relaxed"]["distressed"] == 0.0
    assert within["neutral"] == {"elevated_or_above": 0.64, "by_subject": {"a": 0.82, "b": 0.51, "c": 0.53, "d": 0.64},
                                 "distressed": 0.01, "gamma_first": 0.08, "gamma_most_over_resting_pct": 211}
