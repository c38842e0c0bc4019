"""R-peaks against NeuroKit2 on real ECG, split invariance, gaps."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signal_recordings import biosignal, match_rate, nn_series, split_points

from agent.base.stream import Modality
from agent.core.signals.cardiac import CardiacProcessor
from agent.core.signals.ecg_peaks import EcgPeakDetector, Polarity


def detect(x: np.ndarray, fs: float, pieces: list[tuple[int, int]]) -> np.ndarray:
    t = np.arange(x.shape[0]) / fs
    det = EcgPeakDetector(fs)
    found: list[float] = []
    for a, b in pieces:
        found += det.process(t[a:b], x[a:b])
    return np.array(found)


def neurokit_peaks(x: np.ndarray, fs: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=fs), sampling_rate=fs)
    return np.asarray(info["ECG_R_Peaks"]) / fs


@pytest.mark.parametrize(("name", "fs"), [("ecg_1000hz.csv", 1000), ("bio_resting_5min_100hz.csv", 100)])
def test_r_peaks_match_neurokit2_within_20_ms(name: str, fs: int) -> None:
    x = biosignal(name)["ECG"].to_numpy(dtype=np.float64)
    ref = neurokit_peaks(x, fs)
    found = detect(x, fs, [(a, min(a + fs, x.shape[0])) for a in range(0, x.shape[0], fs)])
    # the stream answers ~1 s late: compare up to 1.5 s before the end of the recording
    end = x.shape[0] / fs - 1.5
    rate, extra = match_rate(ref[ref < end], found[found < end], 0.020)
    assert rate >= 0.99, f"{name}: {rate:.3%} of NeuroKit2's R peaks matched within 20 ms"
    assert extra <= 0.01 * ref.size


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3000), max_size=10))
def test_same_beats_however_the_stream_is_split(cuts: list[int]) -> None:
    x = biosignal("bio_resting_5min_100hz.csv")["ECG"].to_numpy(dtype=np.float64)[:3000]
    whole = nn_series(Modality.ECG, x, 100.0, [(0, 3000)])
    assert whole.shape[0] > 20
    np.testing.assert_array_equal(nn_series(Modality.ECG, x, 100.0, split_points(3000, cuts)), whole)


def test_cardiac_processor_breaks_beats_at_a_gap() -> None:
    x = biosignal("bio_resting_5min_100hz.csv")["ECG"].to_numpy(dtype=np.float64)[:12000]
    t = np.arange(x.shape[0]) / 100.0
    proc = CardiacProcessor(Modality.ECG, 100.0)
    proc.push_samples(t[:6000], x[:6000], seq=0)
    # 20 s are lost: the stream resumes at seq 8000
    proc.push_samples(t[8000:], x[8000:], seq=8000)
    tt, v = proc.hrv._ring.window(-1.0, 1e9)
    nn = v[:, 0]
    assert np.all((nn > 0.3) & (nn < 2.0)), "an interval spanned the gap"
    assert not np.any((tt > 60.0) & (tt < 80.0))
    first_after = int(np.searchsorted(tt, 80.0))
    assert v[first_after, 1] == 0.0, "the first NN after a gap must not be continuous"


@pytest.mark.parametrize(("name", "fs"), [("ecg_1000hz.csv", 1000), ("bio_resting_5min_100hz.csv", 100)])
def test_an_ecg_turned_over_gives_the_upright_beats_once_its_polarity_is_known(name: str, fs: int) -> None:
    """A strap worn upside down: the same R peaks, not the small waves beside the inverted ones."""
    x = biosignal(name)["ECG"].to_numpy(dtype=np.float64)
    ref = neurokit_peaks(x, fs)
    found = detect(-x, fs, [(a, min(a + fs, x.shape[0])) for a in range(0, x.shape[0], fs)])
    end = x.shape[0] / fs - 1.5
    settled = 30.0  # Polarity's first QRS blocks, and then its average's turn
    rate, extra = match_rate(ref[(ref > settled) & (ref < end)], found[(found > settled) & (found < end)], 0.020)
    assert rate >= 0.99, f"{name} turned over: {rate:.3%} of NeuroKit2's R peaks matched within 20 ms"
    assert extra <= 0.01 * ref.size


def test_polarity_turns_only_for_a_clearly_larger_side_and_only_once_settled() -> None:
    block = np.array([0.0, 1.0, -0.3])  # an upright complex
    about_even = Polarity()
    for _ in range(50):
        about_even.update(np.array([1.0, -1.1]))  # an S wave as deep as the R is tall: no hopping
    assert about_even.sign == 1.0
    inverted = Polarity(settle=20)
    for i in range(19):
        inverted.update(-block)
        assert inverted.sign == 1.0, f"turned after {i + 1} blocks, before settling"
    inverted.update(np.array([]))  # a block without QRS samples says nothing
    inverted.update(-block)
    assert inverted.sign == -1.0
    for _ in range(50):
        inverted.update(block)  # the strap turned back
    assert inverted.sign == 1.0
