"""RR-interval series in milliseconds, one per line (``.txt``) or a 1-D ``.npy``.

They become one irregular ``rr`` stream in seconds; a sample's time is its
beat, the running sum of the intervals, so the first beat lies at the end of
the first interval. Such files carry no gaps and no wall-clock time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import READ_ERRORS, check, is_real, require, table
from drivers.replay.formats.sniff import Sniff, is_number
from drivers.replay.recording import RecordingUnreadable, StreamSelection, Track

NAME = "rr-intervals"
SUMMARY = "RR/NN intervals in ms, one per line (.txt) or a 1-D .npy"


def matches(s: Sniff) -> bool:
    if s.suffix == ".npy":
        return True
    return s.suffix == ".txt" and bool(s.head) and is_number(s.head[0])


def _intervals_ms(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        require(path)
        try:
            a: np.ndarray = np.load(path, allow_pickle=False)
        except READ_ERRORS as exc:
            raise RecordingUnreadable(path, f"not a readable .npy array ({type(exc).__name__}: {exc})") from exc
        check(
            path,
            a.ndim == 1 and is_real(a),
            f"expected a 1-D numeric array of ms, got {a.dtype} {a.shape}",
        )
        return a.astype(np.float64)
    return table(path, skiprows=0, columns=1)[:, 0]


def load(path: Path, select: StreamSelection) -> list[Track]:
    if not select.wants("rr"):
        return []
    rr_ms = _intervals_ms(path)
    check(
        path, bool(np.all(np.isfinite(rr_ms)) and np.all(rr_ms > 0)), "every interval must be a positive number of ms"
    )
    rr_s = rr_ms / 1000.0
    spec = StreamSpec("rr", Modality.RR, ("rr",), "s", None)
    return [Track(spec, rr_s, times_s=np.cumsum(rr_s))]
