"""Pulse (systolic peak) detection from PPG, streaming: Elgendi's method as NeuroKit2 runs it, made causal.

NeuroKit2 band-passes 0.5-8 Hz with a zero-phase Butterworth, squares the
positive part, and marks a pulse wherever its 0.111 s mean exceeds its
0.667 s mean plus 2 % of the recording's mean square; the beat is the most
prominent maximum inside. Here the band-pass is linear-phase (the signal
minus its centred 1 s mean, then a boxcar whose -3 dB point is 8 Hz), the
two centred means are aligned by delaying the shorter one, and the
recording's mean square (unknowable in a stream) is an exponential average
over blocks with a 30 s time constant. Needed for wrist data (WESAD and
Stress-Predict have PPG, not ECG) and for PPG-only wearables.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.core.signals.block_detector import BlockPeakDetector
from agent.core.signals.filters import causal_ma, tail


class PpgPulseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline_s: float = Field(1.0, gt=0)
    lowpass_hz: float = Field(8.0, gt=0)
    peak_window_s: float = Field(0.111, gt=0)
    beat_window_s: float = Field(0.667, gt=0)
    beat_offset: float = Field(0.02, ge=0)
    min_delay_s: float = Field(0.3, gt=0)
    mean_tau_s: float = Field(30.0, gt=0)
    max_wave_s: float = Field(1.5, gt=0)


class PpgPulseDetector(BlockPeakDetector):
    """Contiguous blocks of one PPG channel in, systolic-peak times (agent clock, s) out."""

    def __init__(self, fs: float, config: PpgPulseConfig | None = None, max_block: int | None = None) -> None:
        cfg = config or PpgPulseConfig()
        self.config = cfg
        self._base = max(1, int(np.rint(cfg.baseline_s * fs)))
        self._low = max(1, int(np.rint(0.443 * fs / cfg.lowpass_hz)))  # boxcar -3 dB at 0.443 / length
        self._peak = max(1, int(np.rint(cfg.peak_window_s * fs)))
        self._beat = max(1, int(np.rint(cfg.beat_window_s * fs)))
        self._lag_base = (self._base - 1) // 2
        lag_low = (self._low - 1) // 2
        self._lag_peak = (self._peak - 1) // 2
        self._lag_beat = (self._beat - 1) // 2
        self.latency = self._lag_base + lag_low + self._lag_beat
        depth = self._base + self._low + self._beat + self._lag_beat + 4
        self._setup(
            fs,
            depth=depth,
            max_len=int(np.rint(cfg.max_wave_s * fs)),
            min_delay=int(np.rint(cfg.min_delay_s * fs)),
            max_block=max_block,
            min_len=self._peak,
        )
        self.reset()

    def reset(self) -> None:
        super().reset()
        self._mean_sq: float | None = None

    def _block(self, ext: np.ndarray, n: int) -> list[int]:
        hp = tail(ext, ext.shape[0] - self._base + 1, self._lag_base) - causal_ma(ext, self._base)
        clean = causal_ma(hp, self._low)
        sq = np.square(np.maximum(clean, 0.0))
        block_mean = float(np.mean(tail(sq, n)))
        if self._mean_sq is None:
            self._mean_sq = block_mean
        else:
            alpha = 1.0 - np.exp(-(n / self.fs) / self.config.mean_tau_s)
            self._mean_sq += alpha * (block_mean - self._mean_sq)
        ma_peak = causal_ma(sq, self._peak)
        ma_beat = causal_ma(sq, self._beat)
        threshold = tail(ma_beat, n) + self.config.beat_offset * self._mean_sq
        above = tail(ma_peak, n, self._lag_beat - self._lag_peak) > threshold
        return self._picker.process(tail(clean, n, self._lag_beat), above)
