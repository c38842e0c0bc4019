"""Session summaries from the VR app's events, the adaptations and device events."""

from __future__ import annotations

from agent.base.adaptation import Adaptation, Level
from agent.base.events import Disconnected
from agent.outputs.summaries import CalibrationFinished, PainRated, SessionAggregator, SessionEnded, SessionStarted


def a(t: float, level: Level) -> Adaptation:
    return Adaptation(seq=int(t), t=t, level=level, distress=0.5, confidence=0.9, ttl_s=1000.0)


def test_a_completed_session() -> None:
    agg = SessionAggregator(wall_offset=1_000_000.0)
    assert agg.vr_event(CalibrationFinished(80.0, "fresh", ok=True, duration_s=60.0)) is None
    assert agg.vr_event(PainRated(90.0, 6.0, "before")) is None
    agg.vr_event(SessionStarted(100.0, "s-1", scene="beach"))
    agg.adaptation(a(100.0, Level.CALM))
    agg.adaptation(a(400.0, Level.ELEVATED))
    agg.adaptation(a(460.0, Level.ELEVATED))
    agg.device_event(Disconnected("strap", 500.0, "link lost"))
    agg.adaptation(a(520.0, Level.CALM))
    agg.vr_event(PainRated(690.0, 3.0, "after"))
    s = agg.vr_event(SessionEnded(700.0, "s-1", completed=True))
    assert s is not None
    assert (s.session_id, s.scene, s.completed, s.duration_s) == ("s-1", "beach", True, 600.0)
    assert (s.start, s.end) == (1_000_100.0, 1_000_700.0)
    assert s.levels_s == {Level.CALM: 480.0, Level.ELEVATED: 120.0}
    assert s.adaptations == 4 and s.adaptations_by_level == {Level.CALM: 2, Level.ELEVATED: 2} and s.level_changes == 2
    assert s.calibration.source == "fresh" and s.calibration.ok and s.calibration.duration_s == 60.0
    assert (s.pain_before, s.pain_after) == (6.0, 3.0)
    assert [p.at_s for p in s.pain_ratings] == [-10.0, 590.0]
    assert s.disconnects == {"strap": 1}


def test_an_unfinished_session_is_reported_as_not_completed() -> None:
    agg = SessionAggregator(wall_offset=0.0)
    agg.vr_event(SessionStarted(0.0, "s-1"))
    nxt = agg.vr_event(SessionStarted(50.0, "s-2"))
    assert nxt is not None and not nxt.completed and nxt.end_reason == "superseded by a new session"
    assert agg.vr_event(SessionEnded(60.0, "other", completed=True)) is None  # not the open session
    s = agg.abort(90.0)
    assert s is not None and s.session_id == "s-2" and not s.completed and s.duration_s == 40.0
    assert s.pain_before is None and s.calibration.source == "none"
