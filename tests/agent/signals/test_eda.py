"""EDA: SCR counts against NeuroKit2, 4 Hz to 128 Hz, split invariance, gaps."""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signal_recordings import biosignal, match_rate, split_points, wesad

from agent.core.signals.eda import EdaConfig, EdaProcessor


def run(x: np.ndarray, fs: float, pieces: list[tuple[int, int]], cfg: EdaConfig | None = None) -> EdaProcessor:
    t = np.arange(x.shape[0]) / fs
    p = EdaProcessor(fs, cfg)
    for a, b in pieces:
        p.push_samples(t[a:b], x[a:b], seq=a)
    return p


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def neurokit2_scrs(eda: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """NeuroKit2's SCR peak times (s) and each one's rise (µS) in its own cleaned conductance, onset to peak."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.eda_process(eda, sampling_rate=int(fs))
    clean = signals["EDA_Clean"].to_numpy()
    peaks = np.asarray(info["SCR_Peaks"], dtype=np.int64)
    onsets = np.asarray(info["SCR_Onsets"], dtype=np.float64)
    rise = np.array(
        [clean[p] - clean[int(o)] if np.isfinite(o) else np.nan for p, o in zip(peaks, onsets, strict=True)]
    )
    return peaks / fs, rise


def test_scr_counts_agree_with_neurokit2() -> None:
    """Each side's rule applied to the other: the same 8 SCRs, one to one within 0.5 s.

    NeuroKit2 keeps SCRs whose prominence on its zero-phase phasic signal is at least 10 % of
    the recording's largest; we keep rises of the cleaned conductance of at least 0.03 µS.
    NeuroKit2 reports 9. Its 6th (106.4 s) is a rise of 0.011 µS in NeuroKit2's own cleaned
    signal, during a steady decline: its prominence comes from the valley that the zero-phase
    0.05 Hz high-pass digs *before* the 3 µS response at 119 s (a filtfilt responds on both
    sides of a step). No causal detector can see that valley, and no absolute criterion in the
    literature's range (0.01 to 0.05 µS) keeps it: it is a filter artefact, not a response.
    """
    eda = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)
    ref, ref_rise = neurokit2_scrs(eda, 100.0)
    assert ref.size == 9
    everything = run(eda, 100.0, chunks(eda.size, 25)).scr_events(-1.0, 1e9)
    largest = max(e.amplitude_us for e in everything)
    cfg = EdaConfig(scr_min_amplitude_us=0.1 * largest)  # NeuroKit2's relative rule, made absolute
    ours = np.array([e.t_peak for e in run(eda, 100.0, chunks(eda.size, 25), cfg).scr_events(-1.0, 1e9)])
    kept = ref[ref_rise >= EdaConfig().scr_min_amplitude_us]  # our absolute rule on NeuroKit2's SCRs
    assert ours.size == kept.size == 8, (ours, kept)
    assert match_rate(kept, ours, 0.5) == (1.0, 0) and match_rate(ours, kept, 0.5) == (1.0, 0)
    # the one left out is the artefact described above: a flat stretch just before a large response
    (dropped,) = ref[ref_rise < EdaConfig().scr_min_amplitude_us]
    assert 105.0 < dropped < 108.0 and any(0 < e.t_onset - dropped < 15 and e.amplitude_us > 1 for e in everything)
    # at the default 0.03 µS we also report the smaller responses NeuroKit2's relative rule drops
    assert len(everything) == 12 and match_rate(kept, np.array([e.t_peak for e in everything]), 0.5)[0] == 1.0


def test_scr_shape_and_levels_are_plausible() -> None:
    eda = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)
    p = run(eda, 100.0, chunks(eda.size, 100))
    for e in p.scr_events(-1.0, 1e9):
        assert 0.3 <= e.rise_s <= 7.0 and e.amplitude_us >= 0.03 and e.t_onset < e.t_peak
    f = p.features(eda.size / 100.0)
    assert 12.0 < f.scl_us < 17.0 and f.scr_rate_per_min > 0 and f.scr_recent is not None


def test_works_at_4_hz_and_128_hz() -> None:
    w = wesad("S3")
    eda4 = w["eda"][: 4 * 600].astype(np.float64)  # 10 min of an Empatica E4 at 4 Hz
    p4 = run(eda4, 4.0, chunks(eda4.size, 4))
    f = p4.features(600.0)
    assert p4.factor == 1 and f.scl_us is not None and np.isfinite(f.scl_slope_us_per_min)
    eda = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)
    t100 = np.arange(eda.size) / 100.0
    t128 = np.arange(int(eda.size * 1.28)) / 128.0
    eda128 = np.interp(t128, t100, eda)
    p100 = run(eda, 100.0, chunks(eda.size, 50))
    p128 = run(eda128, 128.0, chunks(eda128.size, 64))
    assert p128.work_fs == 16.0
    n100, n128 = len(p100.scr_events(-1, 1e9)), len(p128.scr_events(-1, 1e9))
    assert abs(n100 - n128) <= 1


def test_long_gap_restarts_short_gap_is_bridged() -> None:
    eda = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)
    t = np.arange(eda.size) / 100.0
    p = EdaProcessor(100.0)
    p.push_samples(t[:3000], eda[:3000], seq=0)
    p.push_samples(t[3050:6000], eda[3050:6000], seq=3050)  # 0.5 s lost: bridged
    assert p._blocks.segmenter.segments == 1 and p._blocks.segmenter.bridged == 50
    p.push_samples(t[8000:], eda[8000:], seq=8000)  # 20 s lost: new segment
    assert p._blocks.segmenter.segments == 2
    for e in p.scr_events(-1, 1e9):
        assert not (e.t_onset < 80.0 < e.t_peak), "an SCR spans the gap"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 6000), max_size=10))
def test_same_output_however_the_stream_is_split(cuts: list[int]) -> None:
    eda = biosignal("bio_eventrelated_100hz.csv")["EDA"].to_numpy(dtype=np.float64)[:6000]
    a = run(eda, 100.0, [(0, 6000)])
    b = run(eda, 100.0, split_points(6000, cuts))
    assert a.scr_events(-1, 1e9) == b.scr_events(-1, 1e9)
    assert a.features(60.0) == b.features(60.0)
    np.testing.assert_array_equal(a._series.window(-1, 1e9)[1], b._series.window(-1, 1e9)[1])
