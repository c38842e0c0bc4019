"""HRV against NeuroKit2 given the same intervals; window minimums; gaps."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest
from signal_recordings import rr_ms

from agent.core.signals.beats import NN, BeatCorrector, BeatFlag
from agent.core.signals.hrv import HrvConfig, HrvProcessor, band_powers, time_domain

SERIES = ["pyhrv_SampleNNISeriesShort_ms.txt", "pyhrv_SampleNNISeriesLong_ms.txt", "hrvanalysis_test_nn_intervals.txt"]


def windows(rr: np.ndarray, width_s: float, step_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
    t = np.cumsum(rr) / 1000.0
    return [
        (t[m], rr[m])
        for s in np.arange(0.0, t[-1] - width_s + 1e-9, step_s)
        if (m := (t > s) & (t <= s + width_s)).sum() > 10
    ]


@pytest.mark.parametrize("name", SERIES)
def test_time_domain_within_1_percent_of_neurokit2(name: str) -> None:
    for t, rr in windows(rr_ms(name), 60.0, 120.0):
        ref = nk.hrv_time({"RRI": rr, "RRI_Time": t})
        mean, sdnn, rmssd, pnn50 = time_domain(rr / 1000.0, np.ones(rr.size, dtype=bool))
        for ours, theirs in [(mean, "MeanNN"), (sdnn, "SDNN"), (rmssd, "RMSSD"), (pnn50, "pNN50")]:
            assert ours == pytest.approx(float(ref[f"HRV_{theirs}"].iloc[0]), rel=0.01, abs=1e-9), theirs


@pytest.mark.parametrize("name", SERIES)
def test_lf_hf_within_10_percent_of_neurokit2(name: str) -> None:
    """Same 5-min windows of artifact-corrected intervals, both resampled at 4 Hz (Kubios' rate)."""
    rr = rr_ms(name) / 1000.0
    c = BeatCorrector()
    nns = [n for t, r in zip(np.cumsum(rr), rr, strict=True) for n in c.push_interval(float(t), float(r))]
    nn_ms = np.array([n.nn_s for n in nns]) * 1000.0
    t_all = np.array([n.t for n in nns])
    checked = 0
    width = min(300.0, float(t_all[-1]))  # the 5-min short-term standard, or the whole short series
    for s in np.arange(0.0, t_all[-1] - width + 1e-9, 150.0):
        m = (t_all > s) & (t_all <= s + width)
        t, nn = t_all[m], nn_ms[m]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = nk.hrv_frequency({"RRI": nn, "RRI_Time": t}, normalize=False, interpolation_rate=4)
        lf, hf = band_powers(t, nn / 1000.0, [(0.04, 0.15), (0.15, 0.40)])
        assert lf == pytest.approx(float(ref["HRV_LF"].iloc[0]), rel=0.10)
        assert hf == pytest.approx(float(ref["HRV_HF"].iloc[0]), rel=0.10)
        checked += 1
    assert checked >= 1


def feed(proc: HrvProcessor, rr: np.ndarray, t0: float = 0.0) -> float:
    t = t0
    out = []
    for r in rr:
        t += r
        out.append(NN(t, float(r), BeatFlag.OK, True))
    proc.push(out)
    return t


def test_bands_wait_for_their_minimum_window() -> None:
    rr = rr_ms("pyhrv_SampleNNISeriesShort_ms.txt") / 1000.0
    proc = HrvProcessor(HrvConfig(spectral_step_s=1.0))
    t_end = feed(proc, rr[:100])  # about 90 s of beats
    f = proc.features(t_end)
    assert f.hf_ms2 is not None and f.lf_ms2 is None and f.lf_hf is None
    t_end = feed(proc, rr[100:], t_end)
    f = proc.features(t_end)
    assert f.lf_ms2 is not None and f.lf_hf == pytest.approx(f.lf_ms2 / f.hf_ms2)
    assert 40 < f.hr_bpm < 100 and f.sdnn_ms > 0


def test_spectrum_never_spans_a_gap() -> None:
    rr = rr_ms("pyhrv_SampleNNISeriesShort_ms.txt") / 1000.0
    proc = HrvProcessor(HrvConfig(spectral_step_s=1.0))
    t_end = feed(proc, rr[:150])
    assert proc.features(t_end).lf_ms2 is not None
    proc.gap()
    t_end = feed(proc, rr[150:200], t_end + 30.0)  # 45 s of beats after a 30 s gap
    f = proc.features(t_end)
    assert f.lf_ms2 is None and f.hf_ms2 is None
    assert f.mean_nn_ms is not None  # time domain only needs coverage
