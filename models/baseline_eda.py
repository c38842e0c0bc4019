"""The one-line reference a model must beat: 60-s mean skin conductance, z-scored against the
recording's first 10 minutes, through a logistic regression (LOSO). Not a deployable detector
(it looks at the first 10 minutes of every recording), only the bar in the model card."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from agent.core.features import FEATURE_NAMES
from models.extract import FeatureTable

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


def loso_f1(tables: list[FeatureTable], target) -> float | None:  # noqa: ANN001 - Dataset.target
    prepared = []
    for table in tables:
        z, ok = _z(table)
        y, scored = target(table.label)
        m = ok & scored
        if m.any():
            prepared.append((z[m], y[m]))
    if len(prepared) < 3:
        return None
    ys, ps = [], []
    for i, (z, y) in enumerate(prepared):
        xs = np.concatenate([p[0] for j, p in enumerate(prepared) if j != i])[::4, None]
        yt = np.concatenate([p[1] for j, p in enumerate(prepared) if j != i])[::4]
        clf = LogisticRegression(class_weight="balanced").fit(xs, yt)
        ys.append(y)
        ps.append(clf.predict(z[:, None]))
    return round(float(f1_score(np.concatenate(ys), np.concatenate(ps), average="macro")), 4)
