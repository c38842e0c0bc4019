"""Device events: what happened to a device, as opposed to what it measured.

Every event carries the device id, so logs and the live view can always say
which sensor it was about. ``t`` is agent-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Connected:
    device_id: str
    t: float
    attempt: int = 1  # 1 for the first connection, >1 after reconnects

    kind = "connected"


@dataclass(frozen=True, slots=True)
class Disconnected:
    device_id: str
    t: float
    reason: str
    retry_in_s: float | None = None  # None when the agent is stopping

    kind = "disconnected"


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples are missing from a stream between ``t_start`` and ``t_end``.

    ``missing`` counts samples by sequence number where the stream has them
    (None when only time tells, e.g. across a reconnect).
    """

    device_id: str
    stream: str
    t_start: float
    t_end: float
    missing: int | None
    cause: str

    kind = "gap"

    @property
    def duration_s(self) -> float:
        return self.t_end - self.t_start


@dataclass(frozen=True, slots=True)
class Quality:
    """The device itself reports a signal-quality problem (or its end).

    ``ok`` False means the stream's data must not be trusted from ``t`` on,
    e.g. a chest strap that lost skin contact; ``ok`` True clears it.
    """

    device_id: str
    stream: str
    t: float
    ok: bool
    reason: str
    details: dict[str, float] = field(default_factory=dict)

    kind = "quality"


DeviceEvent = Connected | Disconnected | Gap | Quality
