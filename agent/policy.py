"""The interim adaptation policy: baseline-relative rules with quality gating,
a fast path, hysteresis and a dwell time.

This is the stand-in that turns feature vectors into Adaptations until the
ONNX distress model (``models/``) replaces the scoring step; the gating,
hysteresis and hold behaviour are what the model will sit behind too.

- **Calibration**: the first ``calibration_s`` of usable data is the
  patient's resting baseline (mean and spread per marker). Until it is done
  the policy says *hold*: it has nothing to compare with, so it guesses
  nothing.
- **Gating**: a marker votes only if its feature is available and its
  modality's quality passes; when nothing votes, the level is *hold*.
- **Slow state**: distress is a logistic of the mean signed z-score of the
  voting markers (heart rate up, RMSSD down, skin conductance up, SCR rate
  up, alpha down).
- **Fast path**: a fresh SCR or a heart-rate jump raises at least
  *elevated* within a tick; only sustained evidence reaches *distressed*.
- **No flicker**: levels rise at ``enter`` thresholds, fall only below
  ``enter - release``, and must hold ``min_dwell_s`` before falling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pydantic

from agent.adaptation import Adaptation, Level, Pace, Suggestions
from agent.features import FEATURES, FeatureVector

# (feature, direction under distress, how a reason names it)
MARKERS: tuple[tuple[str, float, str], ...] = (
    ("hr_bpm", +1.0, "heart rate"),
    ("rmssd_ms", -1.0, "RMSSD"),
    ("scl_us", +1.0, "skin conductance"),
    ("scr_rate_per_min", +1.0, "SCR rate"),
    ("eeg_alpha_rel", -1.0, "alpha"),
)
_GROUP = {f.name: f.group for f in FEATURES}
_ORDER = (Level.CALM, Level.ELEVATED, Level.DISTRESSED)
_SUGGEST = {
    Level.CALM: Suggestions(),
    Level.ELEVATED: Suggestions(intensity=0.8, pace=Pace.SLOWER),
    Level.DISTRESSED: Suggestions(intensity=0.5, pace=Pace.SLOWER, breathing_guide=True),
    Level.HOLD: Suggestions(),
}


class PolicyOptions(pydantic.BaseModel):
    """``[policy]``: how readily the scene adapts."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    calibration_s: float = pydantic.Field(120.0, ge=10, description="resting baseline at the start")
    elevated_at: float = pydantic.Field(0.6, gt=0, lt=1)
    distressed_at: float = pydantic.Field(0.8, gt=0, lt=1)
    release: float = pydantic.Field(0.1, ge=0, lt=0.5, description="hysteresis below each threshold")
    min_dwell_s: float = pydantic.Field(15.0, ge=0, description="a level holds at least this long before falling")
    ttl_s: float = pydantic.Field(5.0, gt=0, description="the app falls back to neutral after this")

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> PolicyOptions:
        if self.elevated_at >= self.distressed_at:
            raise ValueError("elevated_at must be below distressed_at")
        return self


@dataclass(slots=True)
class _Baseline:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:  # Welford: one pass, no history kept
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def z(self, x: float) -> float:
        sd = math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0
        sd = max(sd, 0.05 * abs(self.mean), 1e-6)  # a perfectly steady baseline must not make z explode
        return (x - self.mean) / sd


class InterimPolicy:
    def __init__(self, options: PolicyOptions | None = None) -> None:
        self.options = options or PolicyOptions()
        self._baseline = {name: _Baseline() for name, _, _ in MARKERS}
        self._calibrated_s = 0.0
        self._last_t: float | None = None
        self._level = Level.HOLD
        self._since = 0.0
        self._seq = 0

    @property
    def calibration_progress(self) -> float:
        return min(1.0, self._calibrated_s / self.options.calibration_s)

    def update(self, fv: FeatureVector) -> Adaptation:
        dt = 0.0 if self._last_t is None else max(0.0, fv.t - self._last_t)
        self._last_t = fv.t
        usable = {name: fv[name] for name, _, _ in MARKERS if self._usable(fv, name)}
        if self.calibration_progress < 1.0:
            if usable:
                self._calibrated_s += dt
                for name, value in usable.items():
                    self._baseline[name].add(value)  # type: ignore[arg-type]
            pct = round(100 * self.calibration_progress)
            return self._emit(fv.t, Level.HOLD, 0.0, 0.0, (f"calibrating baseline ({pct}%)",))
        votes = [(d * self._baseline[n].z(v), n, label) for n, d, label in MARKERS if (v := usable.get(n)) is not None and self._baseline[n].n]
        if not votes:
            return self._emit(fv.t, Level.HOLD, 0.0, 0.0, ("no trustworthy sensor",))
        score = sum(v for v, _, _ in votes) / len(votes)
        distress = 1.0 / (1.0 + math.exp(-(score - 1.0) * 1.5))
        fast = (fv["scr_recent"] or 0.0) >= 1 and self._usable(fv, "scr_recent")
        fast |= any(n == "hr_bpm" and v > 2.0 for v, n, _ in votes)
        level = self._next_level(fv.t, distress, fast)
        confidence = len(votes) / len(MARKERS)
        return self._emit(fv.t, level, distress, confidence, self._reasons(votes, usable, fast))

    @staticmethod
    def _usable(fv: FeatureVector, name: str) -> bool:
        return fv[name] is not None and fv.group_ok(_GROUP[name])

    def _next_level(self, t: float, distress: float, fast: bool) -> Level:
        o = self.options
        target = Level.DISTRESSED if distress >= o.distressed_at else Level.ELEVATED if distress >= o.elevated_at else Level.CALM
        if fast and target is Level.CALM:
            target = Level.ELEVATED  # caution within seconds; only sustained evidence goes further
        current = self._level if self._level is not Level.HOLD else Level.CALM
        if _ORDER.index(target) < _ORDER.index(current):
            floor = o.distressed_at if current is Level.DISTRESSED else o.elevated_at
            if distress > floor - o.release or fast or t - self._since < o.min_dwell_s:
                target = current
        return target

    def _reasons(self, votes: list[tuple[float, str, str]], usable: dict[str, float | None], fast: bool) -> tuple[str, ...]:
        out = []
        for z, name, label in sorted(votes, key=lambda v: -abs(v[0]))[:3]:
            base = self._baseline[name].mean
            value = usable[name]
            if value is None or abs(z) < 1.0 or base == 0:
                continue
            change = (value - base) / abs(base) * 100
            out.append(f"{label} {change:+.0f}% vs baseline")
        if fast:
            out.append("phasic response (SCR or heart-rate jump)")
        return tuple(out) or ("within baseline",)

    def _emit(self, t: float, level: Level, distress: float, confidence: float, reasons: tuple[str, ...]) -> Adaptation:
        if level is not self._level:
            self._level, self._since = level, t
        self._seq += 1
        return Adaptation(
            seq=self._seq, t=t, level=level, distress=round(distress, 3), confidence=round(confidence, 3),
            suggestions=_SUGGEST[level], reasons=reasons, ttl_s=self.options.ttl_s,
        )
