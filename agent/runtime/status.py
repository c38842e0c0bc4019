"""What the agent knows about each device right now, updated in one place (the supervisor).

Readers see it through :class:`agent.runtime.snapshot.DeviceSnapshot`, an immutable copy."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.base.stream import Chunk


class DeviceState(enum.StrEnum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    BACKOFF = "backoff"  # waiting before the next reconnect
    UNAVAILABLE = "unavailable"  # its driver's library is missing
    MISCONFIGURED = "misconfigured"  # the driver found a setting it cannot work with
    FINISHED = "finished"  # a recording that has played to its end
    STOPPED = "stopped"


@dataclass(slots=True)
class StreamStatus:
    """Rate measured over a sliding window of recent chunks, and the latest values."""

    name: str
    unit: str
    channels: tuple[str, ...]
    nominal_hz: float | None
    samples: int = 0
    last_t: float | None = None
    last_values: tuple[float, ...] = ()
    rate_hz: float | None = None
    quality_ok: bool = True
    quality_reason: str = ""
    _window: deque[tuple[float, int]] = field(default_factory=deque)  # (chunk end t, samples)
    _window_samples: int = 0  # the sum over _window, kept as chunks come and go (this runs per chunk)

    def update(self, chunk: Chunk, window_s: float = 5.0) -> None:
        n = len(chunk)
        if n == 0:
            return
        self.samples += n
        end = float(chunk.t[-1])
        self.last_t = end
        self.last_values = tuple(chunk.x[-1].tolist())
        self._window.append((end, n))
        self._window_samples += n
        while self._window and end - self._window[0][0] > window_s:
            self._window_samples -= self._window.popleft()[1]
        span = end - self._window[0][0]
        if len(self._window) >= 2 and span > 0:
            self.rate_hz = (self._window_samples - self._window[0][1]) / span


@dataclass(slots=True)
class DeviceStatus:
    device_id: str
    driver: str
    state: DeviceState = DeviceState.CONNECTING
    detail: str = ""
    connects: int = 0
    disconnects: int = 0
    gaps: int = 0
    missing_samples: int = 0
    streams: dict[str, StreamStatus] = field(default_factory=dict)

    def on_chunk(self, chunk: Chunk) -> None:
        s = self.streams.get(chunk.spec.name)
        if s is None:
            spec = chunk.spec
            s = self.streams[spec.name] = StreamStatus(spec.name, spec.unit, spec.channels, spec.rate_hz)
        s.update(chunk)
