"""What ``edge-agent simulate lsl`` publishes: a recorded Muse file, or synthetic EEG.

Both are plain arrays (samples × channels, µV) with channel names, so the
publisher does not care where they came from and tests can regenerate the
exact values they expect to receive.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.plugin import data_root

# A 10-20 montage in the order 8- and 16-channel headsets usually wire it.
MONTAGE_10_20 = (
    "Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2",
    "F7", "F8", "T7", "T8", "P3", "P4", "P7", "P8",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Signal:
    """Samples to publish, with their channel names and where they came from."""

    samples: np.ndarray  # float32 (n, channels), µV
    labels: tuple[str, ...]
    rate_hz: float
    origin: str


def recording_path(name_or_path: str, root: Path | None = None) -> Path:
    """A muselsl CSV: a path as given, else a name (with or without .csv) in ``<data>/muse-eeg``."""
    given = Path(name_or_path)
    if given.is_file():
        return given
    folder = (root or data_root()) / "muse-eeg"
    for candidate in (folder / name_or_path, folder / f"{name_or_path}.csv"):
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(p.stem for p in folder.glob("*.csv"))) or f"none found in {folder}"
    raise FileNotFoundError(f"no muselsl recording {name_or_path!r}; known: {known}")


def load_muse_csv(path: Path, rate_hz: float = 256.0) -> Signal:
    """A muselsl CSV export: ``timestamps`` then one column per channel, µV.

    The file's own timestamps are not replayed: the publisher stamps samples
    at the nominal rate, as a Muse does (muselsl recordings carry BLE jitter).
    """
    with path.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    if not header or header[0].strip().lower() != "timestamps" or len(header) < 2:
        raise ValueError(f"{path}: not a muselsl CSV (first column must be 'timestamps', got {header[:1]})")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    if data.shape[1] != len(header) or data.shape[0] == 0:
        raise ValueError(f"{path}: {data.shape[1]} columns for a {len(header)}-column header, or no rows")
    labels = tuple(h.strip() for h in header[1:])
    return Signal(data[:, 1:].astype(np.float32), labels, rate_hz, f"recording {path.name}")


def synthetic_eeg(channels: int, rate_hz: float, *, seconds: float = 60.0, seed: int = 0) -> Signal:
    """Resting-like EEG: 1/f background, alpha that waxes and wanes, some beta (µV).

    The same (channels, rate, seconds, seed) always gives the same samples,
    so a test can find any received sample in it.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    # 1/f ("pink") background: white noise shaped in the frequency domain.
    freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
    shape = np.where(freqs > 0.5, 1.0 / np.sqrt(np.maximum(freqs, 0.5)), 0.0)
    spectrum = rng.standard_normal((channels, freqs.size)) + 1j * rng.standard_normal((channels, freqs.size))
    background = np.fft.irfft(spectrum * shape, n=n, axis=1)
    background *= 8.0 / background.std(axis=1, keepdims=True)
    phases = rng.uniform(0, 2 * np.pi, size=(channels, 3))
    alpha_env = 1.0 + 0.6 * np.sin(2 * np.pi * 0.1 * t + phases[:, :1])  # waxes and wanes over 10 s
    alpha = 12.0 * alpha_env * np.sin(2 * np.pi * 10.0 * t + phases[:, 1:2])
    beta = 3.0 * np.sin(2 * np.pi * 20.0 * t + phases[:, 2:3])
    eeg = background + alpha + beta + rng.normal(0.0, 1.5, size=(channels, n))
    labels = (
        MONTAGE_10_20[:channels] if channels <= len(MONTAGE_10_20) else tuple(f"ch{i + 1}" for i in range(channels))
    )
    return Signal(np.ascontiguousarray(eeg.T, dtype=np.float32), labels, rate_hz, f"synthetic seed {seed}")
