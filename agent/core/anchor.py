"""The resting level, moved towards calmer stretches after calibration (:class:`Anchor`).

Kept apart from :mod:`agent.core.baseline`, which calibrates, stores and
normalises: this is the one part of the baseline that moves during a session.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from agent.core.feature_specs import FEATURES
from agent.core.features import FEATURE_NAMES

# Which way a feature moves when a person calms down (FeatureSpec.calm): -1 it falls, +1 it rises.
# Only these are re-anchored; the rest keep their calibrated level.
CALM_DIRECTION: dict[str, int] = {f.name: f.calm for f in FEATURES if f.calm}


class AnchorOptions(Protocol):
    """The ``[baseline]`` settings an anchor reads (``agent.core.baseline.BaselineOptions``)."""

    anchor_tau_s: float
    skin_anchor_tau_s: float
    skin_anchor_heart_s: float
    skin_anchor_heart_margin: float
    anchor_smooth_s: float


_CALM = np.array([f.calm for f in FEATURES], dtype=np.float64)
_HR = FEATURE_NAMES.index("hr_bpm")
# the skin features re-anchored upwards while the heart is calm: those that rise with arousal
_SKIN_UP = np.array([f.group == "eda" and f.calm == -1 for f in FEATURES])


class Anchor:
    """The resting level, moved towards calmer stretches after calibration.

    A session may start unsettled (fitting the sensors, instructions, a walk
    to the chair): a calibration taken then puts the resting level too high,
    and real stress later reads as calm. So, for the features that move one
    way with calm (:data:`CALM_DIRECTION`), once a stretch smoothed over
    ``anchor_smooth_s`` is calmer than the resting level, the level follows it
    with time constant ``anchor_tau_s``. It never follows arousal, so stress
    cannot teach the baseline that stress is normal. Updated once a second of
    data time, which is all a 60-s feature changes in, and cheap.

    One exception (``skin_anchor_tau_s``): skin conductance climbs with the
    first stressor of a session and stays up for an hour or more, long after
    the heart has settled, so every later rest would read as stress. While the
    heart's smoothed rate is at most ``skin_anchor_heart_margin`` over its
    resting level, the skin features' resting level also follows them upwards.
    A stressor that raises the heart stops that, so the skin still cannot
    learn stress on its own; without a heart sensor it never happens. A heart
    whose quality gate holds for a moment (a wrist pulse's does about half the
    time) still counts for ``skin_anchor_heart_s`` after it was last
    trustworthy, with the rate it had then.
    """

    STEP_S = 1.0

    @classmethod
    def of(cls, options: AnchorOptions, mean: np.ndarray) -> Anchor:
        """An anchor with ``[baseline]``'s time constants, starting at ``mean``."""
        return cls(options.anchor_tau_s, options.skin_anchor_tau_s, options.anchor_smooth_s, mean,
                   options.skin_anchor_heart_s, options.skin_anchor_heart_margin)

    def __init__(self, tau_s: float, skin_tau_s: float, smooth_s: float, mean: np.ndarray,
                 heart_hold_s: float = 0.0, heart_margin: float = 0.0) -> None:
        self.tau_s, self.skin_tau_s, self.smooth_s, self.heart_hold_s = tau_s, skin_tau_s, smooth_s, heart_hold_s
        self.heart_margin = heart_margin
        self.center = np.array(mean, dtype=np.float64)
        self._smooth = np.full(len(FEATURE_NAMES), np.nan)
        self._last: float | None = None
        self._heart_seen: float | None = None  # when the heart's rate was last trustworthy

    def observe(self, t: float, values: np.ndarray, usable: np.ndarray) -> bool:
        """One tick; True when the centre moved."""
        tau, skin_tau = self.tau_s, self.skin_tau_s
        if tau == 0 and skin_tau == 0:
            return False
        if self._last is not None and t - self._last < self.STEP_S:
            return False
        dt = self.STEP_S if self._last is None else t - self._last
        self._last = t
        x = values.astype(np.float64)
        a = 1.0 - math.exp(-dt / self.smooth_s)
        fresh = usable & np.isnan(self._smooth)
        self._smooth = np.where(fresh, x, self._smooth)
        self._smooth = np.where(usable & ~fresh, self._smooth + a * (x - self._smooth), self._smooth)
        known = np.isfinite(self.center) & usable
        # per feature, the share of the way to the smoothed value the level moves this step (0: stays)
        step = np.zeros(len(FEATURE_NAMES))
        if tau:
            step[(_CALM * (self._smooth - self.center) > 0) & known] = 1.0 - math.exp(-dt / tau)
        if skin_tau and self._heart_calm(usable, t):
            step[_SKIN_UP & known & (self._smooth > self.center)] = 1.0 - math.exp(-dt / skin_tau)
        moving = step > 0
        if not moving.any():
            return False
        self.center = np.where(moving, self.center + step * (self._smooth - self.center), self.center)
        return True

    def _heart_calm(self, usable: np.ndarray, t: float) -> bool:
        """The heart's smoothed rate was trustworthy within ``heart_hold_s`` (0: now) and is at most
        ``heart_margin`` over its resting level: a wrist pulse's quality gate holds about half the time, its
        smoothed rate stands for the minute before, and a resting heart's sits above its mean half the time."""
        if usable[_HR]:
            self._heart_seen = t
        if self._heart_seen is None or t - self._heart_seen > self.heart_hold_s:
            return False
        return bool(self._smooth[_HR] <= self.center[_HR] * (1.0 + self.heart_margin))  # False where either is NaN
