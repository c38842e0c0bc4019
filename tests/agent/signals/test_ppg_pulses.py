"""PPG pulses against NeuroKit2 on real PPG; split invariance; a 64 Hz wrist recording."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signal_recordings import biosignal, match_rate, nn_series, split_points, wesad

from agent.base.stream import Modality
from agent.core.signals.beats import BeatCorrector
from agent.core.signals.ppg_pulses import PpgPulseDetector


def detect(x: np.ndarray, fs: float, pieces: list[tuple[int, int]]) -> np.ndarray:
    t = np.arange(x.shape[0]) / fs
    det = PpgPulseDetector(fs)
    out: list[float] = []
    for a, b in pieces:
        out += det.process(t[a:b], x[a:b])
    return np.array(out)


def test_pulses_match_neurokit2_within_20_ms() -> None:
    x = biosignal("bio_resting_5min_100hz.csv")["PPG"].to_numpy(dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.asarray(nk.ppg_findpeaks(nk.ppg_clean(x, sampling_rate=100), sampling_rate=100)["PPG_Peaks"]) / 100
    found = detect(x, 100.0, [(a, a + 100) for a in range(0, x.shape[0], 100)])
    end = x.shape[0] / 100 - 2.0
    rate, extra = match_rate(ref[ref < end], found[found < end], 0.020)
    assert rate >= 0.99 and extra <= 0.01 * ref.size


def test_wrist_ppg_gives_plausible_intervals() -> None:
    bvp = wesad("S3")["bvp_64"][: 64 * 300].astype(np.float64)  # 5 min of E4 baseline
    beats = detect(bvp, 64.0, [(a, a + 64) for a in range(0, bvp.shape[0], 64)])
    corrector = BeatCorrector()
    nn = [n.nn_s for b in beats for n in corrector.push_beat(float(b))]
    assert len(nn) > 200
    assert 0.5 < float(np.median(nn)) < 1.2


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3000), max_size=10))
def test_same_pulses_however_the_stream_is_split(cuts: list[int]) -> None:
    x = biosignal("bio_resting_5min_100hz.csv")["PPG"].to_numpy(dtype=np.float64)[:3000]
    whole = nn_series(Modality.PPG, x, 100.0, [(0, 3000)])
    assert whole.shape[0] > 20
    np.testing.assert_array_equal(nn_series(Modality.PPG, x, 100.0, split_points(3000, cuts)), whole)
