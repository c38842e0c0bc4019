"""From a subject's feature table to model rows, exactly as the agent would see them.

The subject is calibrated the way the agent calibrates a patient: the
:class:`agent.baseline.Calibration` runs over the ticks from the start of
the resting condition until it has ``calibration_s`` of trustworthy data;
every later tick is normalised to that profile. Ticks inside calibration are
never scored (the agent holds then), nor are ticks whose feature windows
still reach back into another condition (``settle_s``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.baseline import BaselineOptions, Calibration, Profile
from agent.features import FEATURES, GROUPS, FeatureConfig
from models.datasets import Dataset
from models.extract import FeatureTable

GROUP_OF = np.array([GROUPS.index(f.group) for f in FEATURES])


@dataclass(frozen=True)
class SubjectRows:
    subject: str
    t: np.ndarray
    z: np.ndarray  # (n, F) baseline z-scores, 0 where unusable
    group_ok: np.ndarray  # (n, len(GROUPS)) the group's quality passes
    quality: np.ndarray  # (n, len(GROUPS))
    y: np.ndarray  # (n,) 1 stress, 0 calm
    scored: np.ndarray  # (n,) counts in the evaluation
    profile: Profile


def usable(table: FeatureTable, min_quality: float) -> tuple[np.ndarray, np.ndarray]:
    ok = table.quality >= min_quality
    return table.available & ok[:, GROUP_OF], ok


def settled(t: np.ndarray, label: np.ndarray, settle_s: float) -> np.ndarray:
    """True where the label has not changed during the ``settle_s`` before each tick."""
    codes = np.nan_to_num(label, nan=-1)
    change = np.r_[0, np.flatnonzero(np.diff(codes) != 0) + 1]
    last_change_t = t[change[np.searchsorted(change, np.arange(len(t)), side="right") - 1]]
    return t - last_change_t >= settle_s


def subject_rows(table: FeatureTable, dataset: Dataset, options: BaselineOptions, settle_s: float) -> SubjectRows | None:
    use, group_ok = usable(table, FeatureConfig().min_quality)
    rest = np.flatnonzero(np.nan_to_num(table.label, nan=-1) == dataset.rest)
    if not rest.size:
        return None
    cal = Calibration(options)
    i = int(rest[0])
    while i < len(table.t) and not cal.done:
        cal.observe(float(table.t[i]), table.values[i], use[i])
        i += 1
    if not cal.done:
        return None
    profile = cal.profile()
    z, _ = profile.normalise(table.values, use)
    y, scored = dataset.target(table.label)
    scored &= (np.arange(len(table.t)) >= i) & settled(table.t, table.label, settle_s)
    return SubjectRows(table.subject, table.t, z, group_ok, table.quality, y, scored, profile)
