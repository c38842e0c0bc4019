"""A simulated EEG headset: 256 Hz, µV, 4 (Muse-like) to 8 channels, chunks of 16.

Each channel is a 1/f background (a sum of first-order low-pass noises at
geometrically spaced corners, after Kellet), plus alpha (~10 Hz, narrowband,
strongest at the back of the head) that drops with arousal, plus beta
(~20 Hz) that rises with it, plus eye blinks on the frontal channels.
Alpha is partly common to all channels, as a real alpha rhythm is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from agent.plugin import DriverContext, Modality, StreamSpec
from drivers.simulated.device import SampledDevice
from drivers.simulated.noise import FilteredNoise, block_rng, poisson_times
from drivers.simulated.options import EegOptions

RATE_HZ = 256.0
CHUNK_LEN = 16
BLOCK_LEN = 2048  # 8 s; every filter below forgets within ~0.2 s, so block seams are exact
BACKGROUND_UV = 9.0  # rms of the 1/f background
ALPHA_UV = 11.0  # alpha rms at arousal 0 on a posterior channel
BETA_UV = 2.0  # beta rms at arousal 0
BLINKS_PER_MIN = 12.0
BLINK_UV = 120.0
BLINK_BLOCK_S = 30.0
_PINK_CORNERS_HZ = (1.0, 4.0, 16.0, 64.0)


def alpha_weight(label: str) -> float:
    """How strongly a 10-20 site sees the (posterior-dominant) alpha rhythm."""
    if label.startswith(("O", "PO", "P")):
        return 1.0
    if label.startswith(("TP", "T", "C", "CP")):
        return 0.7
    return 0.45


def blink_weight(label: str) -> float:
    """How strongly a site sees an eye blink: frontal sites only, falling off backwards."""
    if label.startswith("Fp"):
        return 1.0
    if label.startswith("AF"):
        return 0.8
    if label.startswith("F") and not label.startswith(("FC", "FT")):
        return 0.35
    return 0.0


class SimulatedEeg(SampledDevice):
    options: ClassVar[type[EegOptions]] = EegOptions
    plugin_name = "sim-eeg"
    kind = "eeg"
    display_name = "Simulated EEG headset"
    burst_sd = 150.0  # muscle and movement artefact, µV
    chunk_len = CHUNK_LEN
    block_len = BLOCK_LEN

    def __init__(self, options: EegOptions, context: DriverContext) -> None:
        super().__init__(options, context)
        self.spec = StreamSpec("eeg", Modality.EEG, options.channels, "µV", RATE_HZ)
        n = len(options.channels)
        seed = options.seed
        self.alpha_hz = float(block_rng(seed, "eeg-person", 0).uniform(9.5, 10.5))  # individual alpha frequency
        self._alpha_w = np.array([alpha_weight(c) for c in options.channels])
        self._blink_w = np.array([blink_weight(c) for c in options.channels])
        self._background = FilteredNoise(seed, "eeg-background", BLOCK_LEN, n, _pink)
        self._alpha_common = FilteredNoise(seed, "eeg-alpha-common", BLOCK_LEN, 1, _resonator(self.alpha_hz, 0.985))
        self._alpha_own = FilteredNoise(seed, "eeg-alpha", BLOCK_LEN, n, _resonator(self.alpha_hz, 0.985))
        self._beta = FilteredNoise(seed, "eeg-beta", BLOCK_LEN, n, _resonator(20.0, 0.94))

    def _render_block(self, b: int) -> np.ndarray:
        s = (b * BLOCK_LEN + np.arange(BLOCK_LEN)) / RATE_HZ
        a = self.scenario.arousal(s)[:, None]
        alpha = 0.7 * self._alpha_common.block(b) + 0.7 * self._alpha_own.block(b)  # rms ~1
        eeg = BACKGROUND_UV * self._background.block(b)
        eeg += ALPHA_UV * (1.0 - 0.55 * a) * alpha * self._alpha_w
        eeg += BETA_UV * (0.6 + 0.9 * a) * self._beta.block(b)
        if self._blink_w.any():
            eeg += self._blinks(s)[:, None] * self._blink_w
        return eeg

    def _blinks(self, s: np.ndarray) -> np.ndarray:
        """Blink potentials (µV at Fp) at times ``s``: a 0.3-0.45 s raised-cosine bump each."""
        out = np.zeros(s.shape)
        first, last = math.floor((s[0] - 0.5) / BLINK_BLOCK_S), math.floor(s[-1] / BLINK_BLOCK_S)
        for blk in range(max(0, first), last + 1):
            onset, rng = poisson_times(self.opts.seed, "eeg-blink", blk, BLINK_BLOCK_S, BLINKS_PER_MIN / 60.0)
            amp = BLINK_UV * rng.uniform(0.7, 1.3, onset.size)
            dur = rng.uniform(0.3, 0.45, onset.size)
            for t0, a0, d0 in zip(onset.tolist(), amp.tolist(), dur.tolist(), strict=True):
                i0, i1 = np.searchsorted(s, [t0, t0 + d0])
                out[i0:i1] += a0 * (0.5 - 0.5 * np.cos(2 * np.pi * (s[i0:i1] - t0) / d0))
        return out


def _causal(white: np.ndarray, impulse: np.ndarray) -> np.ndarray:
    """A filter from rest over each column, as convolution with its impulse response.

    Exact for a block that starts from rest (what ``lfilter`` without a state
    gives), and done with numpy's FFT: importing scipy.signal would cost the
    agent ~69 MB of resident memory for two filters.
    """
    n = white.shape[0]
    size = 1 << max(1, (2 * n - 1).bit_length())
    spectrum = np.fft.rfft(white, size, axis=0) * np.fft.rfft(impulse[:n], size)[:, None]
    return np.fft.irfft(spectrum, size, axis=0)[:n]


def _pink_unscaled(white: np.ndarray) -> np.ndarray:
    # One-pole low-passes at corners a factor 4 apart, weighted so their power
    # sum falls as 1/f between the first and the last corner.
    out = np.zeros_like(white)
    for fc in _PINK_CORNERS_HZ:
        p = math.exp(-2 * math.pi * fc / RATE_HZ)
        out += _causal(white, math.sqrt(1.0 - p * p) / math.sqrt(fc) * p ** np.arange(white.shape[0]))
    return out


def _impulse_rms(shape: Callable[[np.ndarray], np.ndarray]) -> float:
    """The rms output of a linear filter for unit white noise, from its impulse response."""
    impulse = np.zeros((4096, 1))
    impulse[0] = 1.0
    return float(np.sqrt(np.sum(shape(impulse) ** 2)))


_PINK_GAIN = 1.0 / _impulse_rms(_pink_unscaled)


def _pink(white: np.ndarray) -> np.ndarray:
    """1/f noise of unit rms."""
    return _PINK_GAIN * _pink_unscaled(white)


def _resonator(freq_hz: float, r: float) -> Callable[[np.ndarray], np.ndarray]:
    """Narrowband noise at ``freq_hz`` (two-pole resonator, poles at radius ``r``), unit rms."""
    w = 2 * math.pi * freq_hz / RATE_HZ

    def unscaled(white: np.ndarray) -> np.ndarray:
        k = np.arange(white.shape[0])  # impulse response of 1 / (1 - 2r cos(w) z^-1 + r^2 z^-2)
        return _causal(white, r**k * np.sin((k + 1) * w) / math.sin(w))

    gain = 1.0 / _impulse_rms(unscaled)
    return lambda white: gain * unscaled(white)
