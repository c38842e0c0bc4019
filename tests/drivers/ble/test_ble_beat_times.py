"""RR batches to beat times, and H10 frames to sample times: against the truth.

A simulated strap with a real RR series (and a real ECG recording) whose
notifications arrive with random transport delays; the reconstructed
times must land on the true ones.
"""

import random

import numpy as np
import pytest

from agent.base.datasets import data_root
from agent.base.events import Quality
from agent.base.stream import Chunk
from drivers.ble import pmd
from drivers.ble.beats import BeatTimeline
from drivers.ble.hr_streams import HeartRateStreams
from drivers.ble.hrs import Contact, HeartRateMeasurement, encode_heart_rate
from drivers.ble.pmd import Measurement
from drivers.ble.pmd_streams import PmdStreams

T0 = 1000.0  # agent time of the first beat


def rr_raw() -> np.ndarray:
    ms = np.loadtxt(data_root() / "rr-intervals" / "pyhrv_SampleNNISeriesShort_ms.txt")
    return np.round(ms * 1.024).astype(np.int64)


def strap_batches(
    raw: np.ndarray, *, drift_ppm: float = 100.0, seed: int = 1
) -> tuple[np.ndarray, list[tuple[float, np.ndarray, np.ndarray]]]:
    """True beat times, and (arrival, rr batch, indices) as a strap sending once a second would deliver them."""
    rng = random.Random(seed)
    beat_t = T0 + np.cumsum(raw) / 1024.0 * (1 + drift_ppm * 1e-6)  # the strap's crystal runs slow
    batches, sent = [], 0
    send_t = T0 + rng.random()
    while sent < len(raw):
        done = int(np.searchsorted(beat_t, send_t, side="right"))
        if done > sent:
            latency = 0.004 + rng.expovariate(1 / 0.02)  # BLE connection interval and scheduling
            batches.append((send_t + latency, raw[sent:done], np.arange(sent, done)))
            sent = done
        send_t += 1.0
    return beat_t, batches


def test_beat_times_converge_on_the_true_beats() -> None:
    raw = rr_raw()
    truth, batches = strap_batches(raw)
    timeline = BeatTimeline()
    errors = []
    for arrival, rr, idx in batches:
        beats = timeline.add(rr, arrival)
        assert beats.missed == 0 and beats.artifacts == 0
        assert np.all(beats.t <= arrival)
        errors.append((truth[idx], beats.t - truth[idx]))
    err = np.concatenate([e for t, e in errors if t[0] > T0 + 60])  # after a minute of batches
    # The strap does not say when in its 1 s cycle it sent a batch, so the anchor is the
    # smallest arrival-minus-newest-beat seen: beats land at or a little after the truth,
    # by the minimum transport delay plus the smallest send-to-beat phase in the window.
    assert np.min(err) > -0.01
    assert np.median(err) < 0.04
    assert np.max(err) < 0.06


def test_lost_beats_re_anchor_and_are_counted() -> None:
    raw = rr_raw()
    truth, batches = strap_batches(raw)
    timeline = BeatTimeline()
    lost = [b for b in batches if T0 + 100 < b[0] < T0 + 106]  # six seconds of notifications never arrive
    missed_reported = 0
    after = []
    for arrival, rr, idx in batches:
        if any(arrival == b[0] for b in lost):
            continue
        beats = timeline.add(rr, arrival)
        missed_reported += beats.missed
        if arrival > T0 + 140:
            after.append(beats.t - truth[idx])
    n_lost = sum(len(b[1]) for b in lost)
    assert timeline.reanchors == 1
    assert abs(missed_reported - n_lost) <= 1
    assert np.max(np.abs(np.concatenate(after))) < 0.05  # re-converged within half a minute


def test_impossible_intervals_are_dropped_and_the_rest_kept() -> None:
    timeline = BeatTimeline()
    beats = timeline.add([860, 65535, 870, 880], arrival=50.0)
    assert beats.artifacts == 1
    np.testing.assert_allclose(beats.rr_s, [870 / 1024, 880 / 1024])
    assert beats.t[-1] == 50.0 and beats.t[0] == pytest.approx(50.0 - 880 / 1024)


def hr(contact: Contact, rr: tuple[int, ...] = (), bpm: int = 70) -> bytes:
    return encode_heart_rate(HeartRateMeasurement(bpm, contact, None, rr, False, bool(rr)))


