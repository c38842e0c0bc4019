"""Stream specs and the Chunk: the one value type drivers hand to the core."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


class Modality(enum.StrEnum):
    """What a stream measures; the signal stages dispatch on it."""

    ECG = "ecg"  # raw electrocardiogram, µV
    RR = "rr"  # beat-to-beat intervals, s, one sample per beat (irregular)
    HR = "hr"  # heart rate reported by the device, bpm
    PPG = "ppg"  # photoplethysmogram, device units
    EDA = "eda"  # skin conductance, µS
    EEG = "eeg"  # electroencephalogram, µV
    ACC = "acc"  # acceleration, g
    TEMP = "temp"  # skin temperature, °C
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What one stream carries. ``rate_hz`` is None for irregular streams (RR)."""

    name: str
    modality: Modality
    channels: tuple[str, ...]
    unit: str
    rate_hz: float | None

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError(f"stream {self.name!r} needs at least one channel")
        if self.rate_hz is not None and not self.rate_hz > 0:
            raise ValueError(f"stream {self.name!r}: rate_hz must be > 0 or None, got {self.rate_hz}")

    @property
    def n_channels(self) -> int:
        return len(self.channels)


def _frozen(a: npt.ArrayLike, dtype: type) -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=dtype)
    if arr.flags.writeable and arr.base is None:
        arr.setflags(write=False)
    elif arr.flags.writeable:  # a view of someone's buffer: copy so they cannot change us
        arr = arr.copy()
        arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of consecutive samples from one stream of one device.

    ``t`` is float64 seconds on the agent's monotonic clock, one per sample;
    ``x`` is float32 of shape (n, channels); ``device_t`` is the device's own
    time for each sample (seconds in its own time base) where it has one;
    ``seq`` is the stream index of the first sample, so the next chunk of an
    unbroken stream starts at ``seq + len(chunk)`` and a jump is a gap.
    The arrays are read-only: a chunk is shared by every consumer.
    """

    device_id: str
    spec: StreamSpec
    seq: int
    t: np.ndarray
    x: np.ndarray
    device_t: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        t = _frozen(self.t, np.float64).reshape(-1)
        x = _frozen(self.x, np.float32)
        if x.ndim == 1 and self.spec.n_channels == 1:
            x = x.reshape(-1, 1)
        if x.ndim != 2 or x.shape != (t.shape[0], self.spec.n_channels):
            raise ValueError(
                f"{self.device_id}/{self.spec.name}: x has shape {x.shape}, "
                f"expected ({t.shape[0]}, {self.spec.n_channels})"
            )
        if self.seq < 0:
            raise ValueError(f"{self.device_id}/{self.spec.name}: seq must be >= 0, got {self.seq}")
        set_(self, "t", t)
        set_(self, "x", x)
        if self.device_t is not None:
            dt = _frozen(self.device_t, np.float64).reshape(-1)
            if dt.shape != t.shape:
                raise ValueError(f"{self.device_id}/{self.spec.name}: device_t has {dt.shape[0]} samples, t has {t.shape[0]}")
            set_(self, "device_t", dt)

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def next_seq(self) -> int:
        """The seq the next chunk of an unbroken stream starts at."""
        return self.seq + len(self)

    @property
    def stream_key(self) -> tuple[str, str]:
        return (self.device_id, self.spec.name)
