"""Feature tables from recordings, computed by the agent's own pipeline.

A recording is played through the replay driver's :class:`Playback` (the
same chunking the running agent sees) into :class:`agent.analysis.Analysis`
with the serving :class:`FeatureExtractor`, so training and serving cannot
drift apart. Instead of a policy, a recorder keeps every tick's feature
vector; labels are read from the recording's ``label`` track at each tick.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.adaptation import Adaptation, Level
from agent.analysis import Analysis
from agent.clock import Clock
from agent.features import FEATURE_NAMES, GROUPS, FeatureConfig, FeatureExtractor, FeatureVector
from drivers.replay.formats import open_recording
from drivers.replay.playback import Playback
from drivers.replay.recording import Track


@dataclass(frozen=True)
class FeatureTable:
    """One recording's ticks: ``t`` (s from its start), values, availability, quality per group, label."""

    subject: str
    t: np.ndarray  # (n,)
    values: np.ndarray  # (n, F) float32
    available: np.ndarray  # (n, F) bool
    quality: np.ndarray  # (n, len(GROUPS)) float32: each group's quality index
    label: np.ndarray  # (n,) float32, NaN where the recording has none

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp, subject=self.subject, t=self.t, values=self.values, available=self.available,
            quality=self.quality, label=self.label, features=np.array(FEATURE_NAMES),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> FeatureTable | None:
        """The cached table, or None when it was computed for another feature list."""
        with np.load(path, allow_pickle=False) as z:
            if tuple(str(f) for f in z["features"]) != FEATURE_NAMES:
                return None
            return cls(str(z["subject"]), z["t"], z["values"], z["available"], z["quality"], z["label"])


class _Recorder:
    """Stands where the policy would: keeps the feature vectors."""

    def __init__(self) -> None:
        self.vectors: list[FeatureVector] = []
        self._hold = Adaptation(seq=0, t=0.0, level=Level.HOLD, distress=0.0, confidence=0.0)

    def update(self, fv: FeatureVector) -> Adaptation:
        self.vectors.append(fv)
        return self._hold


class _RecordingClock(Clock):
    """Time zero at the recording's start, so tick times are recording offsets."""

    def now(self) -> float:
        return 0.0


def label_at(track: Track, t: np.ndarray) -> np.ndarray:
    """The label track's value in force at each time (NaN before it starts or after it ends)."""
    idx = track.indices_at(t + 1e-9)  # the first sample after t ...
    idx = idx - 1  # ... so the one in force at t is the one before it
    out = np.full(t.shape, np.nan, dtype=np.float32)
    ok = (idx >= 0) & (idx < len(track))
    out[ok] = track.x[idx[ok], 0]
    return out


def extract(path: Path, subject: str, streams: tuple[str, ...], config: FeatureConfig | None = None) -> FeatureTable:
    """Play ``path`` (its ``streams`` and ``label``) through the feature pipeline."""
    tracks = open_recording(path, "auto", (*streams, "label"))
    labels = next(t for t in tracks if t.name == "label")
    signals = [t for t in tracks if t.name != "label"]
    recorder = _Recorder()
    analysis = Analysis(FeatureExtractor(config), recorder)
    playback = Playback(signals, device_id=subject, clock=_RecordingClock(), speed=None)

    async def play() -> None:
        async for chunk in playback.chunks():
            analysis.feed(chunk)

    asyncio.run(play())
    vs = recorder.vectors
    t = np.array([v.t for v in vs], dtype=np.float64)
    return FeatureTable(
        subject=subject,
        t=t,
        values=np.array([v.values for v in vs], dtype=np.float32).reshape(len(vs), len(FEATURE_NAMES)),
        available=np.array([v.available for v in vs], dtype=bool).reshape(len(vs), len(FEATURE_NAMES)),
        quality=np.array([[v.quality[g].index for g in GROUPS] for v in vs], dtype=np.float32).reshape(len(vs), len(GROUPS)),
        label=label_at(labels, t),
    )


def fingerprint(paths: list[Path]) -> str:
    """A hash of the training recordings' bytes, for the model's metadata."""
    h = hashlib.sha256()
    for p in sorted(paths):
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                h.update(f.relative_to(p.parent).as_posix().encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()
