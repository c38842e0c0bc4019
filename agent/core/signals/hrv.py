"""Heart-rate variability over sliding windows of NN intervals.

Time domain (Task Force 1996, as NeuroKit2 computes it): MeanNN, SDNN
(ddof = 1), RMSSD over successive differences of adjacent NN intervals only,
pNN50 = NN50 / (successive differences + 1) x 100, and HR = 60 / MeanNN over
a short window for the fast path.

Frequency domain: the latest contiguous run of NN intervals in the window is
resampled at 4 Hz with a cubic spline (NeuroKit2: quadratic, at 100 Hz;
the difference is under 3 % in LF and HF on the reference recordings) and its PSD estimated with Welch's
method exactly as NeuroKit2 does (constant detrend, Hann segments of half
the window, 50 % overlap, FFT length twice the segment), then integrated
with the trapezoid rule over [lo, hi). HF needs at least 1 min of
contiguous beats and LF at least 2 min (about 10 cycles of each band's
lower edge, Task Force 1996). The spectrum is recomputed at most once per
``spectral_step_s`` of agent time, at step boundaries, so the value is a
function of the data alone and costs nothing on most ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.core.signals.beats import NN
from agent.core.signals.ring import TimedRing, WindowCache
from agent.core.signals.spectral import band_integral, welch_psd
from agent.core.signals.spline import cubic_interpolate


class HrvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_s: float = Field(60.0, gt=0)  # time-domain features
    hr_window_s: float = Field(10.0, gt=0)  # fast heart rate
    spectral_window_s: float = Field(300.0, gt=0)  # Task Force short-term standard
    spectral_step_s: float = Field(5.0, gt=0)
    hf_min_s: float = Field(60.0, gt=0)
    lf_min_s: float = Field(120.0, gt=0)
    min_coverage: float = Field(0.5, gt=0, le=1)  # share of a time window NN intervals must cover
    max_hole_s: float = Field(3.0, gt=0)  # a longer hole between beats breaks a spectral run
    interp_hz: float = Field(4.0, gt=1)
    lf_band: tuple[float, float] = (0.04, 0.15)
    hf_band: tuple[float, float] = (0.15, 0.40)
    capacity: int = Field(1024, ge=64)  # NN intervals held (> 300 s at 200 bpm)


@dataclass(frozen=True, slots=True)
class HrvFeatures:
    """None means not available (too few beats, or a window shorter than the band needs)."""

    hr_bpm: float | None = None
    mean_nn_ms: float | None = None
    sdnn_ms: float | None = None
    rmssd_ms: float | None = None
    pnn50_pct: float | None = None
    lf_ms2: float | None = None
    hf_ms2: float | None = None
    lf_hf: float | None = None
    beats: int = 0


def time_domain(nn_s: np.ndarray, continuous: np.ndarray) -> tuple[float, float, float, float]:
    """MeanNN, SDNN, RMSSD (ms) and pNN50 (%) of one window; ``continuous[i]`` says nn[i] follows nn[i-1]."""
    nn = nn_s * 1000.0
    n = nn.shape[0]
    diff = (nn[1:] - nn[:-1])[continuous[1:]]
    k = diff.shape[0]
    # sums and dot products rather than np.mean / np.std: this runs every second and their overhead dominated
    mean = float(np.add.reduce(nn)) / n
    dev = nn - mean
    sdnn = float(np.sqrt(np.dot(dev, dev) / (n - 1))) if n > 1 else 0.0
    rmssd = float(np.sqrt(np.dot(diff, diff) / k)) if k else 0.0
    pnn50 = 100.0 * float(np.count_nonzero(np.abs(diff) > 50.0)) / (k + 1)
    return mean, sdnn, rmssd, pnn50


def band_powers(
    t_beat: np.ndarray, nn_s: np.ndarray, bands: list[tuple[float, float]], interp_hz: float = 4.0
) -> list[float]:
    """Power (ms^2) in each band of an evenly resampled NN series, as NeuroKit2's ``hrv_frequency``."""
    # NeuroKit2's grid runs one step past the last beat; matching it keeps the Welch bins identical
    grid = np.arange(t_beat[0], t_beat[-1] + 1.0 / interp_hz, 1.0 / interp_hz)
    series = cubic_interpolate(t_beat, nn_s * 1000.0, grid)  # not-a-knot cubic, as scipy's
    series = series - series.mean()
    nperseg = series.shape[0] // 2
    freq, psd = welch_psd(series, interp_hz, nperseg, 2 * nperseg)
    return [band_integral(freq, psd, lo, hi) for lo, hi in bands]


