"""The training recordings in ``../shared/data`` and how each one's labels map to stress.

Each dataset names its subjects' recordings, the streams a sensor of ours
would give (beat intervals come from the wrist PPG or the ECG lead, never
from the dataset's own precomputed intervals), the binary target per label
code, and where a subject's resting calibration lies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.base.datasets import data_root


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: str
    streams: tuple[str, ...]
    stress: frozenset[int]  # label codes that are stress
    calm: frozenset[int]  # label codes that are not stress (the rest are not scored)
    rest: int  # the label code whose first minutes calibrate the baseline
    # a recording holds one stressor, so the level metrics apply (the delay to it, rest time at each level);
    # not where it holds several, whose delays would mix
    one_stressor: bool
    groups: tuple[str, ...]  # the model heads this dataset can train and test
    citation: str
    # conditions with a meaning that the binary target leaves out, (code, name): their decisions are reported
    # (models.errors), as a patient in them would meet them, but neither trained on nor scored
    unscored: tuple[tuple[int, str], ...] = ()

    @property
    def stressor(self) -> int | None:
        """The one stressor's label code, for the level metrics; None where a recording holds several."""
        return next(iter(self.stress)) if self.one_stressor else None

    def recordings(self, root: Path | None = None) -> list[tuple[str, Path]]:
        base = (root or data_root()) / self.folder
        found = []
        for p in sorted(base.iterdir()):
            m = re.fullmatch(r"(S\d+)_wrist\.npz|(S\d+)|Subject(\d+)\.npz", p.name)
            if m:
                subject = m.group(1) or m.group(2) or f"S{m.group(3)}"
                found.append((subject, p))
        return sorted(found, key=lambda sp: int(sp[0][1:]))

    def target(self, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(y, scored): 1 for stress, 0 for calm; ``scored`` is False for other codes and NaN."""
        codes = np.nan_to_num(label, nan=-1).astype(int)
        y = np.isin(codes, list(self.stress))
        scored = y | np.isin(codes, list(self.calm))
        return y.astype(np.int8), scored


WESAD = Dataset(
    "wesad", "wesad-wrist", ("eda", "bvp", "acc"),
    stress=frozenset({2}), calm=frozenset({1, 3}), rest=1, one_stressor=True, groups=("cardiac", "eda"),
    citation="Schmidt et al., ICMI 2018, doi:10.1145/3242969.3242985", unscored=((4, "meditation"),),
)
STRESS_PREDICT = Dataset(
    "stress-predict", "stress-predict/raw", ("eda", "bvp", "acc"),
    stress=frozenset({1}), calm=frozenset({0}), rest=0, one_stressor=False, groups=("cardiac", "eda"),
    citation="Iqbal et al., Sensors 22(21):8135, 2022, doi:10.3390/s22218135",
)
EEGMAT = Dataset(
    "eegmat", "eegmat", ("eeg", "ecg"),
    stress=frozenset({1}), calm=frozenset({0}), rest=0, one_stressor=True, groups=("eeg", "cardiac"),
    citation="Zyma et al., Data 4(1):14, 2019, doi:10.3390/data4010014",
)
DATASETS = {d.name: d for d in (WESAD, STRESS_PREDICT, EEGMAT)}
