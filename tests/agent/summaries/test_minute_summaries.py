"""Minute summaries from plain inputs: statistics, coverage, level time, quality and disconnects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.base.adaptation import Adaptation, Level
from agent.base.events import Disconnected, Gap, Quality
from agent.outputs.summaries import MinuteAggregator, MinuteSummary, SessionStarted

WALL = 6000.0  # agent t=0 is the start of a wall-clock minute


def a(t: float, level: Level, distress: float = 0.2, ttl: float = 100.0) -> Adaptation:
    return Adaptation(seq=int(t), t=t, level=level, distress=distress, confidence=0.9, ttl_s=ttl)


def test_a_minute_summarises_features_levels_quality_and_disconnects() -> None:
    agg = MinuteAggregator(wall_offset=WALL)
    out: list[MinuteSummary] = []
    out += agg.vr_event(SessionStarted(0.0, "s-1"))
    out += agg.device_event(Disconnected("strap", 5.0, "link lost"))
    out += agg.adaptation(a(10.0, Level.CALM, 0.1))
    out += agg.device_event(Quality("strap", "rr", 30.0, ok=False, reason="no skin contact"))
    for i in range(150 * 4):
        t = i / 4
        if t == 70.0:
            out += agg.adaptation(a(70.0, Level.DISTRESSED, 0.9, ttl=5.0))
        out += agg.features(t, {"hr_bpm": 60.0 + t // 60, "rmssd_ms": None if t < 30 else 40.0}, {"hr_bpm": 0.8})
        if t == 65.0:
            out += agg.device_event(Gap("strap", "rr", 62.0, 65.0, missing=3, cause="dropout"))
        if t == 90.0:
            out += agg.device_event(Quality("strap", "rr", 90.0, ok=True, reason="contact back"))
    assert [m.start for m in out] == [6000.0, 6060.0]
    m0, m1 = out
    assert m0.session_id == "s-1" and m0.end == 6060.0
    assert m0.features["hr_bpm"].mean == 60.0 and m0.features["hr_bpm"].ticks == 240
    assert m0.features["hr_bpm"].coverage == 1.0 and m0.features["hr_bpm"].quality == pytest.approx(0.8)
    assert m0.features["rmssd_ms"].coverage == 0.5 and m0.features["rmssd_ms"].min == 40.0
    assert m0.levels_s == {Level.CALM: 50.0}
    assert m1.levels_s == {Level.CALM: 10.0, Level.DISTRESSED: 5.0}
    assert m0.streams["strap/rr"].bad_quality_s == 30.0 and m1.streams["strap/rr"].bad_quality_s == 30.0
    assert m1.streams["strap/rr"].gap_s == 3.0 and m1.streams["strap/rr"].gaps == 1
    assert m0.disconnects == {"strap": 1} and m1.disconnects == {}
    assert m0.distress.n == 1 and m0.distress.histogram == [1, 0, 0, 0, 0]
    assert m1.distress.mean == 0.9 and m1.distress.histogram == [0, 0, 0, 0, 1] and m1.adaptations == 1
    assert m1.features["hr_bpm"].mean == 61.0


def test_every_minute_from_the_first_input_on_is_reported_an_empty_one_too() -> None:
    """An empty minute says the agent was up and heard nothing; no record at all is what a down agent looks like."""
    agg = MinuteAggregator(wall_offset=WALL)
    assert agg.flush(600.0) == []  # nothing has arrived yet: nothing to say
    agg.features(1.0, {"hr_bpm": 70.0})
    agg.device_event(Disconnected("strap", 30.0, "link lost"))
    out = agg.flush(200.0)  # on the agent's timer: nothing else arrived for three minutes
    assert [m.start for m in out] == [6000.0, 6060.0, 6120.0]
    assert out[0].disconnects == {"strap": 1} and out[0].features["hr_bpm"].ticks == 1
    assert out[1].disconnects == {} and not out[1].features and out[1].distress.n == 0 and out[1].adaptations == 0
    out = agg.features(3600.0, {"hr_bpm": 71.0})
    assert [m.start for m in out] == [6000.0 + 60.0 * k for k in range(3, 60)]  # contiguous, each once
    assert out[-1].features == {} and [m.start for m in agg.flush(3660.0)] == [6000.0 + 3600.0]


@settings(max_examples=60, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.floats(0.0, 600.0), st.sampled_from(list(Level)), st.floats(0.5, 200.0)), min_size=1, max_size=20
    ),
    offset=st.floats(0.0, 59.0),
)
def test_time_at_each_level_is_exact_however_minutes_cut_it(
    changes: list[tuple[float, Level, float]], offset: float
) -> None:
    changes = sorted(changes)
    end = 900.0
    agg = MinuteAggregator(wall_offset=WALL + offset)
    out: list[MinuteSummary] = []
    for t, level, ttl in changes:
        out += agg.adaptation(a(t, level, ttl=ttl))
    out += agg.flush(end + 120.0)
    expected: dict[Level, float] = {}
    for i, (t, level, ttl) in enumerate(changes):  # the rule: in force until the next change or its ttl
        nxt = changes[i + 1][0] if i + 1 < len(changes) else float("inf")
        expected[level] = expected.get(level, 0.0) + max(0.0, min(t + ttl, nxt, end + 120.0) - t)
    got: dict[Level, float] = {}
    for m in out:
        for level, s in m.levels_s.items():
            got[level] = got.get(level, 0.0) + s
    assert set(got) <= set(expected)
    for level, s in expected.items():
        assert got.get(level, 0.0) == pytest.approx(s, abs=1e-5)
