"""Every injectable fault does what it says, on every device it applies to."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.events import Quality
from agent.errors import DeviceDisconnected, DeviceNotFound

from .helpers import Run, collect, make, stream_into

SPEED = 100.0  # faults start 3 s in: 30 ms of real time to connect, even on a busy machine
SAMPLED = [("ecg", "ecg", 130.0), ("gsr", "eda", 128.0), ("eeg", "eeg", 256.0)]


def fault(kind: str, at_s: float, duration_s: float) -> dict:
    return {"kind": kind, "at_s": at_s, "duration_s": duration_s}


async def clean_and_faulty(kind: str, *faults: dict, until_s: float, seed: int = 5) -> tuple[Run, Run]:
    clean = await collect(make(kind, Clock(speed=SPEED), seed=seed), until_s)
    faulty = await collect(make(kind, Clock(speed=SPEED), seed=seed, faults=list(faults)), until_s)
    return clean, faulty


def aligned(clean: Run, faulty: Run, stream: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scenario time, clean x, faulty x) of the samples both runs have; the runs connected at different times."""
    a, b = clean.by_seq(stream), faulty.by_seq(stream)
    common = sorted(set(a) & set(b))
    t = dict(zip(faulty.seq(stream).tolist(), faulty.t(stream).tolist(), strict=True))
    return np.array([t[k] for k in common]), np.array([a[k] for k in common]), np.array([b[k] for k in common])


@pytest.mark.parametrize("kind", ["chest-strap", "ecg", "gsr", "eeg"])
async def test_disconnect_raises_at_the_start_and_refuses_connection_while_it_lasts(kind: str) -> None:
    clock = Clock(speed=SPEED)
    device = make(kind, clock, faults=[fault("disconnect", 3.0, 20.0)])
    run = Run(clock.origin)
    with pytest.raises(DeviceDisconnected):
        await stream_into(run, device, until_s=60.0)
    raised_at = clock.now() - clock.origin
    assert 3.0 <= raised_at < 23.0
    last_sample = max(float(c.t[-1]) for chunks in run.chunks.values() for c in chunks) - clock.origin
    assert last_sample < 3.0  # nothing from inside the window

    with pytest.raises(DeviceNotFound, match="until t=23.0"):
        async with device:
            pass

    await clock.sleep_until(clock.origin + 23.0)
    after = Run(clock.origin)
    await stream_into(after, device, until_s=26.0)  # the same instance reconnects once the window is over
    for stream, chunks in after.chunks.items():
        assert chunks[0].t[0] - clock.origin >= 23.0
        assert chunks[0].seq > run.chunks[stream][-1].next_seq  # the missed samples show as a seq jump


async def test_repeated_disconnects_follow_disconnect_every_s() -> None:
    clock = Clock(speed=SPEED)
    device = make("chest-strap", clock, disconnect_every_s=10.0, disconnect_for_s=4.0)
    run = Run(clock.origin)
    dropped_at: list[float] = []
    reconnected_at: list[float] = []
    while len(dropped_at) < 3:
        try:
            await stream_into(run, device, until_s=1e9)
        except DeviceDisconnected:
            dropped_at.append(clock.now() - clock.origin)
            while True:  # a minimal supervisor: retry every half second
                await clock.sleep(0.5)
                try:
                    async with device:
                        reconnected_at.append(clock.now() - clock.origin)
                        break
                except DeviceNotFound:
                    continue
    # Each drop comes inside its window [10 n, 10 n + 4); each reconnection after it, at the next retry.
    assert all(10.0 * n <= t < 10.0 * n + 4.0 for n, t in zip((1, 2, 3), dropped_at, strict=True))
    assert all(10.0 * n + 4.0 <= t < 10.0 * n + 6.0 for n, t in zip((1, 2), reconnected_at, strict=False))
    gaps = np.diff(run.t("hr"))
    assert np.sum(gaps > 1.5) == 2 and np.all(gaps[gaps > 1.5] >= 4.0)


@pytest.mark.parametrize(("kind", "stream", "rate"), SAMPLED)
async def test_dropout_loses_exactly_the_samples_in_the_window(kind: str, stream: str, rate: float) -> None:
    clean, faulty = await clean_and_faulty(kind, fault("dropout", 3.0, 1.5), until_s=6.0)
    seq = faulty.seq(stream)
    chunks = faulty.chunks[stream]
    jumps = [(a.next_seq, b.seq) for a, b in itertools.pairwise(chunks) if b.seq != a.next_seq]
    assert jumps == [(math.ceil(3.0 * rate), math.ceil(4.5 * rate))]  # one gap: the samples in [3, 4.5) s
    missing = set(range(seq[0], seq[-1] + 1)) - set(seq.tolist())
    assert len(missing) == math.ceil(4.5 * rate) - math.ceil(3.0 * rate)
    a, b = clean.by_seq(stream), faulty.by_seq(stream)
    assert all(np.array_equal(a[k], b[k]) for k in b if k in a)  # what survives is untouched


