"""A simulated skin-conductance (GSR/EDA) band, µS.

The signal is a tonic level that drifts between 2 and 10 µS and rises with
arousal, plus skin conductance responses (SCRs) and a little noise. SCRs
arrive as a Poisson process whose rate follows arousal (about 2 a minute at
rest, 8-9 under stress; stronger too); each rises over 1-3 s as a
half-cosine and recovers exponentially with a half-time of 2-8 s.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from agent.plugin import DriverContext, Modality, StreamSpec
from drivers.simulated.device import SampledDevice
from drivers.simulated.noise import block_rng, poisson_times, smooth_noise
from drivers.simulated.options import GsrOptions
from drivers.simulated.scenario import AROUSAL_REST

SCR_BLOCK_S = 60.0  # SCR events are drawn per minute of scenario time
SCR_REACH_S = 90.0  # an SCR has recovered to < 0.05 % of its amplitude after this
SCR_RATE_REST_PER_MIN = 1.0
SCR_RATE_GAIN_PER_MIN = 9.0  # added at arousal 1
_SCR_RATE_MAX_PER_S = (SCR_RATE_REST_PER_MIN + SCR_RATE_GAIN_PER_MIN) / 60.0


class SimulatedGsr(SampledDevice):
    options: ClassVar[type[GsrOptions]] = GsrOptions
    plugin_name = "sim-gsr"
    kind = "gsr"
    display_name = "Simulated GSR band"
    burst_sd = 1.5  # motion artefact at the electrodes, µS
    lower_bound = 0.0

    def __init__(self, options: GsrOptions, context: DriverContext) -> None:
        super().__init__(options, context)
        self.spec = StreamSpec("eda", Modality.EDA, ("eda",), "µS", options.rate_hz)
        self.chunk_len = max(1, round(options.rate_hz / 4))  # four chunks a second
        self.block_len = self.chunk_len * 64  # ~16 s
        self._rate = options.rate_hz
        self._scl_rest = float(block_rng(options.seed, "gsr-person", 0).uniform(3.0, 5.5))
        self._events: dict[int, tuple[np.ndarray, ...]] = {}

    def scr_rate_per_min(self, s: np.ndarray) -> np.ndarray:
        return SCR_RATE_REST_PER_MIN + SCR_RATE_GAIN_PER_MIN * self.scenario.arousal(s)

    def scr_events(self, s0: float, s1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(onset, amplitude µS, rise s, recovery time constant s) of the SCRs with onset in [s0, s1)."""
        blocks = range(max(0, math.floor(s0 / SCR_BLOCK_S)), max(0, math.floor(s1 / SCR_BLOCK_S)) + 1)
        onset, amp, rise, tau = (
            np.concatenate(parts) for parts in zip(*(self._events_in(b) for b in blocks), strict=True)
        )
        sel = (onset >= s0) & (onset < s1)
        return onset[sel], amp[sel], rise[sel], tau[sel]

    def _events_in(self, b: int) -> tuple[np.ndarray, ...]:
        if b not in self._events:
            if len(self._events) >= 4:
                del self._events[min(self._events)]
            t, rng = poisson_times(self.opts.seed, "gsr-scr", b, SCR_BLOCK_S, _SCR_RATE_MAX_PER_S)
            n = t.size
            # Marks are drawn for every candidate, before thinning, so each stays a pure function of the block.
            keep = rng.uniform(0.0, 1.0, n) < self.scr_rate_per_min(t) / 60.0 / _SCR_RATE_MAX_PER_S
            a = self.scenario.arousal(t)
            amp = np.clip(np.exp(rng.normal(np.log(0.12 + 0.25 * (a - AROUSAL_REST)), 0.6, n)), 0.05, 1.0)
            rise = rng.uniform(1.0, 3.0, n)
            tau = rng.uniform(2.0, 8.0, n) / math.log(2.0)
            self._events[b] = (t[keep], amp[keep], rise[keep], tau[keep])
        return self._events[b]

    def _render_block(self, b: int) -> np.ndarray:
        seed = self.opts.seed
        s = (b * self.block_len + np.arange(self.block_len)) / self._rate
        a = self.scenario.arousal(s)
        tonic = self._scl_rest + 0.5 * smooth_noise(seed, "gsr-tonic", s, 90.0) + 1.5 * (a - AROUSAL_REST)
        tonic = np.clip(tonic, 2.0, 10.0)
        phasic = _scr_sum(s, *self.scr_events(s[0] - SCR_REACH_S, s[-1] + 1e-9))
        noise = 0.004 * block_rng(seed, "gsr-noise", b).standard_normal(self.block_len)
        return (tonic + phasic + noise).reshape(-1, 1)


def _scr_sum(s: np.ndarray, onset: np.ndarray, amp: np.ndarray, rise: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """The summed SCR waveforms at times ``s``."""
    if onset.size == 0:
        return np.zeros(s.shape)
    d = s[:, None] - onset[None, :]  # (samples, events)
    rising = 0.5 - 0.5 * np.cos(np.pi * np.clip(d / rise, 0.0, 1.0))
    recovery = np.exp(-np.clip(d - rise, 0.0, None) / tau)
    reach = (d >= 0.0) & (d < SCR_REACH_S)
    return np.where(reach, amp * rising * recovery, 0.0).sum(axis=1)
