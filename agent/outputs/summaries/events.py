"""What the VR app tells the agent about a session (over the VR link), as typed records.

``t`` is agent-clock time, like every other input of the summaries.
``event_id`` is the app's ``id`` for the event and ``t_app`` its own clock,
both kept as-is so the backend can tell events apart and align them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventId = int | str | None


@dataclass(frozen=True, slots=True)
class SessionStarted:
    t: float
    session_id: str
    scene: str | None = None
    event_id: EventId = None
    t_app: float | None = None


@dataclass(frozen=True, slots=True)
class SessionEnded:
    t: float
    session_id: str
    completed: bool  # False: stopped early (by the patient, the clinician or a fault)
    reason: str | None = None
    event_id: EventId = None
    t_app: float | None = None


@dataclass(frozen=True, slots=True)
class PainRated:
    t: float
    score: float  # 0–10 numeric rating scale
    phase: Literal["before", "during", "after"]
    event_id: EventId = None
    t_app: float | None = None


@dataclass(frozen=True, slots=True)
class MarkerSeen:
    """Something happened in the scene (a scene change, a stimulus), as the app labelled it."""

    t: float
    label: str
    scene_id: str | None = None
    value: float | None = None
    event_id: EventId = None
    t_app: float | None = None


@dataclass(frozen=True, slots=True)
class CalibrationFinished:
    """The baseline stage finished its resting calibration, or reused a stored profile."""

    t: float
    source: Literal["fresh", "stored"]
    ok: bool
    duration_s: float = 0.0


VrEvent = SessionStarted | SessionEnded | PainRated | MarkerSeen | CalibrationFinished
