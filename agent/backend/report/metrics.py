"""The report's figures, pure: compliance, pain change, time in the window of tolerance, sessions ended early.

- **Compliance**: sessions per ISO week (Monday 00:00 UTC) against the
  prescribed count, over the weeks from the first session's to the last
  one's. A week counts at most its prescribed sessions, so extra sessions
  in one week do not make up for a missed week.
- **Pain change**: ``pain_after - pain_before`` per session that has both
  (negative is relief); the device figure is their mean.
- **Window of tolerance**: the share of session time at ``calm`` or
  ``elevated`` among the time with an estimate (``calm``, ``elevated``,
  ``distressed``); ``hold`` (no trustworthy estimate) is left out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from agent.backend.report.data import Device, Session

WEEK_S = 7 * 86400


def week_start(t: float) -> dt.date:
    day = dt.datetime.fromtimestamp(t, dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def tolerance_share(levels_s: dict[str, float]) -> float | None:
    inside = levels_s.get("calm", 0.0) + levels_s.get("elevated", 0.0)
    total = inside + levels_s.get("distressed", 0.0)
    return inside / total if total > 0 else None


def pain_change(s: Session) -> float | None:
    return None if s.pain_before is None or s.pain_after is None else s.pain_after - s.pain_before


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    site: str
    device: str
    sessions: int
    weeks: list[tuple[dt.date, int]]  # (Monday, sessions that week), every week in the span
    prescribed_per_week: int | None
    minutes_per_session: float | None
    compliance: float | None  # 0-1, None without a prescription
    mean_pain_change: float | None
    tolerance: float | None  # 0-1 over all sessions' time with an estimate
    ended_early: int


def device_figures(device: Device | None, site: str, name: str, sessions: list[Session]) -> DeviceFigures:
    counts = Counter(week_start(s.started) for s in sessions)
    weeks: list[tuple[dt.date, int]] = []
    if counts:
        monday, last = min(counts), max(counts)
        while monday <= last:
            weeks.append((monday, counts.get(monday, 0)))
            monday += dt.timedelta(days=7)
    per_week = device.sessions_per_week if device else None
    compliance = (sum(min(n, per_week) for _, n in weeks) / (per_week * len(weeks))) if per_week and weeks else None
    changes = [c for s in sessions if (c := pain_change(s)) is not None]
    totals: dict[str, float] = {}
    for s in sessions:
        for level, secs in s.levels_s.items():
            totals[level] = totals.get(level, 0.0) + secs
    return DeviceFigures(
        site, name, len(sessions), weeks, per_week, device.minutes_per_session if device else None, compliance,
        sum(changes) / len(changes) if changes else None, tolerance_share(totals),
        sum(1 for s in sessions if not s.completed),
    )
