"""Feature tables for every subject of a dataset, computed once and cached.

The cache lives outside the repository (``$EDGE_AGENT_CACHE``, default
``~/.cache/vr-edge-agent/features``) and is keyed by dataset, subject, the
feature list and every feature setting (``models.extract.cache_key``), so a
change to the extractor's features or to a window's length recomputes it, and
tables of other settings (``models.eeg_window``) sit beside it.
Use ``--refresh`` after changing the signal processing itself.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from agent.core.features import FeatureConfig
from agent.errors import ConfigError
from models.datasets import Dataset
from models.extract import FeatureTable, cache_key, extract


def cache_dir() -> Path:
    return Path(os.environ.get("EDGE_AGENT_CACHE", Path.home() / ".cache" / "vr-edge-agent")) / "features"


def _one(dataset: Dataset, subject: str, path: Path, refresh: bool, config: FeatureConfig | None) -> FeatureTable | str:
    key = cache_key(config)
    cached = cache_dir() / dataset.name / hashlib.sha256(key.encode()).hexdigest()[:12] / f"{subject}.npz"
    if cached.exists() and not refresh:
        table = FeatureTable.load(cached, key)
        if table is not None:
            return table
    try:
        table = extract(path, subject, dataset.streams, config)
    except ConfigError as exc:  # e.g. a subject the dataset's label file does not list
        return f"skipped: {exc}"
    table.save(cached, key)
    return table


def tables(dataset: Dataset, *, refresh: bool = False, jobs: int = 2, progress: bool = True,
           config: FeatureConfig | None = None) -> list[FeatureTable]:
    """Every subject's table, extracted with ``config`` (the agent's default feature settings if None)."""
    recs = dataset.recordings()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_one, dataset, s, p, refresh, config) for s, p in recs]
        out = []
        for (subject, _), fut in zip(recs, futures, strict=True):
            result = fut.result()
            if isinstance(result, str):
                print(f"  {dataset.name} {subject}: {result}", flush=True)
                continue
            out.append(result)
            if progress:
                print(f"  {dataset.name} {subject}: {len(result.t)} ticks", flush=True)
    return out
