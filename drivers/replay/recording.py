"""A loaded recording: one :class:`Track` per stream, and the errors loading can raise.

A track keeps the recording's own arrays (float32 samples, read-only, so
every chunk is a zero-copy view) and knows each sample's recording offset:
computed from ``start_s`` and the rate for a regular stream, stored for an
irregular or gapped one. ``seq`` is stored only where the recording has
gaps; otherwise a sample's seq is its index.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agent.plugin import ConfigError, RecordingUnreadable, StreamSpec

__all__ = ["RecordingUnreadable", "StreamSelection", "Track", "frozen", "seq_from_times"]

_EDGE_EPS = 1e-6  # in samples: keeps float rounding from moving a sample across a chunk edge


def frozen(a: npt.ArrayLike, dtype: type) -> np.ndarray:
    """A C-contiguous read-only copy-if-needed, so chunks can be views of it.

    Values too large for ``dtype`` raise FloatingPointError instead of becoming inf.
    """
    with np.errstate(over="raise"):
        arr: np.ndarray = np.ascontiguousarray(a, dtype=dtype)
    if arr.flags.writeable:
        arr = arr.copy() if arr.base is not None else arr
        arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class Track:
    """One stream of a recording.

    ``x`` is (n, channels) float32 in the spec's unit. Sample ``i`` lies at
    recording offset ``start_s + i / rate`` for a regular track, or at
    ``times_s[i]`` when ``times_s`` is given (irregular streams and streams
    whose own timestamps show gaps). The device's own time of a sample is
    ``device_origin + offset``. ``seq`` is the stream index per sample where
    the recording has gaps (it jumps over the missing samples).
    """

    spec: StreamSpec
    x: np.ndarray
    start_s: float = 0.0
    times_s: np.ndarray | None = None
    seq: np.ndarray | None = None
    device_origin: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        x = frozen(self.x, np.float32)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if x.ndim != 2 or x.shape[1] != self.spec.n_channels:
            raise ValueError(f"track {self.spec.name!r}: x has shape {x.shape}, expected (n, {self.spec.n_channels})")
        set_(self, "x", x)
        n = x.shape[0]
        if self.times_s is None:
            if self.spec.rate_hz is None:
                raise ValueError(f"track {self.spec.name!r} is irregular, so it needs times_s")
        else:
            times = frozen(self.times_s, np.float64).reshape(-1)
            if times.shape[0] != n:
                raise ValueError(f"track {self.spec.name!r}: {times.shape[0]} times for {n} samples")
            if n > 1 and not np.all(np.diff(times) >= 0):
                raise ValueError(f"track {self.spec.name!r}: sample times go backwards")
            set_(self, "times_s", times)
        if self.seq is not None:
            seq = frozen(self.seq, np.int64).reshape(-1)
            if seq.shape[0] != n:
                raise ValueError(f"track {self.spec.name!r}: {seq.shape[0]} seq numbers for {n} samples")
            if n > 1 and not np.all(np.diff(seq) >= 1):
                raise ValueError(f"track {self.spec.name!r}: seq must increase")
            set_(self, "seq", seq)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def name(self) -> str:
        return self.spec.name

    def offsets(self, lo: int, hi: int) -> np.ndarray:
        """Recording offsets (s) of samples ``lo:hi``."""
        if self.times_s is not None:
            return self.times_s[lo:hi]
        assert self.spec.rate_hz is not None
        return self.start_s + np.arange(lo, hi, dtype=np.float64) / self.spec.rate_hz

    def offset(self, i: int) -> float:
        if self.times_s is not None:
            return float(self.times_s[i])
        assert self.spec.rate_hz is not None
        return self.start_s + i / self.spec.rate_hz

    def offsets_of(self, idx: np.ndarray) -> np.ndarray:
        """Recording offsets (s) of the samples at indices ``idx``."""
        if self.times_s is not None:
            picked: np.ndarray = self.times_s[idx]
            return picked
        assert self.spec.rate_hz is not None
        return self.start_s + idx / self.spec.rate_hz

    def index_at(self, offset_s: float) -> int:
        """Index of the first sample at or after ``offset_s`` (``len`` if none)."""
        if self.times_s is not None:
            return int(np.searchsorted(self.times_s, offset_s, side="left"))
        assert self.spec.rate_hz is not None
        i = math.ceil((offset_s - self.start_s) * self.spec.rate_hz - _EDGE_EPS)
        return min(max(i, 0), len(self))

    def indices_at(self, offsets_s: np.ndarray) -> np.ndarray:
        """:meth:`index_at` of many offsets at once."""
        if self.times_s is not None:
            return np.searchsorted(self.times_s, offsets_s, side="left").astype(np.int64)
        assert self.spec.rate_hz is not None
        i = np.ceil((offsets_s - self.start_s) * self.spec.rate_hz - _EDGE_EPS).astype(np.int64)
        return np.clip(i, 0, len(self))

    def seq_at(self, i: int) -> int:
        return int(self.seq[i]) if self.seq is not None else i

    def seqs(self, lo: int, hi: int) -> np.ndarray:
        if self.seq is not None:
            return self.seq[lo:hi]
        return np.arange(lo, hi, dtype=np.int64)

    def end_s(self) -> float:
        """Recording offset just after the last sample (one period after it, if regular)."""
        if not len(self):
            return self.start_s
        last = self.offset(len(self) - 1)
        return last + (1.0 / self.spec.rate_hz if self.spec.rate_hz else 0.0)


def seq_from_times(times_s: np.ndarray, rate_hz: float, *, gap_periods: float = 1.5) -> np.ndarray | None:
    """Stream indices for samples of a nominally regular stream stamped with real times.

    A step longer than ``gap_periods`` sample periods is a gap: seq jumps by
    the number of samples that would have fitted in it. Jittery but unbroken
    timestamps keep consecutive seq. Returns None when there is no gap.
    """
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    if t.shape[0] < 2:
        return None
    steps = np.diff(t) * rate_hz
    gaps = steps > gap_periods
    if not gaps.any():
        return None
    jumps = np.ones(t.shape[0] - 1, dtype=np.int64)
    jumps[gaps] = np.rint(steps[gaps]).astype(np.int64)
    return np.concatenate(([0], np.cumsum(jumps)))


class StreamSelection:
    """Which streams to load; loaders ask before reading a stream's data.

    Every name a loader asks about is remembered, so a requested stream the
    recording does not have is reported with the names it does have.
    A stream asked about ``on_request`` is loaded only when named: what a
    vendor's software derived from a signal the recording also holds (an E4's
    beat intervals from its pulse), which no sensor of ours would send beside it.
    """

    def __init__(self, names: Iterable[str] | None = None, optional: Iterable[str] = ()) -> None:
        self.wanted = frozenset(names) if names is not None else None
        self.optional = frozenset(optional)  # loaded when present, never missed (a replay's labels)
        self.available: list[str] = []

    def wants(self, name: str, *, on_request: bool = False) -> bool:
        self.available.append(name)
        if self.wanted is None:
            return not on_request
        return name in self.wanted or name in self.optional

    def names(self, name: str) -> bool:
        """Whether the selection names ``name`` (rather than taking every stream by default)."""
        return self.wanted is not None and name in self.wanted

    def check(self, path: Path) -> None:
        missing = sorted((self.wanted or frozenset()) - set(self.available))
        if missing:
            raise ConfigError(
                f"{path}: no stream {', '.join(map(repr, missing))}; it has {', '.join(self.available)}",
                source=str(path),
                field="streams",
            )
