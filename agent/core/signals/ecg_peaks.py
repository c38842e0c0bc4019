"""R-peak detection from raw ECG, streaming: NeuroKit2's ``neurokit`` method made causal.

NeuroKit2 cleans with a zero-phase 0.5 Hz Butterworth high-pass and a
zero-phase 50 Hz moving average, then marks QRS complexes where the smoothed
absolute gradient exceeds 1.5 times its own 0.75 s average, and takes the
most prominent maximum of the cleaned signal in each. A stream cannot run a
filter backwards, so here every stage is a linear-phase FIR whose lag is an
exact number of samples: the high-pass is "the signal minus its centred
1 s mean" (a causal Butterworth bends the wide QRS of 100 Hz recordings
enough to move peaks by 80 ms; see docs/signals.md), the 50 Hz stage is the
same moving average applied twice, and each centred window NeuroKit2 uses is
reproduced by delaying the other signals by the same number of samples.
Beats are reported about one second after they happen, at the same samples
NeuroKit2 finds (tests/agent/signals/test_ecg_peaks.py), refined to a
fraction of a sample with a parabola: at the Polar H10's 130 Hz one sample
is 7.7 ms, too coarse for RMSSD.

One deliberate difference: the beat is the maximum of the cleaned signal
turned the way its QRS complexes point (:class:`Polarity`). NeuroKit2 takes
the maximum as it comes, so an inverted ECG (a strap worn upside down,
swapped leads) gets its beats from whatever small wave sits beside each
inverted R: in EEGMAT's Subject27 a third of the intervals then jump by more
than 20 %, against 1 % with the signal turned over.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.core.signals.block_detector import BlockPeakDetector
from agent.core.signals.filters import causal_ma, tail


class EcgPeakConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline_s: float = Field(1.0, gt=0)  # high-pass: minus the centred mean over this window
    powerline_hz: float = Field(50.0, gt=0)
    smooth_s: float = Field(0.1, gt=0)
    average_s: float = Field(0.75, gt=0)
    threshold_weight: float = Field(1.5, gt=0)
    min_len_weight: float = Field(0.4, ge=0)
    min_delay_s: float = Field(0.3, gt=0)
    max_qrs_s: float = Field(1.0, gt=0)  # a longer "QRS" region is noise or lost contact


class Polarity:
    """Which way an ECG's QRS complexes point: +1 upright, -1 inverted.

    Followed over the QRS samples of each block: the average largest excursion above zero and below it.
    The sign turns only when the other side is ``ratio`` times as large, so a complex whose S wave is
    about as deep as its R is tall keeps the side it started on, and its beats do not hop from R to S;
    and not before ``settle`` blocks with QRS samples, while the filters' start still weighs in.
    """

    def __init__(self, ratio: float = 1.25, weight: float = 0.1, settle: int = 20) -> None:
        self.ratio, self.weight, self.settle = ratio, weight, settle
        self.sign = 1.0
        self._up: float | None = None
        self._down = 0.0
        self._seen = 0

    def update(self, qrs: np.ndarray) -> None:
        """The cleaned signal's samples inside QRS regions, one block's worth (may be empty)."""
        if qrs.size == 0:
            return
        up, down = float(qrs.max()), float(-qrs.min())
        if self._up is None:
            self._up, self._down = up, down
        else:
            self._up += self.weight * (up - self._up)
            self._down += self.weight * (down - self._down)
        self._seen += 1
        if self._seen < self.settle:
            return
        if self._down > self.ratio * self._up:
            self.sign = -1.0
        elif self._up > self.ratio * self._down:
            self.sign = 1.0


class EcgPeakDetector(BlockPeakDetector):
    """Contiguous blocks of one raw ECG channel in, R-peak times (agent clock, s) out."""

    def __init__(self, fs: float, config: EcgPeakConfig | None = None, max_block: int | None = None) -> None:
        cfg = config or EcgPeakConfig()
        self.config = cfg
        self._base = max(1, int(np.rint(cfg.baseline_s * fs)))
        self._power = int(fs / cfg.powerline_hz) if fs >= 100 else 2  # as NeuroKit2 chooses it
        self._smooth = max(1, int(np.rint(cfg.smooth_s * fs)))
        self._average = max(1, int(np.rint(cfg.average_s * fs)))
        lag_base = (self._base - 1) // 2
        self._lag_base = lag_base
        self._lag_smooth = (self._smooth - 1) // 2
        self._lag_average = (self._average - 1) // 2
        # raw samples between the newest sample and the newest aligned (threshold-ready) sample
        self._clean_lag = 1 + self._lag_smooth + self._lag_average
        self.latency = lag_base + self._power - 1 + self._clean_lag
        depth = self._base + 2 * self._power + self._smooth + self._average + self._clean_lag + 4
        self._setup(
            fs,
            depth=depth,
            max_len=int(np.rint(cfg.max_qrs_s * fs)),
            min_delay=int(np.rint(cfg.min_delay_s * fs)),
            max_block=max_block,
            min_len_weight=cfg.min_len_weight,
        )
        self.reset()

    def _block(self, ext: np.ndarray, n: int) -> list[int]:
        # high-pass: the signal minus its centred mean (linear phase, lag_base)
        hp = tail(ext, ext.shape[0] - self._base + 1, self._lag_base) - causal_ma(ext, self._base)
        clean = causal_ma(causal_ma(hp, self._power), self._power)  # NeuroKit2's filtfilt'ed 50 Hz boxcar
        grad = 0.5 * np.abs(clean[2:] - clean[:-2])  # |np.gradient|, one sample late
        smooth = causal_ma(grad, self._smooth)
        average = causal_ma(smooth, self._average)
        above = tail(smooth, n, self._lag_average) > self.config.threshold_weight * tail(average, n)
        aligned = tail(clean, n, self._clean_lag)
        self._polarity.update(aligned[above])
        return self._picker.process(self._polarity.sign * aligned, above)

    def reset(self) -> None:
        super().reset()
        self._polarity = Polarity()  # after a gap the strap may sit another way
