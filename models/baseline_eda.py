"""The one-line reference a model must beat: 60-s mean skin conductance, z-scored against the
recording's first 10 minutes, through a logistic regression (LOSO). Not a deployable detector
(it looks at the first 10 minutes of every recording), only the bar in the model card.

``fit`` over all of a dataset's subjects gives the reference that new recordings of it are scored
with (``evaluation.json`` keeps it; ``python -m models.score --recordings`` uses it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from agent.core.features import FEATURE_NAMES
from models.extract import FeatureTable
from models.sampling import macro_f1

SCL = FEATURE_NAMES.index("scl_us")
REFERENCE_S = 600.0
Target = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # Dataset.target


@dataclass(frozen=True)
class Reference:
    """A fitted reference: stress where ``coef * z + intercept > 0`` (a logistic's decision at 0.5)."""

    coef: float
    intercept: float
    subjects: int  # how many it was fitted on

    def confusion(self, z: np.ndarray, y: np.ndarray) -> list[list[int]]:
        """Rows true calm/stress, columns predicted, as ``LogisticRegression.predict`` would decide."""
        return confusion_matrix(y, (self.coef * z + self.intercept > 0).astype(int), labels=[0, 1]).tolist()


def _z(table: FeatureTable) -> tuple[np.ndarray, np.ndarray]:
    ok = table.available[:, SCL]
    ref = ok & (table.t < REFERENCE_S)
    v = table.values[:, SCL].astype(np.float64)
    if ref.sum() < 10:
        return np.zeros(len(v)), np.zeros(len(v), bool)
    sd = max(float(np.std(v[ref])), 1e-3)
    return (v - float(np.mean(v[ref]))) / sd, ok & (table.t >= REFERENCE_S)


def scored(table: FeatureTable, target: Target) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, z, y) over the ticks the reference decides and the target scores: from 10 minutes in."""
    z, ok = _z(table)
    y, labelled = target(table.label)
    m = ok & labelled
    return table.t[m], z[m], y[m]


def fit(rows: list[tuple[np.ndarray, np.ndarray]]) -> Reference:
    """The reference over subjects' ``scored`` rows (every 4th tick: a second at the agent's tick)."""
    x = np.concatenate([z for z, _ in rows])[::4, None]
    y = np.concatenate([y for _, y in rows])[::4]
    clf = LogisticRegression(class_weight="balanced").fit(x, y)
    return Reference(float(clf.coef_[0, 0]), float(clf.intercept_[0]), len(rows))


def _prepared(tables: list[FeatureTable], target: Target) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {t.subject: tzy[1:] for t in tables if len((tzy := scored(t, target))[0])}


def fitted(tables: list[FeatureTable], target: Target) -> Reference | None:
    """The reference fitted on every subject; None with fewer than three."""
    prepared = _prepared(tables, target)
    return fit(list(prepared.values())) if len(prepared) >= 3 else None


def loso_confusions(tables: list[FeatureTable], target: Target) -> dict[str, list[list[int]]]:
    """Each subject's confusion matrix (rows true calm/stress, columns predicted) under the reference fitted on
    the other subjects; none with fewer than three subjects to fit on. ``target`` is ``Dataset.target``."""
    prepared = _prepared(tables, target)
    if len(prepared) < 3:
        return {}
    return {s: fit([zy for o, zy in prepared.items() if o != s]).confusion(*zy) for s, zy in prepared.items()}


def loso_f1(confusions: dict[str, list[list[int]]]) -> float | None:
    """The reference's pooled macro-F1 from ``loso_confusions``."""
    if not confusions:
        return None
    return round(float(macro_f1(np.sum(list(confusions.values()), axis=0))), 4)
