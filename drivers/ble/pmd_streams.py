"""PMD data frames to Chunks on the agent clock.

Pure and synchronous. The sensor stamps each frame with the time of its
last sample (ns since 2000 on the sensor's own clock, which may never have
been set); earlier samples are derived backwards at the interval the
sensor's clock shows between frames. One :class:`~agent.base.clock.DeviceClock`
per sensor maps its clock onto agent time. Because the sensor clock keeps
running while the link is down, a jump between frames counts the samples
missed exactly, across reconnects too, and the sequence numbers show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.plugin import Chunk, DeviceClock, Modality, ProtocolError, StreamSpec
from drivers.ble.pmd import Measurement, decode_frame

ECG_SPEC = StreamSpec("ecg", Modality.ECG, ("ecg",), "uV", 130.0)
ACC_SPEC = StreamSpec("acc", Modality.ACC, ("x", "y", "z"), "g", 200.0)

_RATE_TOLERANCE = 0.05  # a sensor clock within 5 % of nominal sets the sample interval itself
_SCALE = {Measurement.ECG: 1.0, Measurement.ACC: 1e-3}  # µV stays µV; milli-g to g


@dataclass(slots=True)
class _StreamState:
    spec: StreamSpec
    scale: float
    next_seq: int = 0
    last_ts_ns: int | None = None


class PmdStreams:
    def __init__(self, device_id: str, log: Any = None) -> None:
        self.device_id = device_id
        self.log = log
        self.clock = DeviceClock(tick_hz=1e9, window_s=300.0, bucket_s=2.0)
        self._streams: dict[int, _StreamState] = {}
        self.frames = 0
        self.malformed = 0
        self.missing_samples = 0

    def expect(self, measurement: Measurement, rate_hz: float) -> StreamSpec:
        """Declare a started measurement and its rate; frames of others are dropped."""
        base = ECG_SPEC if measurement is Measurement.ECG else ACC_SPEC
        spec = StreamSpec(base.name, base.modality, base.channels, base.unit, float(rate_hz))
        state = self._streams.get(measurement)
        if state is None:
            self._streams[measurement] = _StreamState(spec, _SCALE[measurement])
        else:  # restarted after a reconnect: keep counting, so the gap shows in seq
            state.spec = spec
        return spec

    def _drop(self, reason: str) -> None:
        self.malformed += 1
        if self.log is not None:
            self.log.warning("ble.pmd.malformed", error=reason, count=self.malformed)

    def on_frame(self, data: bytes | bytearray, arrival: float) -> Chunk | None:
        self.frames += 1
        try:
            frame = decode_frame(data)
        except ProtocolError as exc:
            self._drop(str(exc))
            return None
        state = self._streams.get(frame.measurement)
        if state is None:
            self._drop(f"frame for measurement {frame.measurement}, which was not started")
            return None
        n = len(frame)
        nominal = 1.0 / float(state.spec.rate_hz or 1.0)
        dt, missing = nominal, 0
        if state.last_ts_ns is not None:
            if frame.timestamp_ns == state.last_ts_ns:
                self._drop("repeated frame timestamp")
                return None
            elapsed = (frame.timestamp_ns - state.last_ts_ns) / 1e9
            if abs(elapsed / n - nominal) <= _RATE_TOLERANCE * nominal:
                dt = elapsed / n  # the sensor's own sample interval
            elif elapsed > 0:
                missing = max(0, round(elapsed / nominal) - n)
            # elapsed < 0: the sensor clock was set or reset; the device clock re-learns it
        state.last_ts_ns = frame.timestamp_ns
        last_s = frame.timestamp_ns / 1e9
        device_t = last_s - dt * np.arange(n - 1, -1, -1, dtype=np.float64)
        # Increasing, and never after the frame carrying it arrived.
        t = self.clock.stamp(device_t, arrival)
        x = frame.samples.astype(np.float32) * np.float32(state.scale)
        chunk = Chunk(self.device_id, state.spec, state.next_seq + missing, t, x, device_t=device_t)
        state.next_seq = chunk.next_seq
        self.missing_samples += missing
        return chunk