class HrvProcessor:
    """NN intervals in; :class:`HrvFeatures` for any window end ``t``."""

    def __init__(self, config: HrvConfig | None = None) -> None:
        self.config = config or HrvConfig()
        self._ring = TimedRing(self.config.capacity, width=3)  # nn_s, continuous, run id
        self._run = 0
        self._spectral_key: tuple[int, int] | None = None
        self._spectral: tuple[float | None, float | None] = (None, None)
        self._cache = WindowCache()
        self._hr_cache = WindowCache()

    def reset(self) -> None:
        self._ring.clear()
        self._run += 1
        self._spectral_key = None
        self._cache = WindowCache()
        self._hr_cache = WindowCache()

    def gap(self) -> None:
        """Beats are missing: the spectrum must not interpolate across this point."""
        self._run += 1

    def push(self, nns: list[NN]) -> None:
        if not nns:
            return
        t = np.fromiter((n.t for n in nns), dtype=np.float64, count=len(nns))
        vals = np.array([(n.nn_s, float(n.continuous), float(self._run)) for n in nns], dtype=np.float64)
        self._ring.push(t, vals)

    def features(self, t: float) -> HrvFeatures:
        """Features of the windows ending at ``t``; recomputed only when their beats change."""
        cfg = self.config
        key = (self._ring.version, self._run)
        if not self._cache.hit(key, t):
            step = cfg.spectral_step_s
            until = min(
                self._ring.stable_until(t - cfg.window_s, t),
                self._ring.stable_until(t - cfg.hr_window_s, t),
                (np.floor(t / step) + 1.0) * step,
            )
            self._cache.store(key, t, until, self._compute(t))
        return self._cache.value  # type: ignore[return-value]

    def heart_rate(self, t: float) -> float | None:
        """The fast path alone: heart rate over the ``hr_window_s`` ending at ``t`` (as in :meth:`features`)."""
        key = self._ring.version
        if not self._hr_cache.hit(key, t):
            until = self._ring.stable_until(t - self.config.hr_window_s, t)
            self._hr_cache.store(key, t, until, self._heart_rate(t))
        return self._hr_cache.value  # type: ignore[return-value]

    def _heart_rate(self, t: float) -> float | None:
        cfg = self.config
        ht, hv = self._ring.window(t - cfg.hr_window_s, t)
        covered = float(hv[:, 0].sum())
        if ht.shape[0] >= 3 and covered >= cfg.min_coverage * cfg.hr_window_s:
            return 60.0 / (covered / ht.shape[0])  # np.mean's own sum and division
        return None

    def _spectral_bounds(self, t: float) -> tuple[int, int]:
        t_step = np.floor(t / self.config.spectral_step_s) * self.config.spectral_step_s
        return self._ring.window_bounds(t_step - self.config.spectral_window_s, t_step)

    def _compute(self, t: float) -> HrvFeatures:
        cfg = self.config
        tt, v = self._ring.window(t - cfg.window_s, t)
        out: dict[str, float | None] = {}
        if tt.shape[0] >= 3 and float(v[:, 0].sum()) >= cfg.min_coverage * cfg.window_s:
            cont = v[:, 1].astype(bool)
            cont[0] = False
            mean, sdnn, rmssd, pnn50 = time_domain(v[:, 0], cont)
            out.update(mean_nn_ms=mean, sdnn_ms=sdnn, rmssd_ms=rmssd, pnn50_pct=pnn50)
        out["hr_bpm"] = self._heart_rate(t)
        lf, hf = self._spectrum(t)
        out.update(lf_ms2=lf, hf_ms2=hf, lf_hf=(lf / hf) if lf is not None and hf is not None and hf > 0 else None)
        return HrvFeatures(beats=int(tt.shape[0]), **out)

    def _spectrum(self, t: float) -> tuple[float | None, float | None]:
        cfg = self.config
        t_step = np.floor(t / cfg.spectral_step_s) * cfg.spectral_step_s
        key = self._spectral_bounds(t)
        if key == self._spectral_key:
            return self._spectral
        self._spectral_key = key
        self._spectral = (None, None)
        tt, v = self._ring.window(t_step - cfg.spectral_window_s, t_step)
        if tt.shape[0] < 8:
            return self._spectral
        # the latest contiguous run: same run id and no hole longer than max_hole_s
        breaks = np.flatnonzero((np.diff(v[:, 2]) != 0) | (np.diff(tt) > cfg.max_hole_s))
        start = int(breaks[-1]) + 1 if breaks.shape[0] else 0
        tt, nn = tt[start:], v[start:, 0]
        if tt.shape[0] < 8:
            return self._spectral
        span = float(tt[-1] - tt[0] + nn[0])
        if span < cfg.hf_min_s:
            return self._spectral
        lf, hf = band_powers(tt, nn, [cfg.lf_band, cfg.hf_band], cfg.interp_hz)
        self._spectral = (lf if span >= cfg.lf_min_s else None, hf)
        return self._spectral
