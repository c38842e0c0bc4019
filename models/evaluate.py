"""Leave-one-subject-out evaluation: every subject is scored by heads that never saw them.

Figures are reported two ways: pooled over every scored tick of every
held-out subject, and as the mean of each subject's own figure (the spread
between subjects is the honest uncertainty). Ticks where no head could vote
(every modality poor) are not decisions; ``coverage`` says how many there were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from models.heads import FittedHead, fit_head, fuse
from models.rows import SubjectRows


@dataclass
class Scores:
    y: list[np.ndarray] = field(default_factory=list)
    p: list[np.ndarray] = field(default_factory=list)
    per_subject: dict[str, float] = field(default_factory=dict)
    scored: int = 0

    def add(self, subject: str, y: np.ndarray, p: np.ndarray, scored: int) -> None:
        self.scored += scored
        if len(y):
            self.y.append(y)
            self.p.append(p)
            if len(np.unique(y)) == 2:  # macro-F1 of one class is meaningless
                self.per_subject[subject] = float(f1_score(y, p >= 0.5, average="macro"))

    def summary(self) -> dict[str, object]:
        if not self.y:
            return {"coverage": 0.0}
        y, p = np.concatenate(self.y), np.concatenate(self.p)
        pred = p >= 0.5
        per = np.array(list(self.per_subject.values()))
        return {
            "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
            "accuracy": round(float(np.mean(pred == y)), 4),
            "macro_f1_subject_mean": round(float(per.mean()), 4) if per.size else None,
            "macro_f1_subject_sd": round(float(per.std()), 4) if per.size else None,
            "per_subject": {k: round(v, 3) for k, v in self.per_subject.items()},
            "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),  # rows true calm/stress, cols predicted
            "brier": round(float(np.mean((p - y) ** 2)), 4),
            "calibration": reliability(y, p),
            "ticks": int(len(y)),
            "coverage": round(len(y) / max(self.scored, 1), 4),
        }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 5) -> dict[str, object]:
    """Mean predicted vs observed stress per probability bin, and the expected calibration error."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append([round(float(edges[b]), 2), round(float(p[m].mean()), 3), round(float(y[m].mean()), 3), int(m.sum())])
            ece += m.mean() * abs(p[m].mean() - y[m].mean())
    return {"bins": rows, "ece": round(float(ece), 4)}  # [bin start, mean predicted, observed rate, ticks]


def loso(subjects: list[SubjectRows], groups: tuple[str, ...], weights: dict[str, float] | None = None) -> dict[str, object]:
    """Fused heads of ``groups`` and each head alone, each subject held out in turn."""
    fused, solo = Scores(), {g: Scores() for g in groups}
    for i, held in enumerate(subjects):
        train = subjects[:i] + subjects[i + 1 :]
        heads = []
        for g in groups:
            h = fit_head(train, g)
            if h is None:
                continue
            h = FittedHead(h.group, h.coef, h.intercept, (weights or {}).get(g, 1.0))
            heads.append(h)
            p, decided = fuse(held, [h])
            m = held.scored & decided
            solo[g].add(held.subject, held.y[m], p[m], int(held.scored.sum()))
        p, decided = fuse(held, heads)
        m = held.scored & decided
        fused.add(held.subject, held.y[m], p[m], int(held.scored.sum()))
    return {"fused": fused.summary(), "heads": {g: s.summary() for g, s in solo.items()}, "subjects": len(subjects)}
