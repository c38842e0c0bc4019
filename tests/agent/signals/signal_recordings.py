"""Real recordings for the signal tests (read from agent.base.datasets.data_root(), never copied)."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
import pytest

from agent.base.datasets import data_root
from agent.base.stream import Modality
from agent.core.signals.cardiac import CardiacProcessor


@functools.cache
def biosignal(name: str) -> pd.DataFrame:
    path = data_root() / "biosignal-samples" / name
    if not path.exists():
        pytest.fail(f"missing shared recording {path}; set EDGE_AGENT_DATA")
    return pd.read_csv(path)


@functools.cache
def rr_ms(name: str) -> np.ndarray:
    return np.loadtxt(data_root() / "rr-intervals" / name)


@functools.cache
def muse(name: str = "subjecta-relaxed-1.csv") -> tuple[tuple[str, ...], np.ndarray]:
    df = pd.read_csv(data_root() / "muse-eeg" / name)
    channels = ("TP9", "AF7", "AF8", "TP10")
    return channels, df[list(channels)].to_numpy(dtype=np.float64)


@functools.cache
def wesad(subject: str = "S3") -> dict[str, np.ndarray]:
    with np.load(data_root() / "wesad-wrist" / f"{subject}_wrist.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def split_points(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    """Turn arbitrary cut positions into consecutive [a, b) pieces covering 0..n."""
    edges = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(itertools.pairwise(edges))


def match_rate(reference: np.ndarray, found: np.ndarray, tol_s: float) -> tuple[float, int]:
    """Share of reference events with a found event within ``tol_s``, and found events matching none."""
    if reference.size == 0 or found.size == 0:
        return 0.0, int(found.size)
    d = np.abs(reference[:, None] - found[None, :])
    return float((d.min(axis=1) <= tol_s).mean()), int((d.min(axis=0) > tol_s).sum())


def nn_series(modality: Modality, x: np.ndarray, fs: float, pieces: list[tuple[int, int]]) -> np.ndarray:
    t = np.arange(x.shape[0]) / fs
    proc = CardiacProcessor(modality, fs)
    for a, b in pieces:
        proc.push_samples(t[a:b], x[a:b], seq=a)
    tt, v = proc.hrv._ring.window(-1.0, 1e9)
    return np.column_stack((tt, v))
