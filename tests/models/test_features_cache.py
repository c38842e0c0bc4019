"""The feature cache returns a table only for the settings it was computed with."""

from __future__ import annotations

import dataclasses

import numpy as np

from agent.core.features import FEATURE_NAMES, FeatureConfig
from agent.core.signals.eeg import EegConfig
from models.datasets import EEGMAT
from models.extract import cache_key
from models.features_cache import cache_dir, tables

OTHER = FeatureConfig(eeg=EegConfig(window_s=EegConfig().window_s + 4.0))  # any EEG window but the default


def test_every_feature_setting_is_part_of_the_key():
    assert cache_key() == cache_key(FeatureConfig())
    assert cache_key(OTHER) != cache_key()
    assert cache_key(FeatureConfig(eeg=EegConfig(min_segments=EegConfig().min_segments + 1))) != cache_key()


def test_tables_of_other_settings_are_extracted_again_and_kept_apart(tmp_path, monkeypatch):
    """A changed EEG window must not be served the tables of the old one (a retrain would silently use them)."""
    monkeypatch.setenv("EDGE_AGENT_CACHE", str(tmp_path / "cache"))
    subject, path = EEGMAT.recordings()[0]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / path.name).symlink_to(path)
    one = dataclasses.replace(EEGMAT, folder=str(tmp_path / "data"))  # an absolute folder: one subject only

    [default] = tables(one, jobs=1, progress=False)
    [other] = tables(one, jobs=1, progress=False, config=OTHER)
    cached = sorted(cache_dir().rglob("*.npz"))
    assert len(cached) == 2 and cached[0].parent != cached[1].parent
    alpha = FEATURE_NAMES.index("eeg_alpha_rel")
    both = default.available[:, alpha] & other.available[:, alpha]
    assert both.sum() > 100 and not np.array_equal(default.values[both, alpha], other.values[both, alpha])

    stamps = [p.stat().st_mtime_ns for p in cached]
    [again] = tables(one, jobs=1, progress=False)  # from the cache: nothing is written
    assert [p.stat().st_mtime_ns for p in sorted(cache_dir().rglob("*.npz"))] == stamps
    assert again.subject == subject
    for field in ("t", "values", "available", "quality", "label"):
        assert np.array_equal(getattr(again, field), getattr(default, field), equal_nan=True)
