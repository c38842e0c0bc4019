"""Feature tables from recordings, computed by the agent's own pipeline.

A recording is replayed through the core's ticker (``agent.replay.ticks``,
the very path of ``edge-agent replay``) with the serving
:class:`FeatureExtractor`, so training and serving cannot drift apart. Every
tick's feature vector is kept, with the recording's label in force at it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.core.features import FEATURE_NAMES, GROUPS, FeatureConfig, FeatureExtractor
from agent.core.ticker import Ticker
from agent.replay import open_recorded, ticks

# Bump when the ticker's ordering, the signal processing or how a recording is read changes: cached tables are
# then recomputed.
# (A change of the feature settings, e.g. a window's default length, is caught by ``cache_key`` itself.)
EXTRACT_VERSION = "core-ticker/8"  # 7: EEGMAT without its files' padding; 8: R peaks on the side the QRS points


def cache_key(config: FeatureConfig | None = None) -> str:
    """What a cached table must have been computed with: the extractor's version and every feature setting."""
    return f"{EXTRACT_VERSION} {(config or FeatureConfig()).model_dump_json()}"


@dataclass(frozen=True)
class FeatureTable:
    """One recording's ticks: ``t`` (s from its start), values, availability, quality per group, label."""

    subject: str
    t: np.ndarray  # (n,)
    values: np.ndarray  # (n, F) float32
    available: np.ndarray  # (n, F) bool
    quality: np.ndarray  # (n, len(GROUPS)) float64: each group's quality index
    label: np.ndarray  # (n,) float32, NaN where the recording has none

    def save(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp, subject=self.subject, t=self.t, values=self.values, available=self.available,
            quality=self.quality, label=self.label, features=np.array(FEATURE_NAMES), version=key,
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, key: str) -> FeatureTable | None:
        """The cached table, or None when it was computed for another feature list or with other settings."""
        with np.load(path, allow_pickle=False) as z:
            if tuple(str(f) for f in z["features"]) != FEATURE_NAMES or "version" not in z or str(z["version"]) != key:
                return None
            return cls(str(z["subject"]), z["t"], z["values"], z["available"], z["quality"], z["label"])


def extract(path: Path, subject: str, streams: tuple[str, ...] | None, config: FeatureConfig | None = None) -> FeatureTable:
    """Replay ``path`` (its ``streams``; None: every stream, as ``edge-agent replay`` opens it) through the
    core's ticker, exactly as ``edge-agent replay`` does."""
    recorded = open_recorded(path, streams=streams, device_id=subject)
    ticker = Ticker(FeatureExtractor(config), watermarks=False)
    vs = [tick.features for batch in ticks(ticker, recorded) for tick in batch]
    t = np.array([v.t for v in vs], dtype=np.float64)
    return FeatureTable(
        subject=subject,
        t=t,
        values=np.array([v.values for v in vs], dtype=np.float32).reshape(len(vs), len(FEATURE_NAMES)),
        available=np.array([v.available for v in vs], dtype=bool).reshape(len(vs), len(FEATURE_NAMES)),
        # float64 as the core computes it: the policy compares and weighs these exactly
        quality=np.array([[v.quality[g].index for g in GROUPS] for v in vs], dtype=np.float64).reshape(len(vs), len(GROUPS)),
        label=np.array([np.nan if (x := recorded.label_at(float(ti))) is None else x for ti in t], dtype=np.float32),
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
