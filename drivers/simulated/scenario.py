"""The one scenario that drives every simulated device: arousal over time.

Scenario time ``s`` is agent time minus ``clock.origin``, so every device
agrees on it and a reconnect does not restart it. The scenario cycles
through a resting baseline, a stressor and a recovery, then repeats. The
arousal level ``a(s)`` in [0, 1] rests at ``AROUSAL_REST``, rises towards a
per-cycle peak during the stressor and decays during recovery, as a
first-order response so that it is continuous.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from drivers.simulated.noise import knot_values
from drivers.simulated.options import SimulatedOptions

AROUSAL_REST = 0.1
AROUSAL_PEAK = 0.9  # typical peak; each cycle's peak varies a little around it
RISE_TAU_S = 12.0  # arousal reaches 95 % of its peak ~36 s into a stressor
RECOVERY_TAU_S = 25.0


class Phase(enum.StrEnum):
    BASELINE = "baseline"
    STRESSOR = "stressor"
    RECOVERY = "recovery"


@dataclass(frozen=True, slots=True)
class Scenario:
    seed: int
    baseline_s: float
    stressor_s: float
    recovery_s: float

    @classmethod
    def from_options(cls, options: SimulatedOptions) -> Scenario:
        return cls(options.seed, options.baseline_s, options.stressor_s, options.recovery_s)

    @property
    def cycle_s(self) -> float:
        return self.baseline_s + self.stressor_s + self.recovery_s

    def phase(self, s: float) -> Phase:
        u = s % self.cycle_s
        if u < self.baseline_s:
            return Phase.BASELINE
        if u < self.baseline_s + self.stressor_s:
            return Phase.STRESSOR
        return Phase.RECOVERY

    def phase_windows(self, phase: Phase, until_s: float) -> list[tuple[float, float]]:
        """The (start, end) scenario times of ``phase`` that begin before ``until_s``."""
        offset = {
            Phase.BASELINE: (0.0, self.baseline_s),
            Phase.STRESSOR: (self.baseline_s, self.baseline_s + self.stressor_s),
            Phase.RECOVERY: (self.baseline_s + self.stressor_s, self.cycle_s),
        }[phase]
        out = []
        c = 0
        while c * self.cycle_s + offset[0] < until_s:
            out.append((c * self.cycle_s + offset[0], c * self.cycle_s + offset[1]))
            c += 1
        return out

    def arousal(self, s: npt.ArrayLike) -> np.ndarray:
        """a(s) in [0, 1] for scenario times ``s`` (seconds, >= 0)."""
        s = np.asarray(s, dtype=np.float64)
        cycle = np.floor(np.maximum(s, 0.0) / self.cycle_s).astype(np.int64)
        since_onset = s - cycle * self.cycle_s - self.baseline_s
        # Earlier cycles' recoveries may not have finished: add every cycle whose
        # response is still above e-28 (below float precision) at this time.
        back = np.arange(math.ceil((self.stressor_s + 28.0 * RECOVERY_TAU_S) / self.cycle_s) + 1)
        cycles = cycle[..., None] - back
        responses = self._response(since_onset[..., None] + back * self.cycle_s, np.maximum(cycles, 0))
        a = AROUSAL_REST + np.where(cycles >= 0, responses, 0.0).sum(axis=-1)
        return np.clip(a, 0.0, 1.0)

    def _peak(self, cycle: np.ndarray) -> np.ndarray:
        return np.clip(AROUSAL_PEAK + 0.04 * knot_values(self.seed, "arousal-peak", cycle), 0.8, 0.97)

    def _response(self, tau: np.ndarray, cycle: np.ndarray) -> np.ndarray:
        """The arousal added by one cycle's stressor, ``tau`` seconds after its onset."""
        rise = 1.0 - np.exp(-np.clip(tau, 0.0, self.stressor_s) / RISE_TAU_S)
        decay = np.exp(-np.clip(tau - self.stressor_s, 0.0, None) / RECOVERY_TAU_S)
        return np.where(tau < 0.0, 0.0, (self._peak(cycle) - AROUSAL_REST) * rise * decay)
