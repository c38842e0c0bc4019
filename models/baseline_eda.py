"""The one-line reference a model must beat: 60-s mean skin conductance, z-scored against the
recording's first 10 minutes, through a logistic regression (LOSO). Not a deployable detector
(it looks at the first 10 minutes of every recording), only the bar in the model card."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from agent.core.features import FEATURE_NAMES
from models.extract import FeatureTable
from models.sampling import macro_f1

SCL = FEATURE_NAMES.index("scl_us")
REFERENCE_S = 600.0


def _z(table: FeatureTable) -> tuple[np.ndarray, np.ndarray]:
    ok = table.available[:, SCL]
    ref = ok & (table.t < REFERENCE_S)
    v = table.values[:, SCL].astype(np.float64)
    if ref.sum() < 10:
        return np.zeros(len(v)), np.zeros(len(v), bool)
    sd = max(float(np.std(v[ref])), 1e-3)
    return (v - float(np.mean(v[ref]))) / sd, ok & (table.t >= REFERENCE_S)


def loso_confusions(tables: list[FeatureTable], target) -> dict[str, list[list[int]]]:  # noqa: ANN001
    """Each subject's confusion matrix (rows true calm/stress, columns predicted) under the reference fitted on
    the other subjects; none with fewer than three subjects to fit on. ``target`` is ``Dataset.target``."""
    prepared = {}
    for table in tables:
        z, ok = _z(table)
        y, scored = target(table.label)
        m = ok & scored
        if m.any():
            prepared[table.subject] = (z[m], y[m])
    if len(prepared) < 3:
        return {}
    out = {}
    for subject, (z, y) in prepared.items():
        xs = np.concatenate([p[0] for s, p in prepared.items() if s != subject])[::4, None]
        yt = np.concatenate([p[1] for s, p in prepared.items() if s != subject])[::4]
        clf = LogisticRegression(class_weight="balanced").fit(xs, yt)
        out[subject] = confusion_matrix(y, clf.predict(z[:, None]), labels=[0, 1]).tolist()
    return out


def loso_f1(confusions: dict[str, list[list[int]]]) -> float | None:
    """The reference's pooled macro-F1 from ``loso_confusions``."""
    if not confusions:
        return None
    return round(float(macro_f1(np.sum(list(confusions.values()), axis=0))), 4)
