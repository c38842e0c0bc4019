from __future__ import annotations

import numpy as np
import pytest

from agent.base.stream import Chunk, Modality, StreamSpec
from agent.runtime.continuity import GapTracker

EEG = StreamSpec("eeg", Modality.EEG, ("AF7", "AF8"), "uV", 256.0)
RR = StreamSpec("rr", Modality.RR, ("rr",), "s", None)


def chunk(seq: int, n: int = 4, t0: float = 0.0, spec: StreamSpec = EEG) -> Chunk:
    t = t0 + np.arange(n) / 256.0
    return Chunk("dev", spec, seq, t, np.zeros((n, spec.n_channels)))


def test_chunk_is_float32_float64_and_read_only():
    c = Chunk("dev", RR, 0, [1, 2], [0.8, 0.9])
    assert c.x.dtype == np.float32 and c.x.shape == (2, 1) and c.t.dtype == np.float64
    with pytest.raises(ValueError):
        c.x[0, 0] = 1.0
    with pytest.raises(AttributeError):
        c.seq = 3  # type: ignore[misc]


def test_chunk_does_not_alias_the_callers_buffer():
    buf = np.ones((3, 2), dtype=np.float32)
    c = Chunk("dev", EEG, 0, [0, 1, 2], buf[:, :])
    buf[:] = 5
    assert c.x.max() == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"t": [0, 1], "x": np.zeros((3, 2))}, "shape"),
        ({"t": [0, 1], "x": np.zeros((2, 3))}, "shape"),
        ({"t": [0, 1], "x": np.zeros((2, 2)), "device_t": [1]}, "device_t"),
        ({"t": [0, 1], "x": np.zeros((2, 2)), "seq": -1}, "seq"),
    ],
)
def test_chunk_rejects_inconsistent_arrays(kwargs, message):
    args = {"device_id": "dev", "spec": EEG, "seq": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        Chunk(**args)


def test_stream_spec_rejects_bad_rate_and_no_channels():
    with pytest.raises(ValueError):
        StreamSpec("x", Modality.EEG, (), "uV", 256)
    with pytest.raises(ValueError):
        StreamSpec("x", Modality.EEG, ("a",), "uV", 0)


def test_gap_tracker_counts_missing_samples_from_sequence_numbers():
    g = GapTracker("dev")
    assert g.check(chunk(0)) is None
    assert g.check(chunk(4, t0=4 / 256)) is None
    gap = g.check(chunk(20, t0=20 / 256))
    assert gap is not None and gap.missing == 12 and gap.cause == "sequence"
    assert gap.t_start == pytest.approx(7 / 256) and gap.t_end == pytest.approx(20 / 256)


def test_gap_tracker_reports_a_pause_across_reconnect_even_if_the_count_continues():
    g = GapTracker("dev")
    g.check(chunk(0))
    g.reconnected()
    gap = g.check(chunk(4, t0=3.0))
    assert gap is not None and gap.missing is None and gap.cause == "reconnect"
    g.reconnected()
    assert g.check(chunk(8, t0=3.0 + 4 / 256)) is None  # contiguous in time: no gap


def test_gap_tracker_restarted_count_gives_time_only():
    g = GapTracker("dev")
    g.check(chunk(100))
    gap = g.check(chunk(0, t0=1.0))
    assert gap is not None and gap.missing is None
