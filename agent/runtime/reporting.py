"""Where decisions and events become what others see: the VR app's status
message, and the summary records bound for the outbox.

Pure translation and aggregation, synchronous; the records it produces go
into a bounded queue that one task writes to the outbox.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agent.base.events import DeviceEvent
from agent.base.queues import BoundedQueue
from agent.core.baseline import CalibrationNews
from agent.core.features import FEATURES, GROUPS
from agent.outputs.summaries import (
    CalibrationFinished,
    MarkerSeen,
    MinuteAggregator,
    PainRated,
    SessionAggregator,
    SessionEnded,
    SessionStarted,
    VrEvent,
)
from agent.outputs.summaries.records import SensorHealth, SummaryRecord
from agent.outputs.vrlink.journal import StoredSession
from agent.outputs.vrlink.messages import AppEventMessage, Marker, PainRating, SessionEnd, SessionStart
from agent.outputs.vrlink.recording import AppEvent
from agent.runtime.analysis import Decision
from agent.runtime.status import DeviceState

if TYPE_CHECKING:
    from agent.runtime.snapshot import AgentSnapshot

_FEATURE_GROUP = {f.name: f.group for f in FEATURES}
_LINK_STATE = {DeviceState.STREAMING: "connected", DeviceState.CONNECTING: "connecting"}


def vr_event(event: AppEvent) -> VrEvent | None:
    """The summary input for an app event: its agent time, its fields, the app's id and clock."""
    return _summary_input(event.t, event.message)


def _summary_input(t: float, m: AppEventMessage) -> VrEvent | None:
    ids = {"event_id": m.id, "t_app": m.t_app}
    if isinstance(m, SessionStart):
        return SessionStarted(t, m.session_id, scene=m.scene_id, **ids)
    if isinstance(m, SessionEnd):
        return SessionEnded(t, m.session_id, completed=m.reason == "completed", reason=m.reason, **ids)
    if isinstance(m, PainRating):
        return PainRated(t, float(m.nrs), m.phase, **ids)
    if isinstance(m, Marker):
        return MarkerSeen(t, m.label, scene_id=m.scene_id, value=m.value, **ids)
    return None


def vr_status(snap: AgentSnapshot) -> dict[str, object]:
    """The status message the VR app shows: sensors, calibration, overall quality."""
    decision = snap.decision
    present, usable = [], []
    if decision is not None:
        present = [g for g in GROUPS if decision.features.sources[g] is not None]
        usable = [g for g in present if decision.features.group_ok(g)]
    # A sensor's quality is that of the feature groups it feeds (the best, if several); nil if it feeds none.
    quality: dict[str, float] = {}
    if decision is not None:
        for g in present:
            device = decision.features.sources[g][0]  # type: ignore[index]
            quality[device] = max(quality.get(device, 0.0), round(decision.features.quality[g].index, 3))
    sensors = []
    for d in snap.devices:
        contact = all(s.quality_ok for s in d.streams) if d.streams else None
        sensors.append({
            "id": d.device_id,
            "modality": d.streams[0].name if d.streams else d.driver,
            "state": _LINK_STATE.get(d.state, "disconnected"),
            "quality": quality.get(d.device_id),
            "contact": contact,
        })
    calibration = snap.calibration
    if calibration >= 1.0:
        cal = {"state": "done", "progress": 1.0}
    else:
        cal = {"state": "running" if calibration > 0 else "needed", "progress": round(calibration, 3)}
    overall = "none" if not usable else "good" if usable == present else "degraded"
    return {"sensors": sensors, "calibration": cal, "quality": overall}


def health_devices(snap: AgentSnapshot) -> dict[str, SensorHealth]:
    """Each sensor's entry in the health record."""
    out = {}
    for d in snap.devices:
        last = d.last_t
        out[d.device_id] = SensorHealth(
            connected=d.state is DeviceState.STREAMING,
            last_seen_s=None if last is None else round(max(0.0, snap.t - last), 3),
        )
    return out


class SummaryRecorder:
    """Feeds the minute and session aggregators and queues what they finish."""

    def __init__(self, wall_offset: float, out: BoundedQueue[SummaryRecord]) -> None:
        self.minutes = MinuteAggregator(wall_offset)
        self.sessions = SessionAggregator(wall_offset)
        self.out = out
        self._news: CalibrationNews | None = None

    def decision(self, d: Decision) -> None:
        fv = d.features
        quality = {name: fv.quality[group].index for name, group in _FEATURE_GROUP.items()}
        self._queue(self.minutes.features(fv.t, fv.as_dict(), quality))
        self._queue(self.minutes.adaptation(d.adaptation))
        self.sessions.adaptation(d.adaptation)

    def calibration(self, news: CalibrationNews | None) -> None:
        """The baseline's latest news (``PatientBaseline.news``): the session summary records what its
        resting level rested on, a fresh calibration or a stored profile."""
        if news is None or news is self._news:
            return
        self._news = news
        self.sessions.vr_event(CalibrationFinished(news.t, news.source, ok=True, duration_s=news.duration_s))

    def device_event(self, e: DeviceEvent) -> None:
        self._queue(self.minutes.device_event(e))
        self.sessions.device_event(e)

    def restore(self, sessions: list[StoredSession]) -> None:
        """After a restart: summarise the journal's finished sessions that were not yet; resume the open one.

        Times come back from wall-clock seconds. Only the session summaries are rebuilt: the minutes
        of the previous run were already closed.
        """
        for stored in sessions:
            for ev in stored.events:
                summary_input = _summary_input(ev.wall - self.sessions.wall_offset, ev.message)
                if summary_input is not None and (done := self.sessions.vr_event(summary_input)) is not None:
                    self.out.put(done)
                if isinstance(summary_input, SessionStarted):
                    self.sessions.note_restarts(stored.restarts)
            if stored.state == "superseded" and stored.ended is not None:
                reason = f"superseded by session {stored.superseded_by!r}"
                if (done := self.sessions.abort(stored.ended - self.sessions.wall_offset, reason)) is not None:
                    self.out.put(done)
        if (open_id := self.sessions.open_session) is not None:
            now = time.time() - self.sessions.wall_offset  # the minutes from now on belong to the resumed session
            self._queue(self.minutes.vr_event(SessionStarted(now, open_id)))

    def app_event(self, e: AppEvent) -> None:
        ev = vr_event(e)
        if ev is None:
            return
        self._queue(self.minutes.vr_event(ev))
        done = self.sessions.vr_event(ev)
        if done is not None:
            self.out.put(done)

    def tick(self, t: float) -> None:
        """Close the minutes that ended by ``t`` (the agent calls this on a timer: a silent minute is news)."""
        self._queue(self.minutes.flush(t))

    def close(self, t: float, *, keep_session: bool = False) -> None:
        """The agent is stopping: the last minute is flushed, and an open session ends as not completed.

        ``keep_session``: the session is in the event journal and resumes when the agent starts again.
        """
        done = None if keep_session else self.sessions.abort(t)
        if done is not None:
            self.out.put(done)
        self._queue(self.minutes.flush(t))

    def _queue(self, records: list) -> None:
        for r in records:
            self.out.put(r)
