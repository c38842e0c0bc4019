"""EEG: Welch band powers against scipy on real Muse data, artifacts, asymmetry, split invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import welch
from signal_recordings import muse, split_points

from agent.core.signals.eeg import BAND_NAMES, EegConfig, EegProcessor

FS = 256.0


def run(x: np.ndarray, channels: tuple[str, ...], pieces: list[tuple[int, int]]) -> EegProcessor:
    t = np.arange(x.shape[0]) / FS
    # every test here fits its data in one window, where a channel counts with any clean segment
    p = EegProcessor(FS, channels, EegConfig(window_s=60.0, clean_share=0.01))
    for a, b in pieces:
        p.push_samples(t[a:b], x[a:b], seq=a)
    return p


def chunks12(n: int) -> list[tuple[int, int]]:  # Muse sends 12 samples per chunk
    return [(a, min(a + 12, n)) for a in range(0, n, 12)]


def test_band_powers_equal_scipy_welch() -> None:
    channels, x = muse()
    x = x[: 30 * 256]
    p = run(x, channels, chunks12(x.shape[0]))
    f = p.features(30.0)
    assert f.clean_channels == 4 and f.absolute_uv2 is not None
    freq, psd = welch(x, fs=FS, window="hann", nperseg=512, noverlap=256, detrend="constant", axis=0)
    for j, (lo, hi) in enumerate(EegConfig().bands):
        m = (freq >= lo) & (freq < hi)
        ref = np.trapezoid(psd[m], freq[m], axis=0)
        np.testing.assert_allclose(f.absolute_uv2[:, j], ref, rtol=1e-9)
    assert sum(f.relative.values()) == pytest.approx(1.0, abs=1e-9)
    assert f.faa == pytest.approx(np.log(f.absolute_uv2[2, 2]) - np.log(f.absolute_uv2[1, 2]))


def test_asymmetry_flips_when_sides_swap() -> None:
    channels, x = muse()
    x = x[: 20 * 256]
    a = run(x, channels, chunks12(x.shape[0])).features(20.0).faa
    b = run(x[:, [0, 2, 1, 3]], channels, chunks12(x.shape[0])).features(20.0).faa
    assert a is not None and b == pytest.approx(-a)


def test_regional_shares_are_the_sites_own_relative_powers() -> None:
    """Frontal theta and alpha from the Fp/AF/F sites, rear alpha from T/TP/P/O, on real Muse data;
    each a share of the site's theta, alpha and beta power (4-30 Hz), which blinks and muscle do not reach."""
    channels, x = muse()  # TP9, AF7, AF8, TP10
    x = x[: 30 * 256]
    f = run(x, channels, chunks12(x.shape[0])).features(30.0)
    assert f.absolute_uv2 is not None
    theta, alpha, beta = BAND_NAMES.index("theta"), BAND_NAMES.index("alpha"), BAND_NAMES.index("beta")
    share = f.absolute_uv2 / f.absolute_uv2[:, theta : beta + 1].sum(axis=1, keepdims=True)
    assert f.theta_frontal == pytest.approx(share[[1, 2], theta].mean(), rel=1e-9)
    assert f.alpha_frontal == pytest.approx(share[[1, 2], alpha].mean(), rel=1e-9)
    assert f.alpha_rear == pytest.approx(share[[0, 3], alpha].mean(), rel=1e-9)


def test_a_region_without_a_channel_has_no_share() -> None:
    channels, x = muse()
    x = x[: 20 * 256, [1, 2]]  # the frontal pair alone
    f = run(x, ("AF7", "AF8"), chunks12(x.shape[0])).features(20.0)
    assert f.theta_frontal is not None and f.alpha_frontal is not None and f.alpha_rear is None


@pytest.mark.parametrize("kind", ["flat", "railed", "blink", "burst"])
def test_artifacts_are_excluded_and_lower_quality(kind: str) -> None:
    channels, x = muse()
    x = x[: 40 * 256].copy()
    clean = run(x, channels, chunks12(x.shape[0]))
    bad = x.copy()
    seg = slice(20 * 256, 30 * 256)
    if kind == "flat":
        bad[seg, 1] = bad[seg.start, 1]
    elif kind == "railed":
        hi = np.percentile(bad[seg, 1], 70)
        bad[seg, 1] = np.minimum(bad[seg, 1], hi)
    elif kind == "blink":
        for start in range(seg.start, seg.stop, 256):  # a 150 µV, 0.3 s deflection on both frontal sites each second
            bump = 150.0 * np.hanning(77)
            bad[start : start + 77, 1] += bump
            bad[start : start + 77, 2] += bump
    else:
        bad[seg, 3] += np.random.default_rng(5).normal(0, 200.0, seg.stop - seg.start)
    dirty = run(bad, channels, chunks12(bad.shape[0]))
    q_clean, q_dirty = clean.report(30.0), dirty.report(30.0)
    assert q_dirty.index < q_clean.index
    expected = {"flat": "flatline", "railed": "clipping", "blink": "noise", "burst": "noise"}[kind]
    assert expected in q_dirty.reasons
    # the features come from the clean segments: close to the clean recording's
    fc, fd = clean.features(40.0), dirty.features(40.0)
    for band in BAND_NAMES:
        assert fd.relative[band] == pytest.approx(fc.relative[band], abs=0.05)


def blinked(x: np.ndarray, at_s: float, channel: int) -> np.ndarray:
    """``x`` with one 150 µV, 0.3 s blink on ``channel`` at ``at_s``."""
    out = x.copy()
    start = int(at_s * FS)
    out[start : start + 77, channel] += 150.0 * np.hanning(77)
    return out


def test_one_blink_keeps_its_channel_out_until_the_window_has_passed() -> None:
    """By default a channel counts only when every segment of its window is clean: the eye movements
    around a flagged blink are rarely flagged themselves. With ``clean_share`` 0.5, half will do."""
    channels, x = muse()
    x = x[: 40 * 256]
    cfg = EegConfig()
    t = np.arange(x.shape[0]) / FS
    soon, later = 22.0, 20.3 + cfg.segment_s + cfg.window_s + cfg.hop_s  # after the blink; once it has left

    def features(data: np.ndarray, config: EegConfig, at: float):
        p = EegProcessor(FS, channels, config)
        for a, b in chunks12(data.shape[0]):
            p.push_samples(t[a:b], data[a:b], seq=a)
            if t[b - 1] >= at:
                return p.features(at)
        raise AssertionError("recording too short")

    assert features(x, cfg, soon).clean_channels == 4 and features(x, cfg, later).clean_channels == 4
    bad = blinked(x, 20.0, 1)  # AF7
    f = features(bad, cfg, soon)
    assert f.clean_channels == 3 and f.absolute_uv2 is not None and not f.absolute_uv2[1].any()
    assert f.theta_frontal == pytest.approx(f.absolute_uv2[2, 1] / f.absolute_uv2[2, 1:4].sum(), rel=1e-9)  # AF8 alone
    assert features(bad, cfg, later).clean_channels == 4
    assert features(bad, cfg.model_copy(update={"clean_share": 0.5}), soon).clean_channels == 4


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 2560), max_size=10))
def test_same_output_however_the_stream_is_split(cuts: list[int]) -> None:
    channels, x = muse()
    x = x[:2560]
    a = run(x, channels, [(0, 2560)]).features(10.0)
    b = run(x, channels, split_points(2560, cuts)).features(10.0)
    assert a.relative == b.relative and a.faa == b.faa
    np.testing.assert_array_equal(a.absolute_uv2, b.absolute_uv2)
