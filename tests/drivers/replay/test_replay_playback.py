"""Playing whole recordings through the driver: completeness, order, seq, time stamps, pacing, loops."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.base.clock import Clock
from drivers.replay.playback import CHUNK_S

Play = Callable[..., Any]


def assert_chunks_in_time_order(played: Any) -> None:
    """Across every stream, chunks come out in the order of their last sample."""
    last = np.array([c.device_t[-1] - played.tracks[c.spec.name].device_origin for c in played.chunks])
    assert (np.diff(last) >= 0).all()


async def test_full_wesad_subject_at_max_yields_every_sample_once_in_order(data: Path, play: Play) -> None:
    path = data / "wesad-wrist/S5_wrist.npz"
    clock = Clock()
    played = await play(clock, path=path, speed="max")
    with np.load(path, allow_pickle=False) as z:
        expected = {
            "eda": z["eda"][:, None],
            "bvp": z["bvp_64"][:, None],
            "temp": z["temp"][:, None],
            "acc": z["acc"] / np.float32(64),
            "label": z["label"][:, None].astype(np.float32),
        }
    starts = set()
    for name, want in expected.items():
        seq, t, x, device_t = played.joined(name)
        rate = played.tracks[name].spec.rate_hz
        n = want.shape[0]
        assert seq.tolist() == list(range(n)), name  # contiguous, each sample once, in order
        np.testing.assert_array_equal(x, want.astype(np.float32))
        np.testing.assert_allclose(device_t, np.arange(n) / rate, rtol=0, atol=1e-9)
        # t is the playback start plus the recording offset: one start for every stream
        starts.update(np.round(t - device_t, 6).tolist())
        assert all(c.device_t[-1] - c.device_t[0] < CHUNK_S for c in played.by_stream[name])
    assert len(starts) == 1
    assert [len(c) for c in played.by_stream["bvp"][:3]] == [16, 16, 16]
    assert_chunks_in_time_order(played)
    # "max" does not wait: time stamps follow the recording's timeline, far ahead of the clock
    assert played.chunks[-1].t[-1] - starts.pop() == pytest.approx(25032 / 4 - 1 / 64)
    assert played.arrivals[-1] < played.chunks[-1].t[-1]


async def test_e4_folder_interleaves_streams_and_keeps_rr_gaps(data: Path, play: Play) -> None:
    every = ("eda", "bvp", "hr", "acc", "temp", "rr", "label")  # the vendor's hr and rr only when named
    played = await play(path="stress-predict/raw/S02", speed="max", streams=every)
    assert set(played.by_stream) == set(every)
    for name, track in played.tracks.items():
        seq, _, x, _ = played.joined(name)
        np.testing.assert_array_equal(x, track.x)
        own = track.seq if track.seq is not None else np.arange(len(track))
        assert seq.tolist() == (own - own[0]).tolist(), name  # gaps kept, never hidden inside a chunk
    rr_seq = played.joined("rr")[0]
    assert (np.diff(rr_seq) > 1).sum() > 0
    assert_chunks_in_time_order(played)
    eda_t0 = played.by_stream["eda"][0].t[0]
    assert played.by_stream["hr"][0].t[0] - eda_t0 == pytest.approx(10.0)


async def test_muse_gaps_show_as_seq_jumps_and_time_jumps(data: Path, play: Play) -> None:
    path = data / "muse-eeg/subjectb-relaxed-2.csv"
    played = await play(path=path, speed="max")
    with path.open() as fh:
        rows = np.array([[float(v) for v in r] for r in list(csv.reader(fh))[1:]])
    seq, t, x, device_t = played.joined("eeg")
    np.testing.assert_array_equal(x, rows[:, 1:].astype(np.float32))
    np.testing.assert_allclose(device_t, rows[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.diff(t), np.diff(rows[:, 0]), rtol=0, atol=1e-6)
    gaps = np.flatnonzero(np.diff(rows[:, 0]) > 2 / 256)
    assert np.flatnonzero(np.diff(seq) != 1).tolist() == gaps.tolist()
    assert np.diff(seq)[gaps].min() > 1


async def test_slice_plays_from_start_s_for_duration_s(data: Path, play: Play) -> None:
    path = data / "wesad-wrist/S5_wrist.npz"
    played = await play(path=path, speed="max", start_s=600, duration_s=60, streams=("eda", "bvp"))
    assert set(played.by_stream) == {"eda", "bvp"}
    with np.load(path, allow_pickle=False) as z:
        eda, bvp = z["eda"][2400:2640], z["bvp_64"][38400:42240]
    for name, want in (("eda", eda), ("bvp", bvp)):
        seq, _, x, device_t = played.joined(name)
        assert seq.tolist() == list(range(len(want)))  # a slice is a stream of its own, from seq 0
        np.testing.assert_array_equal(x[:, 0], want)
        assert device_t[0] == 600.0  # the recording's own time
    start = played.chunks[0].t[0]
    np.testing.assert_allclose(played.joined("bvp")[1], start + np.arange(3840) / 64, rtol=0, atol=1e-9)


async def test_loop_continues_seq_and_timeline(data: Path, play: Play) -> None:
    played = await play(path="rr-intervals/pyhrv_SampleNNISeriesShort.npy", speed="max", loop=True, limit=2 * 337 + 5)
    seq, t, x, _ = played.joined("rr")
    rr = played.tracks["rr"].x[:, 0]
    assert seq.tolist() == list(range(len(seq)))
    np.testing.assert_array_equal(x[337:674, 0], rr)
    # the last beat of one pass starts the first interval of the next
    assert t[337] - t[336] == pytest.approx(float(rr[0]))
    assert t[337] - t[0] == pytest.approx(float(rr.astype(np.float64).sum()))


async def test_loop_of_a_regular_slice_has_no_gap_at_the_seam(data: Path, play: Play) -> None:
    played = await play(
        path="wesad-wrist/S5_wrist.npz", speed="max", loop=True, duration_s=10, streams=("eda",), limit=100
    )
    seq, t, x, _ = played.joined("eda")
    assert seq.tolist() == list(range(len(seq)))
    np.testing.assert_allclose(np.diff(t), 0.25, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(x[40:80], x[:40])


async def test_real_time_pacing_on_a_fast_clock(data: Path, play: Play) -> None:
    # 4 s of EEGMAT across the rest -> task boundary, on a clock 4x faster than the wall
    clock = Clock(speed=4)
    played = await play(clock, path="eegmat/Subject02.npz", speed=1.0, start_s=178, duration_s=4)
    start = played.chunks[0].t[0]
    lateness = np.array([a - c.t[-1] for a, c in zip(played.arrivals, played.chunks, strict=True)])
    assert lateness.min() >= 0  # never released before its last sample is due
    assert lateness.max() < 0.5  # and not held back: 125 ms of wall time at this clock speed
    assert played.arrivals[-1] - start >= 4.0 - 1 / 500
    seq, t, _, device_t = played.joined("eeg")
    assert seq.tolist() == list(range(2000))
    np.testing.assert_allclose(t - start, device_t - 178, rtol=0, atol=1e-9)
    _, _, labels, label_device_t = played.joined("label")
    assert labels[:, 0].tolist() == [1.0]  # one label in the slice: the task's, at its first sample
    assert label_device_t.tolist() == pytest.approx([90011 / 500])  # after the 90011 samples of rest kept


async def test_replay_speed_compresses_the_timeline(data: Path, play: Play) -> None:
    clock = Clock(speed=10)
    played = await play(clock, path="biosignal-samples/ecg_1000hz.csv", speed=4.0, duration_s=8)
    _, t, _, device_t = played.joined("ecg")
    start = played.chunks[0].t[0]
    np.testing.assert_allclose(t - start, device_t / 4, rtol=0, atol=1e-9)
    lateness = np.array([a - c.t[-1] for a, c in zip(played.arrivals, played.chunks, strict=True)])
    assert lateness.min() >= 0
    assert played.arrivals[-1] - start >= 2.0 - 1 / 4000
