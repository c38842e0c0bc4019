"""Stream specs, shapes, timing, sequence numbers and determinism of every simulated device."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.stream import Modality
from drivers.simulated.ecg import SECONDS_2000_TO_2019
from drivers.simulated.options import EIGHT_CHANNELS

from .helpers import collect, make

SPEED = 200.0

SAMPLED = [
    # kind, options, stream, modality, channels, unit, rate, chunk length
    ("ecg", {}, "ecg", Modality.ECG, ("ecg",), "µV", 130.0, 73),
    ("gsr", {}, "eda", Modality.EDA, ("eda",), "µS", 128.0, 32),
    ("gsr", {"rate_hz": 4.0}, "eda", Modality.EDA, ("eda",), "µS", 4.0, 1),
    ("eeg", {}, "eeg", Modality.EEG, ("TP9", "AF7", "AF8", "TP10"), "µV", 256.0, 16),
    ("eeg", {"channels": EIGHT_CHANNELS}, "eeg", Modality.EEG, EIGHT_CHANNELS, "µV", 256.0, 16),
]


@pytest.mark.parametrize(("kind", "options", "stream", "modality", "channels", "unit", "rate", "chunk_len"), SAMPLED)
async def test_sampled_device_streams_contiguous_frames(
    kind: str, options: dict, stream: str, modality: Modality, channels: tuple, unit: str, rate: float, chunk_len: int
) -> None:
    run = await collect(make(kind, Clock(speed=SPEED), **options), until_s=6.0)
    chunks = run.chunks[stream]
    assert set(run.chunks) == {stream} and not run.events
    spec = chunks[0].spec
    assert (spec.modality, spec.channels, spec.unit, spec.rate_hz) == (modality, channels, unit, rate)
    for prev, chunk in itertools.pairwise(chunks):
        assert chunk.seq == prev.next_seq  # no dropout configured: no gaps
    for chunk in chunks:
        assert len(chunk) == chunk_len and chunk.seq % chunk_len == 0  # whole frames, framed from power-on
        assert chunk.x.dtype == np.float32 and chunk.x.shape == (chunk_len, len(channels))
        assert np.all(np.isfinite(chunk.x))
    # Every sample is stamped at its index on the agent clock: t = origin + seq / rate.
    np.testing.assert_allclose(run.t(stream), run.seq(stream) / rate, rtol=0, atol=1e-9)


async def test_chest_strap_notifies_once_a_second_with_the_beats_since_the_last() -> None:
    run = await collect(make("chest-strap", Clock(speed=SPEED)), until_s=30.0)
    rr_chunks, hr_chunks = run.chunks["rr"], run.chunks["hr"]
    rr_spec, hr_spec = rr_chunks[0].spec, hr_chunks[0].spec
    assert (rr_spec.modality, rr_spec.channels, rr_spec.unit, rr_spec.rate_hz) == (Modality.RR, ("rr",), "s", None)
    assert (hr_spec.modality, hr_spec.channels, hr_spec.unit, hr_spec.rate_hz) == (Modality.HR, ("hr",), "bpm", None)
    hr_t = run.t("hr")
    np.testing.assert_allclose(np.diff(hr_t), 1.0, atol=1e-9)
    assert np.array_equal(run.seq("hr"), np.arange(run.seq("hr")[0], run.seq("hr")[0] + hr_t.size))
    for prev, chunk in itertools.pairwise(rr_chunks):
        assert chunk.seq == prev.next_seq
    beat_t, rr = run.t("rr"), run.x("rr")[:, 0]
    # One sample per beat, stamped at the beat; RR is the time since the previous beat, in 1/1024 s.
    np.testing.assert_allclose(rr[1:], np.diff(beat_t), atol=0.5 / 1024 + 1e-6)
    assert np.array_equal(np.round(rr * 1024), rr * 1024)
    # Each notification carries the beats that finished since the previous one.
    for chunk in rr_chunks:
        notified = hr_t[np.searchsorted(hr_t, chunk.t[-1] - run.origin)]
        assert np.all(chunk.t - run.origin <= notified) and np.all(chunk.t - run.origin > notified - 1.0)
    assert np.all((run.x("hr") > 50) & (run.x("hr") < 90))


async def test_ecg_device_clock_was_never_set_and_runs_fast() -> None:
    run = await collect(make("ecg", Clock(speed=SPEED), clock_drift_ppm=30.0), until_s=20.0)
    device_t = np.concatenate([c.device_t for c in run.chunks["ecg"]])
    t = run.t("ecg")
    # Seconds since 2000 from a clock that started near 2019-01-01 (within the seeded three days).
    assert SECONDS_2000_TO_2019 <= device_t[0] - t[0] < SECONDS_2000_TO_2019 + 3 * 86400
    slope = np.polyfit(t, device_t - device_t[0], 1)[0]
    assert slope - 1.0 == pytest.approx(30e-6, abs=1e-8)


@pytest.mark.parametrize("kind", ["chest-strap", "ecg", "gsr", "eeg"])
async def test_same_seed_same_samples_whenever_the_device_connects(kind: str) -> None:
    stream = {"chest-strap": "rr", "ecg": "ecg", "gsr": "eda", "eeg": "eeg"}[kind]
    first = await collect(make(kind, Clock(speed=SPEED), seed=11), until_s=12.0)
    clock = Clock(speed=SPEED)
    await clock.sleep(3.3)  # connect later, mid-frame: a different first seq and chunking
    second = await collect(make(kind, clock, seed=11), until_s=12.0)
    other = await collect(make(kind, Clock(speed=SPEED), seed=12), until_s=12.0)

    a, b, c = first.by_seq(stream), second.by_seq(stream), other.by_seq(stream)
    common = sorted(set(a) & set(b))
    assert min(b) > min(a) and len(common) >= 0.5 * len(a)
    for k in common:
        assert np.array_equal(a[k], b[k])
    differing = [k for k in set(a) & set(c) if not np.array_equal(a[k], c[k])]
    assert len(differing) >= 0.9 * len(set(a) & set(c))


async def test_chunks_before_connecting_is_an_error() -> None:
    device = make("gsr", Clock(speed=SPEED))
    with pytest.raises(RuntimeError, match="async with"):
        device.chunks()
