"""Where decisions and events become what others see: the VR app's status
message, and the summary records bound for the outbox.

Pure translation and aggregation, synchronous; the records it produces go
into a bounded queue that one task writes to the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.analysis import Decision
from agent.events import DeviceEvent
from agent.features import FEATURES, GROUPS
from agent.queues import BoundedQueue
from agent.status import DeviceState, DeviceStatus
from agent.summaries import MinuteAggregator, PainRating, SessionAggregator, SessionEnded, SessionStarted, VrEvent
from agent.summaries.records import DeviceStatus as HealthDeviceStatus
from agent.summaries.records import SummaryRecord
from agent.vrlink.hub import AppEvent
from agent.vrlink.messages import PainRating as PainRatingMessage
from agent.vrlink.messages import SessionEnd, SessionStart

_FEATURE_GROUP = {f.name: f.group for f in FEATURES}
_LINK_STATE = {DeviceState.STREAMING: "connected", DeviceState.CONNECTING: "connecting"}


def vr_event(event: AppEvent) -> VrEvent | None:
    """The summary input for an app message (markers and heartbeats are not summarised)."""
    m = event.message
    if isinstance(m, SessionStart):
        return SessionStarted(event.t, m.session_id, scene=m.scene_id)
    if isinstance(m, SessionEnd):
        return SessionEnded(event.t, m.session_id, completed=m.reason == "completed", reason=m.reason)
    if isinstance(m, PainRatingMessage):
        return PainRating(event.t, float(m.nrs), m.phase)
    return None


def vr_status(devices: Mapping[str, DeviceStatus], decision: Decision | None, calibration: float) -> dict[str, object]:
    """The status message the VR app shows: sensors, calibration, overall quality."""
    present, usable = [], []
    if decision is not None:
        present = [g for g in GROUPS if decision.features.sources[g] is not None]
        usable = [g for g in present if decision.features.group_ok(g)]
    sensors = []
    for d in devices.values():
        contact = all(s.quality_ok for s in d.streams.values()) if d.streams else None
        sensors.append({
            "id": d.device_id,
            "modality": next(iter(d.streams), d.driver),
            "state": _LINK_STATE.get(d.state, "disconnected"),
            "contact": contact,
        })
    if calibration >= 1.0:
        cal = {"state": "done", "progress": 1.0}
    else:
        cal = {"state": "running" if calibration > 0 else "needed", "progress": round(calibration, 3)}
    overall = "none" if not usable else "good" if usable == present else "degraded"
    return {"sensors": sensors, "calibration": cal, "quality": overall}


def health_devices(devices: Mapping[str, DeviceStatus], now: float) -> dict[str, HealthDeviceStatus]:
    out = {}
    for d in devices.values():
        last = max((s.last_t for s in d.streams.values() if s.last_t is not None), default=None)
        out[d.device_id] = HealthDeviceStatus(
            connected=d.state is DeviceState.STREAMING,
            last_seen_s=None if last is None else round(max(0.0, now - last), 3),
        )
    return out


class SummaryRecorder:
    """Feeds the minute and session aggregators and queues what they finish."""

    def __init__(self, wall_offset: float, out: BoundedQueue[SummaryRecord]) -> None:
        self.minutes = MinuteAggregator(wall_offset)
        self.sessions = SessionAggregator(wall_offset)
        self.out = out

    def decision(self, d: Decision) -> None:
        fv = d.features
        quality = {name: fv.quality[group].index for name, group in _FEATURE_GROUP.items()}
        self._queue(self.minutes.features(fv.t, fv.as_dict(), quality))
        self._queue(self.minutes.adaptation(d.adaptation))
        self.sessions.adaptation(d.adaptation)

    def device_event(self, e: DeviceEvent) -> None:
        self._queue(self.minutes.device_event(e))
        self.sessions.device_event(e)

    def app_event(self, e: AppEvent) -> None:
        ev = vr_event(e)
        if ev is None:
            return
        self._queue(self.minutes.vr_event(ev))
        done = self.sessions.vr_event(ev)
        if done is not None:
            self.out.put(done)

    def close(self, t: float) -> None:
        """The agent is stopping: an open session ends as not completed; the last minute is flushed."""
        done = self.sessions.abort(t)
        if done is not None:
            self.out.put(done)
        self._queue(self.minutes.flush(t))

    def _queue(self, records: list) -> None:
        for r in records:
            self.out.put(r)
