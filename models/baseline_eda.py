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
Decided = tuple[np.ndarray, np.ndarray, np.ndarray]  # (t, target, stress said) over the ticks a detector decides


@dataclass(frozen=True)
class Reference:
    """A fitted reference: stress where ``coef * z + intercept > 0`` (a logistic's decision at 0.5)."""

    coef: float
    intercept: float
    subjects: int  # how many it was fitted on

    def decide(self, z: np.ndarray) -> np.ndarray:
        """1 for stress, as ``LogisticRegression.predict`` would decide."""
        return (self.coef * z + self.intercept > 0).astype(int)


def confusion(y: np.ndarray, said: np.ndarray) -> list[list[int]]:
    """Rows true calm/stress, columns predicted."""
    return confusion_matrix(y, said, labels=[0, 1]).tolist()


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


def _prepared(tables: list[FeatureTable], target: Target) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``scored`` of each subject that has a tick to score."""
    return {t.subject: tzy for t in tables if len((tzy := scored(t, target))[0])}


def fitted(tables: list[FeatureTable], target: Target) -> Reference | None:
    """The reference fitted on every subject; None with fewer than three."""
    prepared = _prepared(tables, target)
    return fit([v[1:] for v in prepared.values()]) if len(prepared) >= 3 else None


def loso_decided(tables: list[FeatureTable], target: Target) -> dict[str, Decided]:
    """Each subject's ticks as the reference fitted on the other subjects decides them; none with fewer than
    three subjects to fit on. ``target`` is ``Dataset.target``."""
    prepared = _prepared(tables, target)
    if len(prepared) < 3:
        return {}
    return {s: (t, y, fit([v[1:] for o, v in prepared.items() if o != s]).decide(z))
            for s, (t, z, y) in prepared.items()}


def confusions(decided: dict[str, Decided]) -> dict[str, list[list[int]]]:
    """Each subject's confusion matrix (rows true calm/stress, columns predicted), e.g. of ``loso_decided``."""
    return {s: confusion(y, said) for s, (_, y, said) in decided.items()}


def on_shared_ticks(model: Decided, reference: Decided) -> tuple[list[list[int]], list[list[int]]] | None:
    """The model's and the reference's confusions over the ticks both decide, matched by time; None if none.
    The reference decides from 10 minutes in, the model from the end of its calibration: their own figures
    are over different ticks."""
    at = {float(t): i for i, t in enumerate(model[0].tolist())}
    both = np.array([float(t) in at for t in reference[0].tolist()], dtype=bool)
    if not both.any():
        return None
    rows = np.array([at[float(t)] for t in reference[0][both].tolist()])
    return confusion(model[1][rows], model[2][rows]), confusion(reference[1][both], reference[2][both])


def pooled_f1(confusions: dict[str, list[list[int]]]) -> float | None:
    """The pooled macro-F1 of subjects' confusions (e.g. ``confusions`` of ``loso_decided``); None if none."""
    if not confusions:
        return None
    return round(float(macro_f1(np.sum(list(confusions.values()), axis=0))), 4)


def shared_figures(pairs: dict[str, tuple[list[list[int]], list[list[int]]]]) -> dict[str, object]:
    """Pooled and per-subject macro-F1 of the model and the reference from ``on_shared_ticks`` by subject."""

    def figures(side: int) -> dict[str, object]:
        per = {s: p[side] for s, p in pairs.items()}
        return {"macro_f1": pooled_f1(per),
                "per_subject": {s: round(float(macro_f1(np.asarray(c))), 4) for s, c in per.items()}}

    return {"ticks": int(sum(np.sum(p[0]) for p in pairs.values())), "model": figures(0), "reference": figures(1)}


def card_lines(shared: dict[str, dict]) -> list[str]:
    """The card's lines for ``shared_figures`` by dataset: the model against the reference where both decide."""
    if not shared:
        return []
    return ["  Over the ticks both decide (the reference from 10 minutes in, the model from the end of its",
            "  calibration; `python -m models.score --recordings` gives the same for any recording): "
            + ", ".join(f"{k} {v['model']['macro_f1']:.3f} against {v['reference']['macro_f1']:.3f}"
                        for k, v in shared.items()) + " (the model first)."]
