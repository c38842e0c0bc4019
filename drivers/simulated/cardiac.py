"""The shared cardiac model: the simulated person's heart beats and breathing.

Beat times come from an integral pulse frequency model: the instantaneous
heart rate is integrated and a beat falls wherever the integral crosses a
whole number. The rate is the resting rate, plus a rise with arousal, plus
respiratory sinus arrhythmia (RSA, at the breathing rate), Mayer waves
(~0.1 Hz) and a slow random wander; each beat then gets a few milliseconds
of jitter. Under stress the rate rises 16-24 bpm, breathing quickens and
RSA, Mayer waves and wander shrink, so variability falls.

Everything is a deterministic function of the seed and scenario time,
integrated on a fixed grid from time zero, so the chest strap's RR and the
ECG's R-peaks are the same beats whichever device asks and whenever.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from drivers.simulated.noise import block_rng, knot_values, smooth_noise
from drivers.simulated.scenario import AROUSAL_PEAK, AROUSAL_REST, Scenario

GRID_HZ = 32.0  # integration grid; phase errors from linear interpolation are ~1e-5 s
BLOCK_LEN = 2048  # grid steps per block (64 s)
BLOCK_S = BLOCK_LEN / GRID_HZ
BREATHING_HZ = 0.25
MAYER_HZ = 0.1
JITTER_S = 0.005  # beat-to-beat timing jitter at rest (sd)
_MAX_JITTER_S = 3 * JITTER_S
_CACHED_BLOCKS = 4


@dataclass(frozen=True, slots=True)
class _Block:
    resp_phase: np.ndarray  # breathing phase in cycles at the BLOCK_LEN + 1 grid points
    beat_index: np.ndarray  # int64, 0 for the first beat of the scenario
    beat_t: np.ndarray  # scenario seconds


class CardiacModel:
    """Beat times and breathing phase of the simulated person, as functions of scenario time.

    Use :meth:`for_scenario`: the model integrates from time zero (about a
    millisecond per minute of scenario), and sharing it means a device that
    reconnects hours into a session, or the ECG beside the strap, does not
    integrate again. Sharing changes no output: the model is a pure function
    of its scenario.
    """

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def for_scenario(scenario: Scenario) -> CardiacModel:
        return CardiacModel(scenario)

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        rng = block_rng(scenario.seed, "cardiac-person", 0)
        self.hr_rest_bpm = float(rng.uniform(65.5, 70.5))
        self.hr_rise_bpm = float(rng.uniform(16.0, 24.0))
        # Heart and breathing phases (cycles) at each block start, filled in order.
        self._starts = np.empty((64, 2))
        self._starts[0] = rng.uniform(0.0, 1.0, 2)
        self._n_starts = 1
        self._blocks: dict[int, _Block] = {}

    # -- public -------------------------------------------------------------

    def stress(self, s: npt.ArrayLike) -> np.ndarray:
        """Arousal rescaled so rest is 0 and a typical peak is 1."""
        return (self.scenario.arousal(s) - AROUSAL_REST) / (AROUSAL_PEAK - AROUSAL_REST)

    def beats(self, s0: float, s1: float) -> tuple[np.ndarray, np.ndarray]:
        """(beat index, beat time) of the beats with ``s0 <= t < s1``."""
        if s1 <= s0:
            return np.empty(0, np.int64), np.empty(0)
        first = max(0, int((s0 - _MAX_JITTER_S) // BLOCK_S))
        last = max(0, int((s1 + _MAX_JITTER_S) // BLOCK_S))
        blocks = [self._block(b) for b in range(first, last + 1)]
        idx = np.concatenate([b.beat_index for b in blocks])
        t = np.concatenate([b.beat_t for b in blocks])
        sel = (t >= s0) & (t < s1)
        return idx[sel], t[sel]

    def rr_intervals(self, s0: float, s1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(beat index, beat time, interval since the previous beat) for beats in [s0, s1).

        The scenario's first beat has no previous beat and is left out.
        """
        idx, t = self.beats(max(0.0, s0 - 3.0), s1)  # no RR is longer than 3 s here
        rr = np.diff(t)
        idx, t = idx[1:], t[1:]
        sel = t >= s0
        return idx[sel], t[sel], rr[sel]

    def respiration_phase(self, s: npt.ArrayLike) -> np.ndarray:
        """Breathing phase in cycles (inspiration starts at whole numbers)."""
        s = np.maximum(np.asarray(s, dtype=np.float64), 0.0)
        block = (s // BLOCK_S).astype(np.int64)
        out = np.empty(s.shape)
        grid = np.arange(BLOCK_LEN + 1) / GRID_HZ
        for b in np.unique(block).tolist():
            sel = block == b
            out[sel] = np.interp(s[sel] - b * BLOCK_S, grid, self._block(b).resp_phase)
        return out

    # -- model --------------------------------------------------------------

    def _block(self, b: int) -> _Block:
        if b not in self._blocks:
            while self._n_starts <= b:  # integrate forward to reach block b's start
                self._compute(self._n_starts - 1)
            block = self._compute(b)
            if len(self._blocks) >= _CACHED_BLOCKS:
                del self._blocks[min(self._blocks)]
            self._blocks[b] = block
        return self._blocks[b]

    def _compute(self, b: int) -> _Block:
        seed = self.scenario.seed
        s = (b * BLOCK_LEN + np.arange(BLOCK_LEN + 1)) / GRID_HZ
        stress = np.clip(self.stress(s), 0.0, 1.2)
        calm = 1.0 - np.clip(stress, 0.0, 1.0)

        breathing_hz = BREATHING_HZ + 0.012 * smooth_noise(seed, "breathing-rate", s, 15.0) + 0.06 * stress
        resp_phase = self._starts[b, 1] + _integrate(breathing_hz)

        mayer = np.sin(2 * np.pi * MAYER_HZ * s + 1.5 * smooth_noise(seed, "mayer-phase", s, 20.0))
        hr = (
            self.hr_rest_bpm
            + self.hr_rise_bpm * stress
            + (1.2 + 2.8 * calm) * np.sin(2 * np.pi * resp_phase)  # RSA: rate rises on inspiration
            + (0.8 + 1.2 * calm) * mayer
            + (0.8 + 0.8 * calm) * smooth_noise(seed, "hr-wander", s, 6.0)
        )
        heart_phase = self._starts[b, 0] + _integrate(hr / 60.0)
        self._set_start(b + 1, heart_phase[-1], resp_phase[-1])

        n = np.arange(np.floor(heart_phase[0]) + 1, np.floor(heart_phase[-1]) + 1)
        t = np.interp(n, heart_phase, s)
        index = n.astype(np.int64) - 1
        jitter_sd = JITTER_S * (0.5 + 0.5 * np.interp(t, s, calm))
        t = t + jitter_sd * np.clip(knot_values(seed, "beat-jitter", index), -3.0, 3.0)
        return _Block(resp_phase=resp_phase, beat_index=index, beat_t=t)

    def _set_start(self, b: int, heart: float, resp: float) -> None:
        if b < self._n_starts:
            return
        if b >= self._starts.shape[0]:
            self._starts = np.concatenate([self._starts, np.empty_like(self._starts)])
        self._starts[b] = (heart, resp)
        self._n_starts = b + 1


def _integrate(rate_hz: np.ndarray) -> np.ndarray:
    """Cumulative trapezoid integral on the grid, starting at 0."""
    out = np.empty_like(rate_hz)
    out[0] = 0.0
    np.cumsum((rate_hz[1:] + rate_hz[:-1]) * (0.5 / GRID_HZ), out=out[1:])
    return out
