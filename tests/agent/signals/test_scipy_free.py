"""The numpy replacements for scipy (memory budget) against scipy itself, and no scipy at run time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import signal as sps
from scipy.interpolate import make_interp_spline
from signal_recordings import biosignal, wesad

from agent.core.signals.butterworth import butter_sos
from agent.core.signals.filters import SosFilter, sos_steady_state
from agent.core.signals.prominence import local_maxima, prominences
from agent.core.signals.spline import cubic_interpolate

RATES = (4.0, 16.0, 64.0, 100.0, 128.0, 130.0, 256.0, 1000.0)


@pytest.mark.parametrize("order", range(1, 9))
def test_butterworth_sections_equal_scipys(order: int) -> None:
    for fs in RATES:
        nyq = fs / 2
        designs = [
            ("lowpass", {"high_hz": 0.3 * nyq}),
            ("lowpass", {"high_hz": 0.9 * nyq}),
            ("highpass", {"low_hz": 0.005 * nyq}),
            ("highpass", {"low_hz": 0.5 * nyq}),
            ("bandpass", {"low_hz": 0.05 * nyq, "high_hz": 0.4 * nyq}),
            ("bandpass", {"low_hz": 0.001 * nyq, "high_hz": 0.93 * nyq}),
        ]
        for btype, edges in designs:
            ours = butter_sos(order, fs, **edges)
            wn = [edges[k] for k in ("low_hz", "high_hz") if k in edges]
            ref = sps.butter(order, wn if len(wn) == 2 else wn[0], btype=btype, output="sos", fs=fs)
            assert ours is not None and ours.shape == ref.shape, (btype, edges, fs)
            np.testing.assert_allclose(
                ours, ref, rtol=0, atol=1e-10 * np.abs(ref).max(), err_msg=f"{btype} {edges} {fs}"
            )


def test_steady_state_equals_sosfilt_zi() -> None:
    for sos in (
        butter_sos(4, 100.0, high_hz=3.0),
        butter_sos(2, 16.0, low_hz=0.05),
        butter_sos(3, 256.0, low_hz=1, high_hz=40),
    ):
        assert sos is not None
        np.testing.assert_allclose(sos_steady_state(sos), sps.sosfilt_zi(sos), rtol=1e-9, atol=1e-12)


def test_filter_equals_sosfilt_on_real_recordings() -> None:
    """The EDA chain's two filters on real skin conductance: 100 Hz (biosignal) and 4 Hz (WESAD E4)."""
    eda100 = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)
    eda4 = wesad("S3")["eda"].astype(np.float64)
    cases = [
        (butter_sos(4, 100.0, high_hz=3.0), eda100),
        (butter_sos(2, 16.0, low_hz=0.05), eda100[::6]),
        (butter_sos(2, 4.0, low_hz=0.05), eda4),
    ]
    for sos, x in cases:
        assert sos is not None
        ref, _ = sps.sosfilt(sos, x, zi=sps.sosfilt_zi(sos) * x[0])
        f = SosFilter(sos)
        ours = np.concatenate([f(x[a : a + 16]) for a in range(0, x.shape[0], 16)])
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9 * float(np.abs(x).max()))


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.one_of(hnp.arrays(np.float64, st.integers(0, 60), elements=st.integers(0, 4).map(float)),
                 hnp.arrays(np.float64, st.integers(0, 60), elements=finite)))  # fmt: skip
def test_peaks_and_prominences_equal_find_peaks(x: np.ndarray) -> None:
    ref, props = sps.find_peaks(x, prominence=(None, None))
    peaks = local_maxima(x)
    np.testing.assert_array_equal(peaks, ref)
    prom, left, right = prominences(x, peaks)
    np.testing.assert_array_equal(prom, props["prominences"])
    np.testing.assert_array_equal(left, props["left_bases"])
    np.testing.assert_array_equal(right, props["right_bases"])


@settings(max_examples=100, deadline=None)
@given(st.integers(4, 300), st.integers(0, 2**32 - 1))
def test_spline_equals_make_interp_spline(n: int, seed: int) -> None:
    """Beat times and NN intervals as the HRV spectrum resamples them, grid one step past the end."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.3, 1.6, size=n))
    nn = rng.normal(800.0, 60.0, size=n)
    grid = np.arange(t[0], t[-1] + 0.25, 0.25)
    np.testing.assert_allclose(cubic_interpolate(t, nn, grid), make_interp_spline(t, nn, k=3)(grid), rtol=1e-10)


def test_the_runtime_never_imports_scipy() -> None:
    """The agent's resident memory budget has no room for scipy (~60 MB): check in a fresh interpreter."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import agent.app, agent.core.features, agent.core.signals\n"
        "for m in pkgutil.iter_modules(agent.core.signals.__path__):\n"
        "    importlib.import_module('agent.core.signals.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout
