"""The adaptation policy: two speeds, gating, hysteresis and rate limits around the model.

- **Baseline**: features are normalised to the patient's resting profile
  (:mod:`agent.core.baseline`). With no profile yet (first session, still
  calibrating) the policy says *hold*: it has nothing to compare with.
- **Gating**: only features whose sensor group passes its quality gate vote
  (:mod:`agent.core.model.runtime`); with none, the level is *hold*.
- **Slow state**: the fused logit, smoothed with a time constant of
  ``slow_tau_s`` of data time, is the distress estimate. Skin conductance
  moves tick by tick and needs that smoothing; cardiac features are already
  averages over windows of 10 s or more, so while no EDA feature votes the
  time constant is ``windowed_tau_s`` (both fixed a priori, not tuned). EEG
  band powers over 4 s swing with rest's own rhythms, which a heart beside
  them steadies; while EEG alone votes the time constant is
  ``eeg_alone_tau_s`` (chosen by nested LOSO, ``models.eeg_smoothing``).
  While no skin conductance votes, a rise is smoothed over only
  ``windowed_rise_share`` of that constant (chosen by nested LOSO,
  ``models.rise``): a windowed feature's rise has already waited out its
  window, and a task's first seconds were missed while the estimate caught up.
  Through a hold the slow state waits, and the next answer moves it by the
  data seconds it missed: a wrist gated by movement for a few seconds keeps
  its evidence rather than restarting from one unsmoothed answer, and after
  minutes the decay is a restart. A non-finite answer drops it.
- **Fast path**: a burst of SCR onsets or heart rate well above baseline
  raises *elevated* within a tick; only sustained slow evidence
  (``rise_after_s`` above the threshold, counting only seconds in which a
  group voted: a hold is no evidence) reaches *distressed*. A burst is
  judged against the patient's own resting rate: some people's skin responds
  several times a minute at rest, and for them two onsets in 10 s are no news.
- **No flicker**: a level falls only below ``threshold - release`` and after
  ``min_dwell_s``; the suggested intensity moves at most
  ``intensity_step_per_s`` per second, and not at all through a hold, when
  the app keeps its scene as it is (docs/vr-protocol.md): the first frame
  after it starts from the scene the app still shows. A hold pauses the
  level too: after it the level goes on from the one decided before, with
  its release margin and its dwell.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import TYPE_CHECKING

import pydantic

from agent.base.adaptation import Adaptation, Level, Pace, Suggestions
from agent.base.session import SessionEvent
from agent.core.baseline import PatientBaseline
from agent.core.features import FEATURE_NAMES, FeatureVector, group_names, groups_with
from agent.core.reasons import EASING, SMALL_CHANGES, explain, refreshing, without_baseline

if TYPE_CHECKING:  # the runtime loads numpy and the model; config loading needs only the options
    from agent.core.model.runtime import DistressModel, Inference

_ORDER = (Level.CALM, Level.ELEVATED, Level.DISTRESSED)
_TARGET = {  # what each level asks of the scene
    Level.CALM: Suggestions(),
    Level.ELEVATED: Suggestions(intensity=0.75, pace=Pace.SLOWER),
    Level.DISTRESSED: Suggestions(intensity=0.5, pace=Pace.SLOWER, breathing_guide=True),
    Level.HOLD: Suggestions(),  # its pace and guide; the intensity stays where the hold found it
}
_HR = FEATURE_NAMES.index("hr_bpm")
_SCR_RECENT = FEATURE_NAMES.index("scr_recent")


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean): how unusual k onsets are where ``mean`` is usual."""
    term = total = math.exp(-mean)
    for i in range(1, k):
        term *= mean / i
        total += term
    return max(0.0, 1.0 - total) if k > 0 else 1.0


