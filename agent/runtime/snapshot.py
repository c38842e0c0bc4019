"""One immutable picture of the running agent, taken once per status period.

Everything that shows the agent's state renders an :class:`AgentSnapshot`
rather than reading the agent: the status file (:mod:`agent.runtime.statusfile`),
the VR app's status frame and the health record's sensors
(:mod:`agent.runtime.reporting`), sd_notify's STATUS (:mod:`agent.runtime.service`) and the
plain view of ``edge-agent run`` (:mod:`agent.commands.cli.liveview`). The running
agent builds it (``Agent.snapshot``); readers never see a half-updated
device or reach into a stage. Its containers are copies, read-only where
they are mappings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from agent.runtime.status import DeviceState, DeviceStatus, StreamStatus

if TYPE_CHECKING:
    from agent.core.engine import Decision


def frozen_mapping(data: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if data is None else MappingProxyType(dict(data))


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    name: str
    unit: str
    nominal_hz: float | None
    rate_hz: float | None  # measured over the last few seconds
    samples: int
    last_t: float | None  # agent time of the newest sample
    last_values: tuple[float, ...]
    quality_ok: bool
    quality_reason: str

    @classmethod
    def of(cls, s: StreamStatus) -> StreamSnapshot:
        return cls(s.name, s.unit, s.nominal_hz, s.rate_hz, s.samples, s.last_t, tuple(s.last_values),
                   s.quality_ok, s.quality_reason)


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    device_id: str
    driver: str
    state: DeviceState
    detail: str
    connects: int
    disconnects: int
    gaps: int
    missing_samples: int
    streams: tuple[StreamSnapshot, ...]

    @classmethod
    def of(cls, d: DeviceStatus) -> DeviceSnapshot:
        return cls(d.device_id, d.driver, d.state, d.detail, d.connects, d.disconnects, d.gaps,
                   d.missing_samples, tuple(StreamSnapshot.of(s) for s in d.streams.values()))

    @property
    def samples(self) -> int:
        return sum(s.samples for s in self.streams)

    @property
    def last_t(self) -> float | None:
        return max((s.last_t for s in self.streams if s.last_t is not None), default=None)

    def as_dict(self, now: float) -> dict[str, object]:
        """The device's row in ``status.json`` (``age_s``: seconds since the stream's newest sample)."""
        return {
            "device_id": self.device_id, "driver": self.driver, "state": self.state.value, "detail": self.detail,
            "connects": self.connects, "disconnects": self.disconnects, "gaps": self.gaps,
            "missing_samples": self.missing_samples,
            "streams": {
                s.name: {
                    "rate_hz": None if s.rate_hz is None else round(s.rate_hz, 2),
                    "nominal_hz": s.nominal_hz,
                    "samples": s.samples,
                    "last": [round(v, 4) for v in s.last_values if math.isfinite(v)],
                    "unit": s.unit,
                    "quality_ok": s.quality_ok,
                    "quality_reason": s.quality_reason,
                    "age_s": None if s.last_t is None else round(max(0.0, now - s.last_t), 2),
                }
                for s in self.streams
            },
        }


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    depth: int
    capacity: int
    dropped: int


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """The agent at agent time ``t`` (wall clock ``wall``)."""

    t: float
    wall: float
    uptime_s: float
    config_source: str
    runtime_dir: Path
    devices: tuple[DeviceSnapshot, ...]
    decision: Decision | None  # the latest tick's features and adaptation (itself immutable)
    calibration: float  # 0-1: how far the baseline calibration is
    ticks: int
    processed: int  # readings the pipeline has consumed: the watchdog's proof of life
    readings: QueueSnapshot
    vrlink: Mapping[str, Any] | None  # the VR link's statistics; None when it is disabled
    outbox: Mapping[str, Any] | None  # as of the last read (the outbox answers from a thread)
    sync: Mapping[str, Any] | None  # None without [sync]
    model: Mapping[str, Any]

    @property
    def streaming(self) -> int:
        return sum(d.state is DeviceState.STREAMING for d in self.devices)

    @property
    def samples(self) -> int:
        """Samples that arrived from every device so far."""
        return sum(d.samples for d in self.devices)

    @property
    def vr_clients(self) -> int | None:
        return None if self.vrlink is None else int(self.vrlink.get("clients", 0))

    def summary(self) -> str:
        """One line: sd_notify's STATUS=, shown by ``systemctl status``."""
        text = f"{self.streaming}/{len(self.devices)} sensors streaming"
        if self.decision is not None:
            text += f"; level {self.decision.adaptation.level.value}"
        if self.sync is not None:
            text += f"; cloud {self.sync.get('state')}"
        return text
