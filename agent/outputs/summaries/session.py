"""Session summaries: from the VR app's session start to its end, pure and synchronous."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.base.adaptation import Adaptation, Level
from agent.base.events import DeviceEvent, Disconnected
from agent.outputs.summaries.events import (
    CalibrationFinished,
    MarkerSeen,
    PainRated,
    SessionEnded,
    SessionStarted,
    VrEvent,
)
from agent.outputs.summaries.levels import LevelTime, add_into
from agent.outputs.summaries.records import MarkerEntry, PainRatingEntry, SessionCalibration, SessionSummary


@dataclass
class _Open:
    started: SessionStarted
    levels_s: dict[Level, float] = field(default_factory=dict)
    by_level: dict[Level, int] = field(default_factory=dict)
    changes: int = 0
    last_level: Level | None = None
    calibration: SessionCalibration = field(default_factory=SessionCalibration)
    pain: list[PainRatingEntry] = field(default_factory=list)
    disconnects: dict[str, int] = field(default_factory=dict)
    markers: list[MarkerEntry] = field(default_factory=list)
    restarts: int = 0


class SessionAggregator:
    """Feed it everything; it returns a :class:`SessionSummary` when a session ends.

    A calibration reported just before the session starts (the usual order:
    rest, then scene) belongs to that session. Pain "before" and "after" are
    the last rating of each phase. A session that is still open when the
    agent stops is closed by :meth:`abort` as not completed.
    """

    def __init__(self, wall_offset: float) -> None:
        self.wall_offset = wall_offset
        self._open: _Open | None = None
        self._levels = LevelTime()
        self._pending_calibration: SessionCalibration | None = None
        self._pending_pain: list[PainRated] = []  # "before" ratings given before the app announced the session

    def adaptation(self, a: Adaptation) -> None:
        spent = self._levels.set(a)
        if self._open is None:
            return
        s = self._open
        add_into(s.levels_s, spent)
        s.by_level[a.level] = s.by_level.get(a.level, 0) + 1
        if s.last_level is not None and a.level is not s.last_level:
            s.changes += 1
        s.last_level = a.level

    def device_event(self, e: DeviceEvent) -> None:
        if self._open is not None and isinstance(e, Disconnected):
            self._open.disconnects[e.device_id] = self._open.disconnects.get(e.device_id, 0) + 1

    def vr_event(self, e: VrEvent) -> SessionSummary | None:
        done = None
        if isinstance(e, SessionStarted):
            if self._open is not None:  # a start without an end: the old one did not complete
                done = self._close(e.t, completed=False, reason="superseded by a new session")
            self._levels.advance(e.t)
            self._open = _Open(e)
            if self._pending_calibration is not None:
                self._open.calibration, self._pending_calibration = self._pending_calibration, None
            self._open.pain = [_pain(p, e.t) for p in self._pending_pain]
            self._pending_pain = []
        elif isinstance(e, CalibrationFinished):
            cal = SessionCalibration(source=e.source, ok=e.ok, duration_s=e.duration_s)
            if self._open is not None:
                self._open.calibration = cal
            else:
                self._pending_calibration = cal
        elif isinstance(e, PainRated) and self._open is not None:
            self._open.pain.append(_pain(e, self._open.started.t))
        elif isinstance(e, MarkerSeen) and self._open is not None:
            self._open.markers.append(MarkerEntry(at_s=e.t - self._open.started.t, label=e.label, scene_id=e.scene_id,
                                                  value=e.value, id=e.event_id, t_app=e.t_app))
        elif isinstance(e, PainRated) and e.phase == "before":
            self._pending_pain = [*self._pending_pain[-4:], e]
        elif isinstance(e, SessionEnded) and self._open is not None and e.session_id == self._open.started.session_id:
            done = self._close(e.t, completed=e.completed, reason=e.reason, end=e)
        return done

    def note_restarts(self, restarts: int) -> None:
        """The open session was resumed after the agent restarted (``restarts`` times so far)."""
        if self._open is not None:
            self._open.restarts = restarts

    @property
    def open_session(self) -> str | None:
        return None if self._open is None else self._open.started.session_id

    def abort(self, t: float, reason: str = "agent stopped") -> SessionSummary | None:
        return None if self._open is None else self._close(t, completed=False, reason=reason)

    def _close(
        self, t: float, *, completed: bool, reason: str | None, end: SessionEnded | None = None
    ) -> SessionSummary:
        s = self._open
        assert s is not None
        add_into(s.levels_s, self._levels.advance(t))
        self._open = None
        start = s.started.t
        before = [p.score for p in s.pain if p.phase == "before"]
        after = [p.score for p in s.pain if p.phase == "after"]
        return SessionSummary(
            session_id=s.started.session_id,
            start=start + self.wall_offset,
            end=t + self.wall_offset,
            duration_s=max(0.0, t - start),
            scene=s.started.scene,
            completed=completed,
            end_reason=reason,
            levels_s={k: round(v, 6) for k, v in s.levels_s.items()},
            adaptations=sum(s.by_level.values()),
            adaptations_by_level=dict(s.by_level),
            level_changes=s.changes,
            calibration=s.calibration,
            pain_before=before[-1] if before else None,
            pain_after=after[-1] if after else None,
            pain_ratings=list(s.pain),
            disconnects=dict(s.disconnects),
            markers=list(s.markers),
            start_id=s.started.event_id,
            end_id=None if end is None else end.event_id,
            t_app_start=s.started.t_app,
            agent_restarts=s.restarts,
        )


def _pain(p: PainRated, start: float) -> PainRatingEntry:
    return PainRatingEntry(at_s=p.t - start, score=p.score, phase=p.phase, id=p.event_id, t_app=p.t_app)
