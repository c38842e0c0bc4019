"""Benchmark: the cost of one tick's feature update on real recordings, beside a reference.

The workload is the design's budget scenario built from the shared
recordings: ECG and EDA at 100 Hz (bio_resting_8min_100hz), a chest strap's
RR intervals (pyhrv's long NN series), and 8 channels of EEG at 256 Hz (two
real Muse recordings side by side, 4 channels each). Chunks arrive as the
devices send them (ECG 73 samples as a Polar H10 frame, EDA 16, EEG 12 as
Muse, RR one beat at a time) and the extractor ticks at 4 Hz.

"One tick's feature update" is everything the agent does per tick: taking
that tick's 0.25 s of chunks from every stream and assembling the feature
vector. The reference (``reference(windows)``) recomputes the same windows
from scratch, the way a batch library would at each tick; NeuroKit2's
version lives with the tests (tests/agent/signals/nk_reference.py), because
``agent`` never imports NeuroKit2.

    python -m tools.bench.signals                       # ours only
    python tests/agent/signals/nk_reference.py          # ours beside NeuroKit2
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.base.datasets import data_root
from agent.base.stream import Chunk, Modality, StreamSpec
from agent.core.features import FeatureExtractor

ECG = StreamSpec("ecg", Modality.ECG, ("ecg",), "mV", 100.0)
EDA = StreamSpec("eda", Modality.EDA, ("eda",), "uS", 100.0)
RR = StreamSpec("rr", Modality.RR, ("rr",), "s", None)
EEG_CHANNELS = ("TP9", "AF7", "AF8", "TP10", "TP9b", "AF7b", "AF8b", "TP10b")
EEG = StreamSpec("eeg", Modality.EEG, EEG_CHANNELS, "uV", 256.0)
CHUNK = {"ecg": 73, "eda": 16, "eeg": 12, "rr": 1}


@dataclass(frozen=True)
class Workload:
    streams: dict[str, tuple[StreamSpec, np.ndarray, np.ndarray]]  # name -> (spec, t, x)
    seconds: float


def load_workload(root: Path | None = None) -> Workload:
    root = root or data_root()
    bio = np.genfromtxt(root / "biosignal-samples" / "bio_resting_8min_100hz.csv", delimiter=",", names=True)
    n = bio.shape[0]
    seconds = n / 100.0
    t100 = np.arange(n) / 100.0
    eeg_parts = []
    for name in ("subjecta-relaxed-1.csv", "subjecta-relaxed-2.csv"):
        d = np.genfromtxt(root / "muse-eeg" / name, delimiter=",", skip_header=1)[:, 1:5]
        eeg_parts.append(d)
    m = min(p.shape[0] for p in eeg_parts)
    eeg8 = np.hstack([p[:m] for p in eeg_parts])
    n256 = int(seconds * 256)
    eeg = np.tile(eeg8, (int(np.ceil(n256 / m)), 1))[:n256]
    rr = np.loadtxt(root / "rr-intervals" / "pyhrv_SampleNNISeriesLong_ms.txt") / 1000.0
    t_rr = np.cumsum(rr)
    keep = t_rr < seconds
    return Workload(
        {
            "ecg": (ECG, t100, bio["ECG"].astype(np.float64)),
            "eda": (EDA, t100, bio["EDA"].astype(np.float64)),
            "rr": (RR, t_rr[keep], rr[keep]),
            "eeg": (EEG, np.arange(n256) / 256.0, eeg),
        },
        seconds,
    )


def windows_at(w: Workload, t: float) -> dict[str, tuple[float, np.ndarray]]:
    """The raw data a from-scratch computation needs at tick ``t``: name -> (rate or 0, samples)."""
    out = {}
    for name, span in (("ecg", 300.0), ("eda", 60.0), ("eeg", 60.0), ("rr", 300.0)):
        spec, tt, x = w.streams[name]
        m = (tt > t - span) & (tt <= t)
        out[name] = (spec.rate_hz or 0.0, x[m])
    return out


def measure(
    reference: Callable[[dict[str, tuple[float, np.ndarray]]], object] | None = None,
    *,
    workload: Workload | None = None,
    warmup_s: float = 300.0,
    measure_s: float = 120.0,
    reference_repeats: int = 3,
) -> dict[str, float]:
    w = workload or load_workload()
    warmup_s = min(warmup_s, w.seconds - measure_s)
    fx = FeatureExtractor()
    period = fx.tick_period_s
    cursors = dict.fromkeys(w.streams, 0)
    costs: list[float] = []
    t_tick = period
    end = warmup_s + measure_s
    wall0 = time.perf_counter()
    while t_tick <= end + 1e-9:
        started = time.perf_counter()
        for name, (spec, tt, x) in w.streams.items():
            due = int(np.searchsorted(tt, t_tick, side="right"))
            a = cursors[name]
            while a < due:
                b = min(a + CHUNK[name], due)
                fx.push(Chunk("bench", spec, a, tt[a:b], x[a:b]))
                a = b
            cursors[name] = a
        vector = fx.tick(t_tick)
        if t_tick > warmup_s:
            costs.append(time.perf_counter() - started)
        t_tick += period
    wall = time.perf_counter() - wall0
    if not vector.available.any():
        raise RuntimeError("the benchmark workload produced no features")
    c = np.array(costs) * 1e6
    result = {
        "tick_us_mean": float(c.mean()),
        "tick_us_p50": float(np.percentile(c, 50)),
        "tick_us_p99": float(np.percentile(c, 99)),
        "ticks": float(c.size),
        "features_available": float(vector.available.sum()),
        "realtime_factor": end / wall,  # data seconds per wall second, signals stage only
        "cpu_share_of_one_core_live": float(c.mean()) * fx.config.tick_hz / 1e6,
    }
    if reference is not None:
        windows = windows_at(w, end)
        ref = []
        for _ in range(reference_repeats):
            started = time.perf_counter()
            reference(windows)
            ref.append(time.perf_counter() - started)
        result["reference_us"] = float(np.median(ref)) * 1e6
        result["ratio"] = result["reference_us"] / result["tick_us_mean"]
    return result


def main() -> None:
    print(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
