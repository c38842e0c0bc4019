"""The Adaptation: what the agent tells the VR app to do, and why.

Produced by the policy, carried by the VR link, counted by the summaries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Level(enum.StrEnum):
    CALM = "calm"
    ELEVATED = "elevated"
    DISTRESSED = "distressed"
    HOLD = "hold"  # no trustworthy modality: keep the scene as it is, guess nothing


class Pace(enum.StrEnum):
    SLOWER = "slower"
    SAME = "same"
    FASTER = "faster"


@dataclass(frozen=True, slots=True)
class Suggestions:
    """What the scene should do; the app decides how."""

    intensity: float = 1.0  # multiplier on the scene's stimulus intensity, 0–1.5
    pace: Pace = Pace.SAME
    breathing_guide: bool = False


@dataclass(frozen=True, slots=True)
class Adaptation:
    """One decision of the policy.

    ``t`` is agent-clock time; ``seq`` increases by one per adaptation for
    the life of the agent; after ``ttl_s`` without a newer adaptation the app
    falls back to neutral. ``reasons`` are short human-readable phrases,
    e.g. ``"heart rate +18% over baseline"``.
    """

    seq: int
    t: float
    level: Level
    distress: float  # 0–1
    confidence: float  # 0–1
    suggestions: Suggestions = field(default_factory=Suggestions)
    reasons: tuple[str, ...] = ()
    ttl_s: float = 5.0
    model: str = ""  # the version of the model that decided (its own label; empty: no model)
