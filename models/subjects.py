"""Each subject as training sees it, and the models fitted on a set of them.

A subject's ticks are normalised by the deployed baseline, calibrated from the
recording's start as the agent does (``models.loso.deployed``); its training
rows are the calibrated, labelled ticks settled inside one condition. A view
says which features a model may use and a held-out subject may wear (every
sensor, one sensor group alone, EEG without gamma); :func:`fit_kinds` fits
each model kind on one view's rows of a set of subjects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.core.features import FEATURES, GROUPS
from models.datasets import Dataset
from models.export import Additive
from models.extract import FeatureTable
from models.fit import COMMITTED, MEMBERS, Heartless, Recipe, Rows, augmented, ensemble, fit_member, subject_rows
from models.loso import Deployed, config_for, deployed, settled, table_ticks, without_heart

SETTLE_S = {"wesad": 60.0, "stress-predict": 60.0, "eegmat": 20.0}  # training rows: windows inside one condition
GAMMA = tuple(f.name for f in FEATURES if "gamma" in f.name)  # mostly muscle at frontal and temporal sites
# What each evaluation may use: every sensor, one sensor group alone ("eeg-only", ...), or EEG without gamma.
VIEWS = {
    "all": lambda f: True,
    **{f"{g}-only": (lambda f, g=g: f.group == g) for g in GROUPS},
    "eeg-no-gamma": lambda f: f.group == "eeg" and f.name not in GAMMA,
}


@dataclass
class Subject:
    dataset: str
    name: str
    table: FeatureTable
    z: np.ndarray
    usable: np.ndarray
    y: np.ndarray
    train: np.ndarray  # ticks fit for training: calibrated, scored, settled
    heartless: Deployed | None = None  # its z-scores without a heart sensor, where it has skin and heart

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.name}"


def prepare(dataset: Dataset, found: list[FeatureTable], settings: str | None = None,
            settle_s: float | None = None) -> list[Subject]:
    """Each subject's ticks normalised by the deployed baseline, as the agent with ``settings`` would.
    ``settle_s``: the training rows' settling time instead of the dataset's (``SETTLE_S``)."""
    config = config_for(text=settings)
    settle = SETTLE_S[dataset.name] if settle_s is None else settle_s
    out = []
    for table in found:
        ticks = table_ticks(table, config.top.features.min_quality)
        d = deployed(ticks, config)
        y, scored = dataset.target(table.label)
        train = d.calibrated & scored & settled(table.t, table.label, settle)
        out.append(Subject(dataset.name, table.subject, table, d.z, d.usable, y, train, without_heart(table, config)))
    return out


def view_mask(view: str) -> np.ndarray:
    keep = VIEWS[view]
    return np.array([keep(f) for f in FEATURES])


def rows_of(subjects: list[Subject], view: str, seed: int) -> Rows:
    mask = view_mask(view)
    parts = [subject_rows(s.z, s.usable & mask, s.y, s.train & (s.usable & mask).any(axis=1),
                          None if s.heartless is None else Heartless(s.heartless.z, s.heartless.usable & mask))
             for s in subjects]
    return augmented(Rows.join(parts), seed)


def fit_kinds(kinds: tuple[str, ...], subjects: list[Subject], view: str,
              recipe: Recipe = COMMITTED) -> dict[str, Additive]:
    """A model of each kind on the same rows; an ensemble averages the members fitted here, not refitted."""
    rows = rows_of(subjects, view, recipe.seed)
    needed = set(kinds) | (set(MEMBERS) if "ensemble" in kinds else set())
    members = {k: fit_member(k, rows, recipe) for k in MEMBERS if k in needed}
    out = {k: members[k] if k != "ensemble" else ensemble([members[m] for m in MEMBERS]) for k in kinds}
    mask = view_mask(view)
    for m in out.values():
        if m.coef is not None:
            m.coef[~mask] = 0.0
        if m.table is not None:
            m.table[~mask] = 0.0
    return out


def fit(kind: str, subjects: list[Subject], view: str, recipe: Recipe = COMMITTED) -> Additive:
    return fit_kinds((kind,), subjects, view, recipe)[kind]
