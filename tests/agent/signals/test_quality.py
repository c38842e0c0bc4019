"""Quality falls when flatline, clipping or noise is injected into real signals, or the device says so."""

from __future__ import annotations

import numpy as np
import pytest
from signal_recordings import biosignal, rr_ms

from agent.base.events import Gap, Quality
from agent.base.stream import Modality
from agent.core.signals.cardiac import CardiacProcessor
from agent.core.signals.eda import EdaProcessor
from agent.core.signals.quality import QualityReport

T_BAD = (60.0, 90.0)  # the injected section; quality is read at its end


def inject(x: np.ndarray, fs: float, kind: str, noise_std: float | None = None) -> np.ndarray:
    y = x.copy()
    s = slice(int(T_BAD[0] * fs), int(T_BAD[1] * fs))
    rng = np.random.default_rng(7)
    if kind == "flatline":
        y[s] = y[s.start]
    elif kind == "clipping":
        lo, hi = np.percentile(y[s], [25, 75])
        y[s] = np.clip(y[s], lo, hi)
    else:  # by default, noise as strong as the signal itself
        y[s] += rng.normal(0.0, float(np.std(x)) if noise_std is None else noise_std, s.stop - s.start)
    return y


def ecg_report(x: np.ndarray) -> QualityReport:
    t = np.arange(x.shape[0]) / 100.0
    p = CardiacProcessor(Modality.ECG, 100.0)
    for a in range(0, x.shape[0], 50):
        p.push_samples(t[a : a + 50], x[a : a + 50], seq=a)
    return p.report(T_BAD[1])


def eda_report(x: np.ndarray) -> QualityReport:
    t = np.arange(x.shape[0]) / 100.0
    p = EdaProcessor(100.0)
    for a in range(0, x.shape[0], 50):
        p.push_samples(t[a : a + 50], x[a : a + 50], seq=a)
    return p.report(T_BAD[1])


@pytest.mark.parametrize("kind", ["flatline", "clipping", "noise"])
def test_ecg_quality_falls(kind: str) -> None:
    x = biosignal("bio_resting_5min_100hz.csv")["ECG"].to_numpy(dtype=np.float64)[: 100 * 100]
    clean = ecg_report(x)
    dirty = ecg_report(inject(x, 100.0, kind))
    assert clean.index >= 0.9, clean
    assert dirty.index <= 0.5, dirty
    assert kind in dirty.reasons or (kind == "noise" and any("artifact" in r for r in dirty.reasons))


@pytest.mark.parametrize("kind", ["flatline", "clipping", "noise"])
def test_eda_quality_falls(kind: str) -> None:
    x = biosignal("bio_resting_8min_100hz.csv")["EDA"].to_numpy(dtype=np.float64)[: 100 * 100]
    clean = eda_report(x)
    dirty = eda_report(inject(x, 100.0, kind, noise_std=0.1))  # 0.1 µS: electrode noise, not an SCR
    assert clean.index >= 0.9, clean
    assert dirty.index <= 0.5, dirty
    assert kind in dirty.reasons


def test_device_contact_loss_zeroes_quality_until_it_clears() -> None:
    rr = rr_ms("pyhrv_SampleNNISeriesShort_ms.txt") / 1000.0
    t = np.cumsum(rr)
    p = CardiacProcessor(Modality.RR, None)
    p.push_samples(t[:60], rr[:60], seq=0)
    assert p.report(float(t[59])).index >= 0.9
    p.device_quality(Quality("strap", "rr", float(t[59]), ok=False, reason="no skin contact"))
    r = p.report(float(t[59]))
    assert r.index == 0.0 and r.reasons[0] == "device: no skin contact"
    p.device_quality(Quality("strap", "rr", float(t[59]), ok=True, reason="contact"))
    assert p.report(float(t[59])).index >= 0.9


def test_gaps_and_silence_lower_coverage() -> None:
    rr = rr_ms("pyhrv_SampleNNISeriesShort_ms.txt") / 1000.0
    t = np.cumsum(rr)
    p = CardiacProcessor(Modality.RR, None)
    p.push_samples(t[:60], rr[:60], seq=0)
    p.gap(Gap("strap", "rr", float(t[59]), float(t[59]) + 6.0, None, "reconnect"))
    p.push_samples(t[66:70] + 0.0, rr[66:70], seq=66)
    r = p.report(float(t[69]))
    assert r.index < 0.9 and any(reason.startswith("gaps") for reason in r.reasons)
    silent = p.report(float(t[69]) + 30.0)
    assert silent.index == 0.0 and "no data" in silent.reasons
