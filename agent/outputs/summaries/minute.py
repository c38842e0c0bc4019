"""Minute summaries: pure and synchronous, inputs in, finished minutes out.

Minutes are aligned on the wall clock (``wall = t + wall_offset``), so the
backend can line up devices. Every input first closes the minutes it has
moved past and returns their summaries. From the first input on, every
minute is reported, an empty one too: it says the agent was up and heard
nothing (sensors off, stalled, a machine too busy), which no record at all
cannot say, since that is what an agent that is down looks like. The agent
closes minutes on a timer (:meth:`flush`), so a silent minute is not held
back until the next input. Gaps are attributed to the minute in which they
are reported; poor device-reported quality is integrated over time, split
exactly at minute boundaries, as is the time at each adaptation level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from agent.base.adaptation import Adaptation, Level
from agent.base.events import DeviceEvent, Disconnected, Gap, Quality
from agent.outputs.summaries.events import SessionEnded, SessionStarted, VrEvent
from agent.outputs.summaries.levels import LevelTime, add_into
from agent.outputs.summaries.records import DISTRESS_BINS, DistressStats, FeatureStats, MinuteSummary, StreamHealth

MINUTE_S = 60.0


@dataclass
class _Feature:
    values: list[float] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)


@dataclass
class _Stream:
    gap_s: float = 0.0
    gaps: int = 0
    bad_quality_s: float = 0.0


@dataclass
class _Minute:
    start_wall: float
    ticks: int = 0
    features: dict[str, _Feature] = field(default_factory=dict)
    distress: list[float] = field(default_factory=list)
    adaptations: int = 0
    levels_s: dict[Level, float] = field(default_factory=dict)
    streams: dict[str, _Stream] = field(default_factory=dict)
    disconnects: dict[str, int] = field(default_factory=dict)
    session_id: str | None = None


class MinuteAggregator:
    def __init__(self, wall_offset: float) -> None:
        self.wall_offset = wall_offset  # wall-clock seconds minus agent-clock seconds
        self._minute: _Minute | None = None
        self._levels = LevelTime()
        self._bad_since: dict[str, float] = {}  # stream key -> agent t its quality went bad
        self._session: str | None = None

    # -- inputs --------------------------------------------------------------

    def features(self, t: float, values: Mapping[str, float | None],
                 quality: Mapping[str, float] | None = None) -> list[MinuteSummary]:
        """One feature tick: each named feature's value, None where it is unavailable."""
        done = self._roll(t)
        m = self._current(t)
        m.ticks += 1
        features = m.features
        for name, value in values.items():
            f = features.get(name)
            if f is None:  # not setdefault: that would build a _Feature per feature per tick only to drop it
                f = features[name] = _Feature()
            if value is not None and math.isfinite(value):
                f.values.append(float(value))
                if quality is not None and name in quality:
                    f.quality.append(float(quality[name]))
        return done

    def adaptation(self, a: Adaptation) -> list[MinuteSummary]:
        done = self._roll(a.t)
        m = self._current(a.t)
        add_into(m.levels_s, self._levels.set(a))
        m.adaptations += 1
        if a.level is not Level.HOLD:  # "hold" carries no distress estimate worth averaging
            m.distress.append(a.distress)
        return done

    def device_event(self, e: DeviceEvent) -> list[MinuteSummary]:
        t = e.t_end if isinstance(e, Gap) else e.t
        done = self._roll(t)
        m = self._current(t)
        if isinstance(e, Disconnected):
            m.disconnects[e.device_id] = m.disconnects.get(e.device_id, 0) + 1
        elif isinstance(e, Gap):
            h = self._stream(m, f"{e.device_id}/{e.stream}")
            h.gap_s += max(0.0, e.duration_s)
            h.gaps += 1
        elif isinstance(e, Quality):
            key = f"{e.device_id}/{e.stream}"
            self._stream(m, key)
            if not e.ok:
                self._bad_since.setdefault(key, e.t)
            elif key in self._bad_since:
                self._account_bad(m, key, self._bad_since.pop(key), e.t)
        return done

    def vr_event(self, e: VrEvent) -> list[MinuteSummary]:
        done = self._roll(e.t)
        m = self._current(e.t)
        if isinstance(e, SessionStarted):
            self._session = m.session_id = e.session_id
        elif isinstance(e, SessionEnded):
            self._session = None
        return done

    def flush(self, t: float) -> list[MinuteSummary]:
        """Close every minute that ended by ``t`` (call on a timer, and at shutdown with a later t)."""
        return self._roll(t)

    # -- internals -----------------------------------------------------------

    def _current(self, t: float) -> _Minute:
        if self._minute is None:
            self._minute = _Minute(math.floor((t + self.wall_offset) / MINUTE_S) * MINUTE_S, session_id=self._session)
        return self._minute

    def _stream(self, m: _Minute, key: str) -> _Stream:
        return m.streams.setdefault(key, _Stream())

    def _account_bad(self, m: _Minute, key: str, since: float, until: float) -> None:
        self._stream(m, key).bad_quality_s += max(0.0, until - since)

    def _roll(self, t: float) -> list[MinuteSummary]:
        out: list[MinuteSummary] = []
        while self._minute is not None and t + self.wall_offset >= self._minute.start_wall + MINUTE_S:
            m = self._minute
            end = m.start_wall + MINUTE_S - self.wall_offset  # agent time of the boundary
            add_into(m.levels_s, self._levels.advance(end))
            for key, since in list(self._bad_since.items()):
                self._account_bad(m, key, since, end)
                self._bad_since[key] = end
            out.append(self._summary(m))
            self._minute = _Minute(m.start_wall + MINUTE_S, session_id=self._session)
        return out

    def _summary(self, m: _Minute) -> MinuteSummary:
        features = {}
        for name, f in m.features.items():
            v = np.asarray(f.values, dtype=np.float64)
            features[name] = FeatureStats(
                mean=float(v.mean()) if v.size else None,
                min=float(v.min()) if v.size else None,
                max=float(v.max()) if v.size else None,
                ticks=int(v.size),
                coverage=float(v.size / m.ticks) if m.ticks else 0.0,
                quality=float(np.mean(f.quality)) if f.quality else None,
            )
        d = np.asarray(m.distress, dtype=np.float64)
        hist = np.histogram(np.clip(d, 0.0, 1.0), bins=DISTRESS_BINS)[0] if d.size else np.zeros(len(DISTRESS_BINS) - 1)
        return MinuteSummary(
            start=m.start_wall,
            end=m.start_wall + MINUTE_S,
            session_id=m.session_id,
            features=features,
            distress=DistressStats(n=int(d.size), mean=float(d.mean()) if d.size else None,
                                   p90=float(np.percentile(d, 90)) if d.size else None,
                                   histogram=[int(c) for c in hist]),
            levels_s={k: round(v, 6) for k, v in m.levels_s.items()},
            adaptations=m.adaptations,
            streams={k: StreamHealth(gap_s=v.gap_s, gaps=v.gaps, bad_quality_s=round(v.bad_quality_s, 6))
                     for k, v in m.streams.items()},
            disconnects=dict(m.disconnects),
        )