def test_no_skin_contact_is_a_quality_event_not_data() -> None:
    s = HeartRateStreams("strap")
    out = s.on_notification(hr(Contact.DETECTED, (860,)), 10.0)
    assert [c.spec.name for c in out if isinstance(c, Chunk)] == ["hr", "rr"]
    off = s.on_notification(hr(Contact.NOT_DETECTED, bpm=255), 11.0)
    assert [(q.stream, q.ok, q.reason) for q in off if isinstance(q, Quality)] == [
        ("hr", False, "no skin contact"),
        ("rr", False, "no skin contact"),
    ]
    assert all(isinstance(q, Quality) for q in off)
    assert s.on_notification(hr(Contact.NOT_DETECTED), 12.0) == []  # reported once, then silence
    back = s.on_notification(hr(Contact.DETECTED, (870, 880, 860, 850)), 16.0)
    assert [(q.stream, q.ok) for q in back if isinstance(q, Quality)] == [("hr", True), ("rr", True)]
    rr_chunk = next(c for c in back if isinstance(c, Chunk) and c.spec.name == "rr")
    assert rr_chunk.seq > 1  # the beats lost while off the skin show as a gap
    assert s.on_notification(hr(Contact.UNSUPPORTED, (860,)), 17.0)  # a strap that cannot tell is trusted


def test_malformed_notifications_are_counted_and_dropped() -> None:
    s = HeartRateStreams("strap")
    assert s.on_notification(bytes.fromhex("17 01 01"), 1.0) == []
    assert s.on_notification(b"", 1.5) == []
    assert s.malformed == 2
    assert len(s.on_notification(hr(Contact.DETECTED, (860,)), 2.0)) == 2


def ecg_uv() -> np.ndarray:
    from scipy.signal import resample_poly

    mv = np.loadtxt(data_root() / "biosignal-samples" / "ecg_1000hz.csv", skiprows=1, delimiter=",", usecols=0)
    return np.round(resample_poly(mv, 13, 100) * 1000.0).astype(np.int64)


def test_ecg_frames_from_a_never_set_clock_land_on_the_true_times() -> None:
    ecg = ecg_uv()
    rng = random.Random(2)
    s = PmdStreams("h10")
    s.expect(Measurement.ECG, 130)
    drift, never_set = 40e-6, 599_616_000_000_000_000
    chunks, truth = [], []
    for f in range(len(ecg) // 73):
        k = np.arange(f * 73, f * 73 + 73)
        true_t = T0 + k / 130.0 / (1 + drift)  # the sensor's crystal runs fast
        ts = never_set + round((k[-1] / 130.0) * 1e9)
        if f == 40:
            continue  # a frame lost on the air
        c = s.on_frame(
            pmd.encode_frame(Measurement.ECG, ts, 0, ecg[k]), true_t[-1] + 0.005 + rng.expovariate(1 / 0.015)
        )
        assert c is not None
        chunks.append(c)
        truth.append(true_t)
    seqs = [c.seq for c in chunks]
    assert seqs[40] - seqs[39] == 2 * 73  # the lost frame's samples are counted exactly
    assert s.missing_samples == 73
    np.testing.assert_array_equal(np.concatenate([c.x[:, 0] for c in chunks[:40]]), ecg[: 40 * 73].astype(np.float32))
    err = np.concatenate([c.t - t for c, t in zip(chunks, truth, strict=True)][20:])
    assert np.max(np.abs(err)) < 0.02
    assert chunks[-1].device_t is not None and chunks[-1].device_t[-1] == pytest.approx(
        599_616_000 + (len(ecg) // 73 * 73 - 1) / 130
    )


def test_frames_that_cannot_be_used_are_counted() -> None:
    s = PmdStreams("h10")
    s.expect(Measurement.ACC, 200)
    good = pmd.encode_frame(Measurement.ACC, 10_000_000_000, 1, np.array([[0, 0, 1000]] * 36))
    c = s.on_frame(good, 1.0)
    assert c is not None and c.x[0].tolist() == [0.0, 0.0, 1.0]  # milli-g to g
    assert s.on_frame(good, 1.2) is None  # the same timestamp again
    assert s.on_frame(pmd.encode_frame(Measurement.ECG, 1, 0, np.array([1, 2])), 1.3) is None  # not started
    assert s.on_frame(b"\x02\x00", 1.4) is None
    assert s.malformed == 3