class PolicyOptions(pydantic.BaseModel):
    """``[policy]``: how readily the scene adapts."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    elevated_at: float = pydantic.Field(0.55, gt=0, lt=1)
    distressed_at: float = pydantic.Field(0.7, gt=0, lt=1)
    release: float = pydantic.Field(0.1, ge=0, lt=0.5, description="hysteresis below each threshold")
    slow_tau_s: float = pydantic.Field(20.0, ge=0, description="smoothing of the slow state (0: none)")
    windowed_tau_s: float = pydantic.Field(
        5.0, ge=0, description="smoothing of the slow state while only windowed (cardiac, EEG) features vote")
    eeg_alone_tau_s: float = pydantic.Field(  # chosen by nested LOSO (models/eeg_smoothing.py)
        20.0, ge=0, description="smoothing of the slow state while EEG features alone vote")
    windowed_rise_share: float = pydantic.Field(  # chosen by nested LOSO (models/rise.py)
        0.25, gt=0, le=1,
        description="while no skin conductance votes, a rising slow state is smoothed over this share of its time "
        "constant (1: as a falling one): windowed features have already waited out their window")
    rise_after_s: float = pydantic.Field(
        10.0, ge=0, description="evidence must hold this long to reach distressed (a hold's seconds do not count)")
    min_dwell_s: float = pydantic.Field(15.0, ge=0, description="a level holds at least this long before falling")
    fast_hr_z: float = pydantic.Field(2.5, gt=0, description="heart rate this many baseline spreads up is a fast cue")
    fast_scr: int = pydantic.Field(2, ge=1, description="this many SCR onsets in 10 s is a fast cue")
    fast_scr_p: float = pydantic.Field(
        0.01, gt=0, le=1,
        description="...if that many are this unlikely at the patient's resting rate (Poisson; 1: the count alone)")
    intensity_step_per_s: float = pydantic.Field(0.05, gt=0, description="the fastest the suggested intensity moves")
    ttl_s: float = pydantic.Field(5.0, gt=0, description="the app falls back to neutral after this")

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> PolicyOptions:
        if self.elevated_at >= self.distressed_at:
            raise ValueError("elevated_at must be below distressed_at")
        return self


class AdaptationPolicy:
    """Feature vectors in, one :class:`Adaptation` per tick out."""

    def __init__(self, model: DistressModel, baseline: PatientBaseline, options: PolicyOptions | None = None) -> None:
        self.model = model
        self.baseline = baseline
        self.options = options or PolicyOptions()
        self.latest: Inference | None = None
        self.inference_s: deque[float] = deque(maxlen=10_000)  # per model call, for scripts/bench
        self._logit: float | None = None  # the slow state
        self._logit_t = 0.0  # the data time it was last moved
        self._last_t: float | None = None
        self._level = Level.HOLD  # as emitted
        self._decided = Level.CALM  # the last level decided, never hold: a hold pauses it
        self._decided_since = 0.0
        self._above_since: float | None = None  # when the slow state crossed distressed_at, less the seconds held since
        self._intensity = 1.0
        self._seq = 0

    @property
    def calibration_progress(self) -> float:
        return self.baseline.progress

    def session(self, event: SessionEvent) -> None:
        """A VR session starts: calibrate on its resting start (the stored profile keeps deciding meanwhile)."""
        if event.kind == "session_start":
            self.baseline.begin_session()

    def update(self, fv: FeatureVector) -> Adaptation:
        dt = 0.0 if self._last_t is None else max(0.0, fv.t - self._last_t)
        self._last_t = fv.t
        normalised = self.baseline.normalise(fv, settled=self._level not in (Level.ELEVATED, Level.DISTRESSED))
        profile = self.baseline.profile
        if normalised is None or profile is None:
            return self._emit(fv.t, dt, Level.HOLD, 0.0, 0.0, [f"calibrating baseline ({self.baseline.progress:.0%})"])
        z, voting = normalised
        started = time.perf_counter()
        inference = self.latest = self.model.infer(z, fv.voting(voting))
        self.inference_s.append(time.perf_counter() - started)
        if inference is None or not math.isfinite(inference.distress):
            if inference is not None:
                self._logit = None  # a broken model's answers are no evidence
            # with no group voting the slow state waits: the next answer moves it by the seconds it missed
            why = ("the model gave no finite answer" if inference is not None
                   else "no trustworthy sensor" if not fv.usable.any()
                   else without_baseline(group_names(groups_with(fv.usable)), self.baseline.calibrating))
            return self._emit(fv.t, dt, Level.HOLD, 0.0, 0.0, [why])
        logit = math.log(inference.distress / (1.0 - inference.distress)) if 0 < inference.distress < 1 else 0.0
        self._smooth(logit, fv.t, inference.groups)  # the groups that voted, as the model saw them
        assert self._logit is not None
        distress = 1.0 / (1.0 + math.exp(-self._logit))
        fast = self._fast_cues(fv, z[_HR], float(profile.mean[_SCR_RECENT]))
        level = self._next_level(fv.t, distress, bool(fast))
        towards = [c for c in inference.contributions() if (c[1] > 0) == (level is not Level.CALM)]
        reasons = explain(towards, fv, profile, z) + fast
        if not reasons and level is not Level.CALM:
            rising = inference.distress >= self.options.elevated_at  # the model's own answer, unsmoothed
            reasons = (explain(towards, fv, profile, z, limit=2, min_z=0.0) or [SMALL_CHANGES]) if rising else [EASING]
        if self.baseline.calibrating:
            reasons.append(refreshing(self.baseline.waiting, self.baseline.progress))
        return self._emit(fv.t, dt, level, distress, inference.confidence, reasons or ["within baseline"])

    def _smooth(self, logit: float, t: float, voted: tuple[str, ...]) -> None:
        o = self.options
        tau = o.slow_tau_s if "eda" in voted else o.eeg_alone_tau_s if voted == ("eeg",) else o.windowed_tau_s
        dt, self._logit_t = max(0.0, t - self._logit_t), t
        if self._logit is None or tau == 0:
            self._logit = logit
            return
        if "eda" not in voted and logit > self._logit:
            tau *= o.windowed_rise_share  # a heart's or EEG's rise has already waited out its window
        self._logit += (1.0 - math.exp(-dt / tau)) * (logit - self._logit)

    def _fast_cues(self, fv: FeatureVector, hr_z: float, resting_scr: float) -> list[str]:
        cues = []
        scr = fv["scr_recent"]
        resting = resting_scr if math.isfinite(resting_scr) else 0.0  # no resting count yet: the count alone
        if (scr is not None and fv.group_ok("eda") and scr >= self.options.fast_scr
                and poisson_tail(int(scr), resting) <= self.options.fast_scr_p):
            cues.append("skin conductance response just now")
        if fv["hr_bpm"] is not None and fv.group_ok("cardiac") and hr_z >= self.options.fast_hr_z:
            cues.append("heart rate jumped")
        return cues

    def _next_level(self, t: float, distress: float, fast: bool) -> Level:
        o = self.options
        if distress >= o.distressed_at:
            self._above_since = t if self._above_since is None else self._above_since
        else:
            self._above_since = None
        sustained = self._above_since is not None and t - self._above_since >= o.rise_after_s
        target = Level.DISTRESSED if sustained else Level.ELEVATED if distress >= o.elevated_at or fast else Level.CALM
        current = self._decided
        if _ORDER.index(target) < _ORDER.index(current):
            floor = o.distressed_at if current is Level.DISTRESSED else o.elevated_at
            if distress > floor - o.release or (fast and current is Level.ELEVATED) or t - self._decided_since < o.min_dwell_s:
                target = current
        return target

    def _emit(self, t: float, dt: float, level: Level, distress: float, confidence: float, reasons: list[str]) -> Adaptation:
        self._level = level
        goal = _TARGET[level]
        if level is Level.HOLD:  # the level and the intensity wait with the app's scene; the evidence pauses
            if self._above_since is not None:
                self._above_since += dt  # rise_after_s counts only seconds a group voted
        else:
            if level is not self._decided:
                self._decided, self._decided_since = level, t
            step = self.options.intensity_step_per_s * dt
            self._intensity += max(-step, min(step, goal.intensity - self._intensity))
        self._seq += 1
        return Adaptation(
            seq=self._seq, t=t, level=level, distress=round(distress, 3), confidence=round(confidence, 3),
            suggestions=Suggestions(round(self._intensity, 3), goal.pace, goal.breathing_guide),
            reasons=tuple(reasons), ttl_s=self.options.ttl_s, model=self.model.version,
        )
