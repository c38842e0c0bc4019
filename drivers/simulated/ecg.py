"""A simulated Polar-H10-like ECG: 130 Hz, µV, frames of 73 samples.

The waveform is a sum of Gaussian P, Q, R, S and T waves per beat (after
McSharry et al.'s ECGSYN) at the shared cardiac model's beat times, so its
R-peaks are the chest strap's beats. The T wave moves with the RR interval
(Bazett), R amplitude breathes with respiration, and the baseline wanders
with breathing and slow electrode drift.

Like an H10 whose clock was never set, ``device_t`` counts seconds since
2000-01-01 from a clock that started near 2019-01-01 and runs a little fast
(``clock_drift_ppm``), so the agent's DeviceClock has a real mapping to find.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from agent.plugin import DriverContext, Modality, StreamSpec
from drivers.simulated.cardiac import CardiacModel
from drivers.simulated.device import SampledDevice
from drivers.simulated.noise import block_rng, smooth_noise
from drivers.simulated.options import EcgOptions

RATE_HZ = 130.0
FRAME_LEN = 73
SECONDS_2000_TO_2019 = 599_616_000.0  # 2019-01-01T00:00:00Z on the Polar epoch
ECG_SPEC = StreamSpec("ecg", Modality.ECG, ("ecg",), "µV", RATE_HZ)

# (offset from the R peak at RR = 1 s, amplitude µV, width s, offset scales with sqrt(RR))
_WAVES = np.array(
    [
        (-0.170, 110.0, 0.025, 0.0),  # P
        (-0.030, -110.0, 0.010, 0.0),  # Q
        (0.000, 1150.0, 0.009, 0.0),  # R
        (0.032, -260.0, 0.011, 0.0),  # S
        (0.300, 290.0, 0.045, 1.0),  # T: QT shortens as the heart speeds up
    ]
)
_BEAT_REACH_S = (-0.3, 0.6)  # beats further than this from a sample do not touch it


class SimulatedEcg(SampledDevice):
    options: ClassVar[type[EcgOptions]] = EcgOptions
    plugin_name = "sim-ecg"
    kind = "ecg"
    display_name = "Simulated Polar H10 ECG"
    burst_sd = 600.0  # motion artefact, µV
    spec = ECG_SPEC
    chunk_len = FRAME_LEN
    block_len = FRAME_LEN * 16  # ~9 s

    def __init__(self, options: EcgOptions, context: DriverContext) -> None:
        super().__init__(options, context)
        self.cardiac = CardiacModel.for_scenario(self.scenario)
        person = block_rng(options.seed, "ecg-person", 0)
        self._gain = float(person.uniform(0.8, 1.2))  # electrode placement and body build
        self._device_epoch = SECONDS_2000_TO_2019 + float(person.uniform(0.0, 3 * 86400.0))
        self._drift = options.clock_drift_ppm * 1e-6
        self._noise_uv = options.noise_uv

    def _device_time(self, s: np.ndarray) -> np.ndarray:
        return self._device_epoch + s * (1.0 + self._drift)

    def _render_block(self, b: int) -> np.ndarray:
        seed = self.opts.seed
        k = b * self.block_len + np.arange(self.block_len)
        s = k / RATE_HZ
        lo, hi = s[0] - _BEAT_REACH_S[1], s[-1] - _BEAT_REACH_S[0]
        _, beat_t = self.cardiac.beats(lo - 3.0, hi)  # 3 s back: every beat's predecessor, for its RR
        rr = np.diff(beat_t, prepend=beat_t[0] - 60.0 / self.cardiac.hr_rest_bpm) if beat_t.size else beat_t
        near = beat_t >= lo
        beat_t, rr = beat_t[near], rr[near]
        resp = np.sin(2 * np.pi * self.cardiac.respiration_phase(s))
        ecg = self._beats(s, beat_t, rr, np.sin(2 * np.pi * self.cardiac.respiration_phase(beat_t)))
        wander = 45.0 * resp + 35.0 * smooth_noise(seed, "ecg-wander", s, 7.0)
        noise = self._noise_uv * block_rng(seed, "ecg-noise", b).standard_normal(self.block_len)
        return (ecg + wander + noise).reshape(-1, 1)

    def _beats(self, s: np.ndarray, beat_t: np.ndarray, rr: np.ndarray, resp_at_beat: np.ndarray) -> np.ndarray:
        """Sum of the PQRST waves of every beat near each sample."""
        out = np.zeros(s.shape)
        if beat_t.size == 0:
            return out
        dt = s[:, None] - beat_t[None, :]  # (samples, beats)
        near = (dt > _BEAT_REACH_S[0]) & (dt < _BEAT_REACH_S[1])
        rows, cols = np.nonzero(near)
        d = dt[rows, cols]
        scale = np.sqrt(rr[cols])
        r_gain = 1.0 + 0.06 * resp_at_beat[cols]  # the electrical axis turns as the chest fills
        value = np.zeros(d.shape)
        for offset, amp, width, stretch in _WAVES:
            centre = offset * (scale if stretch else 1.0)
            value += amp * np.exp(-0.5 * ((d - centre) / width) ** 2)
        np.add.at(out, rows, self._gain * r_gain * value)
        return out
