"""The simulated person is physiologically plausible, and all devices show the same person.

One session per seed runs the four devices together on one fast clock
through a baseline and a stressor; each test checks one textbook rule on
what the devices yielded, using independent detectors (NeuroKit2 for
R-peaks and SCRs, Welch spectra for rhythms).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import neurokit2 as nk
import numpy as np
import pytest
import pytest_asyncio
from scipy import signal

from agent.base.clock import Clock

from .helpers import Run, collect, make

SCENARIO = {"baseline_s": 90.0, "stressor_s": 90.0, "recovery_s": 30.0}
BASELINE = (20.0, 90.0)  # scenario seconds; the first 20 s are left for the device filters to settle
STRESS = (130.0, 180.0)  # the stressor's plateau, once arousal has risen
SPEED = 500.0


@dataclass
class Session:
    seed: int
    strap: Run
    ecg: Run
    gsr: Run
    eeg: Run


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=[0, 1, 2], ids=lambda s: f"seed{s}")
async def session(request: pytest.FixtureRequest) -> Session:
    clock = Clock(speed=SPEED)
    devices = [make(kind, clock, seed=request.param, **SCENARIO) for kind in ("chest-strap", "ecg", "gsr", "eeg")]
    async with asyncio.TaskGroup() as tg:
        runs = [tg.create_task(collect(device, until_s=STRESS[1])) for device in devices]
    return Session(request.param, *(r.result() for r in runs))


def window(t: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    return (t >= span[0]) & (t < span[1])


def rr_in(session: Session, span: tuple[float, float]) -> np.ndarray:
    return session.strap.x("rr")[window(session.strap.t("rr"), span), 0].astype(np.float64)


def test_resting_heart_rate_is_in_the_resting_range(session: Session) -> None:
    hr = 60.0 / rr_in(session, BASELINE).mean()
    assert 63.0 <= hr <= 75.0
    hr_reported = session.strap.x("hr")[window(session.strap.t("hr"), BASELINE), 0]
    assert abs(hr_reported.mean() - hr) < 2.0  # the strap's own HR agrees with its RR


def test_rr_spectrum_peaks_at_the_breathing_rate(session: Session) -> None:
    # Respiratory sinus arrhythmia: at rest the RR tachogram's dominant rhythm is breathing (~0.25 Hz).
    t, rr = session.strap.t("rr"), session.strap.x("rr")[:, 0]
    grid = np.arange(*BASELINE, 0.25)
    tachogram = signal.detrend(np.interp(grid, t, rr))
    f, power = signal.welch(tachogram, fs=4.0, nperseg=256)
    band = (f >= 0.04) & (f <= 0.5)
    assert 0.2 <= f[band][np.argmax(power[band])] <= 0.3


def test_stress_raises_heart_rate_and_lowers_its_variability(session: Session) -> None:
    rest, stress = rr_in(session, BASELINE), rr_in(session, STRESS)
    rise = 60.0 / stress.mean() - 60.0 / rest.mean()
    assert 13.0 <= rise <= 28.0
    rmssd = [np.sqrt(np.mean(np.diff(x) ** 2)) for x in (rest, stress)]
    assert 0.02 <= rmssd[0] <= 0.08  # a healthy adult at rest
    assert rmssd[1] < 0.5 * rmssd[0]


def test_ecg_r_peaks_are_the_strap_beats(session: Session) -> None:
    t, ecg = session.ecg.t("ecg"), session.ecg.x("ecg")[:, 0]
    assert np.all(np.diff(t) < 1.5 / 130)  # one unbroken recording
    _, info = nk.ecg_peaks(ecg.astype(np.float64), sampling_rate=130)
    r_peaks = t[info["ECG_R_Peaks"]]
    beats = session.strap.t("rr")
    beats = beats[(beats > t[0] + 1.0) & (beats < t[-1] - 1.0)]
    nearest = np.abs(r_peaks[:, None] - beats[None, :]).min(axis=0)
    assert np.all(nearest <= 1.0 / 130)  # every strap beat is an ECG R-peak, within one sample
    inside = r_peaks[(r_peaks > t[0] + 1.0) & (r_peaks < t[-1] - 1.0)]
    assert abs(inside.size - beats.size) <= 1  # and the ECG has no beats the strap missed


def test_scrs_come_faster_under_stress(session: Session) -> None:
    t, eda = session.gsr.t("eda"), session.gsr.x("eda")[:, 0].astype(np.float64)
    assert 2.0 <= eda.min() and eda.max() <= 12.0  # µS: tonic 2-10 plus responses
    _, info = nk.eda_process(eda, sampling_rate=128)
    onsets = t[np.asarray(info["SCR_Onsets"], dtype=np.int64)]
    per_min = [np.sum(window(onsets, span)) / (span[1] - span[0]) * 60.0 for span in (BASELINE, STRESS)]
    assert per_min[1] > per_min[0]
    assert per_min[1] >= 4.0


def test_alpha_falls_and_beta_rises_under_stress(session: Session) -> None:
    t, eeg = session.eeg.t("eeg"), session.eeg.x("eeg").astype(np.float64)

    def band_power(span: tuple[float, float], lo: float, hi: float) -> np.ndarray:
        f, power = signal.welch(eeg[window(t, span)], fs=256.0, nperseg=512, axis=0)
        return power[(f >= lo) & (f < hi)].sum(axis=0)

    assert np.all(band_power(STRESS, 8.0, 12.0) < 0.6 * band_power(BASELINE, 8.0, 12.0))
    assert np.all(band_power(STRESS, 13.0, 30.0) > 1.1 * band_power(BASELINE, 13.0, 30.0))
    # Alpha is posterior: on a Muse, the temporo-parietal sites see more of it than the frontal ones.
    alpha = band_power(BASELINE, 8.0, 12.0)
    channels = session.eeg.chunks["eeg"][0].spec.channels
    by_site = dict(zip(channels, alpha, strict=True))
    assert min(by_site["TP9"], by_site["TP10"]) > max(by_site["AF7"], by_site["AF8"])


def test_blinks_show_on_frontal_channels_only(session: Session) -> None:
    t, eeg = session.eeg.t("eeg"), session.eeg.x("eeg").astype(np.float64)
    slow = signal.sosfiltfilt(signal.butter(4, 4.0, fs=256.0, output="sos"), eeg[window(t, BASELINE)], axis=0)
    channels = session.eeg.chunks["eeg"][0].spec.channels
    blinks = {c: signal.find_peaks(slow[:, i], prominence=50.0)[0].size for i, c in enumerate(channels)}
    assert blinks["AF7"] >= 5 and blinks["AF8"] >= 5  # ~12 a minute over 70 s
    assert blinks["TP9"] == 0 and blinks["TP10"] == 0