async def test_dropout_loses_the_strap_notifications_in_the_window() -> None:
    clean, faulty = await clean_and_faulty("chest-strap", fault("dropout", 10.0, 3.0), until_s=20.0)
    hr_t = faulty.t("hr")
    assert not np.any((hr_t >= 10.0) & (hr_t < 13.0))
    lost_notifications = set(clean.seq("hr").tolist()) - set(faulty.seq("hr").tolist())
    assert len(lost_notifications) == 3
    lost_beats = set(clean.seq("rr").tolist()) - set(faulty.seq("rr").tolist())
    assert 2 <= len(lost_beats) <= 6  # ~3 s of beats at ~70 bpm, all reported by the lost notifications
    assert any(b.seq != a.next_seq for a, b in zip(faulty.chunks["rr"], faulty.chunks["rr"][1:], strict=False))


@pytest.mark.parametrize(("kind", "stream", "rate"), SAMPLED)
async def test_flatline_sticks_at_the_last_value_before_it(kind: str, stream: str, rate: float) -> None:
    clean, faulty = await clean_and_faulty(kind, fault("flatline", 3.0, 1.0), until_s=5.0)
    a, b = clean.by_seq(stream), faulty.by_seq(stream)
    first, end = math.ceil(3.0 * rate), math.ceil(4.0 * rate)
    assert {first - 1, first, end - 1, end} <= set(a) & set(b)
    for k in set(a) & set(b):
        expected = a[first - 1] if first <= k < end else a[k]
        assert np.array_equal(b[k], expected)
    assert not np.array_equal(a[first], a[first - 1])


@pytest.mark.parametrize(
    ("kind", "stream", "rate", "min_sd"),
    [("ecg", "ecg", 130.0, 300.0), ("gsr", "eda", 128.0, 0.5), ("eeg", "eeg", 256.0, 80.0)],
)
async def test_noise_burst_adds_large_broadband_noise_only_in_its_window(
    kind: str, stream: str, rate: float, min_sd: float
) -> None:
    clean, faulty = await clean_and_faulty(kind, fault("noise_burst", 3.0, 2.0), until_s=6.0)
    t, a, b = aligned(clean, faulty, stream)
    diff = b - a
    inside = (t >= 3.0) & (t < 5.0)
    assert inside.sum() == 2 * rate
    assert np.all(diff[~inside] == 0.0)
    assert np.all(diff[inside].std(axis=0) > min_sd)
    spectrum = np.abs(np.fft.rfft(diff[inside][:, 0])) ** 2  # broadband: as much power high as low
    half = spectrum.size // 2
    assert 0.5 < spectrum[half:].sum() / spectrum[1:half].sum() < 2.0
    if kind == "gsr":
        assert faulty.x(stream).min() >= 0.0  # conductance is never negative


async def test_noise_burst_makes_the_strap_mistime_beats() -> None:
    clean, faulty = await clean_and_faulty("chest-strap", fault("noise_burst", 10.0, 5.0), until_s=20.0)
    t, a, b = aligned(clean, faulty, "rr")  # beats paired by sequence number: a later connection misses the first
    clean_t, _, _ = aligned(faulty, clean, "rr")
    # the beats fall when they did, only their intervals move; each run's times are offsets from its own clock
    # origin, so they agree to the last bits of a double, not bit for bit
    np.testing.assert_allclose(clean_t, t, rtol=0, atol=1e-9)
    assert t[0] < 10.0 and t[-1] >= 15.0
    error = np.abs(b - a)[:, 0]
    inside = (t >= 10.0) & (t < 15.0)
    assert np.all(error[~inside] == 0.0)
    assert error[inside].mean() > 0.05


@pytest.mark.parametrize(("kind", "stream", "rate"), SAMPLED)
async def test_contact_loss_reads_the_open_lead_value(kind: str, stream: str, rate: float) -> None:
    clean, faulty = await clean_and_faulty(kind, fault("contact_loss", 3.0, 1.0), until_s=5.0)
    t, a, b = aligned(clean, faulty, stream)
    inside = (t >= 3.0) & (t < 4.0)
    assert np.all(b[inside] == 0.0) and inside.sum() == rate
    assert np.array_equal(b[~inside], a[~inside])


async def test_strap_reports_contact_loss_and_sends_nothing_until_it_returns() -> None:
    clean, faulty = await clean_and_faulty("chest-strap", fault("contact_loss", 10.0, 5.0), until_s=20.0)
    origin = faulty.origin
    events = [(e.stream, round(e.t - origin, 6), e.ok, e.reason) for e in faulty.events]
    lost_at = clean.t("hr")[clean.t("hr") >= 10.0][0]  # the first notification after the strap came off
    back_at = clean.t("hr")[clean.t("hr") >= 15.0][0]
    assert events == [
        ("rr", round(lost_at, 6), False, "no skin contact"),
        ("hr", round(lost_at, 6), False, "no skin contact"),
        ("rr", round(back_at, 6), True, "skin contact restored"),
        ("hr", round(back_at, 6), True, "skin contact restored"),
    ]
    assert all(isinstance(e, Quality) for e in faulty.events)
    hr_t, rr_t = faulty.t("hr"), faulty.t("rr")
    assert not np.any((hr_t > lost_at - 0.5) & (hr_t < back_at))
    assert not np.any((rr_t >= 10.0) & (rr_t < 15.0))
    assert np.any(hr_t >= back_at) and np.any(rr_t >= 15.0)  # data resumes with contact
