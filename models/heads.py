"""Fitting one logistic head per feature group, and fusing heads the way the runtime does.

A logistic regression on baseline z-scores: few parameters (a handful of
subjects cannot support more), calibrated probabilities, and a logit that
splits exactly into per-feature contributions, which become the reasons.
``fuse`` is the vectorised twin of ``agent.model.runtime.DistressModel.infer``;
a test holds the two to the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from agent.features import FEATURES, GROUPS
from models.rows import SubjectRows

STRIDE = 4  # train on one tick a second: 4 Hz ticks of 60-s windows add no information, only correlation


def columns(group: str) -> np.ndarray:
    return np.array([i for i, f in enumerate(FEATURES) if f.group == group])


@dataclass(frozen=True)
class FittedHead:
    group: str
    coef: np.ndarray  # (k,)
    intercept: float
    weight: float = 1.0

    def logit(self, z: np.ndarray) -> np.ndarray:
        return z[:, columns(self.group)] @ self.coef + self.intercept


def training_rows(subjects: list[SubjectRows], group: str) -> tuple[np.ndarray, np.ndarray]:
    g = GROUPS.index(group)
    xs, ys = [], []
    for s in subjects:
        keep = s.scored & s.group_ok[:, g]
        idx = np.flatnonzero(keep)[::STRIDE]
        xs.append(s.z[idx][:, columns(group)])
        ys.append(s.y[idx])
    return np.concatenate(xs), np.concatenate(ys)


def fit_head(subjects: list[SubjectRows], group: str, c: float = 0.1) -> FittedHead | None:
    x, y = training_rows(subjects, group)
    if len(np.unique(y)) < 2:
        return None
    # Balanced classes: stress is the minority in every protocol, and the agent's threshold is 0.5.
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    return FittedHead(group, clf.coef_[0].astype(np.float64), float(clf.intercept_[0]))


def fuse(s: SubjectRows, heads: list[FittedHead]) -> tuple[np.ndarray, np.ndarray]:
    """(probability, decided) per tick: quality- and weight-averaged logits of the heads whose group is ok."""
    num = np.zeros(len(s.t))
    den = np.zeros(len(s.t))
    for h in heads:
        g = GROUPS.index(h.group)
        w = np.where(s.group_ok[:, g], h.weight * s.quality[:, g], 0.0)
        num += w * h.logit(s.z)
        den += w
    decided = den > 0
    logit = np.divide(num, den, out=np.zeros_like(num), where=decided)
    return 1.0 / (1.0 + np.exp(-logit)), decided
